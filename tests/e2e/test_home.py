"""The real app, driven over WebDriver: home screen, language switch, and the
webview's locks (CSP, capabilities)."""

import json

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, app_database


def text_of(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def html_attributes(driver) -> tuple[str, str]:
    return driver.execute_script(
        "return [document.documentElement.lang, document.documentElement.dir]"
    )


def test_home_screen_shows_name_version_and_local_environment(home, app_version):
    assert home.title == "Fatoora Onboard"
    assert text_of(home, "app-name") == "Fatoora Onboard"
    assert text_of(home, "app-version") == app_version
    environment = home.find_element("id", "environment")
    assert environment.get_attribute("data-environment") == "local"
    assert "nothing is sent to ZATCA" in environment.text
    assert "nothing is sent to ZATCA" in text_of(home, "environment-banner")
    assert html_attributes(home) == ["en", "ltr"]
    home.save_screenshot(str(OUTPUT / "home-en.png"))


def test_switching_to_arabic_turns_the_page_right_to_left(home, app_version):
    switch = home.find_element("id", "language-switch")
    assert switch.text == "العربية"
    switch.click()

    WebDriverWait(home, WAIT_SECONDS).until(lambda d: html_attributes(d) == ["ar", "rtl"])
    assert home.find_element("id", "language-switch").text == "English"
    assert "تدريب محلي" in text_of(home, "environment")
    assert "لا يُرسل أي شيء إلى الهيئة" in text_of(home, "environment-banner")
    assert text_of(home, "app-version") == app_version
    home.save_screenshot(str(OUTPUT / "home-ar.png"))

    home.find_element("id", "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: html_attributes(d) == ["en", "ltr"])


def stored_setting(data_dir, key: str):
    """A setting as the store holds it, read with Python's own SQLite."""
    with app_database(data_dir) as db:
        row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else None


def test_the_language_choice_is_kept_in_the_store(home, data_dir):
    home.find_element("id", "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: stored_setting(data_dir, "language") == "ar")

    home.refresh()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: html_attributes(d) == ["ar", "rtl"])
    assert "تدريب محلي" in text_of(home, "environment")


def test_csp_refuses_inline_scripts_and_foreign_connections(home):
    # Each refusal raises a securitypolicyviolation event; the script returns
    # once both have been seen. The address is a closed loopback port, so
    # nothing leaves the machine even if the policy were missing.
    violations = home.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const seen = [];
        document.addEventListener("securitypolicyviolation", (event) => {
          seen.push(event.effectiveDirective);
          if (seen.some((d) => d.startsWith("script-src")) && seen.includes("connect-src")) {
            done(seen);
          }
        });
        const inline = document.createElement("script");
        inline.textContent = "window.inlineScriptRan = true";
        document.head.appendChild(inline);
        fetch("http://127.0.0.1:9/").catch(() => {});
        """
    )
    assert "connect-src" in violations
    assert home.execute_script("return window.inlineScriptRan === undefined")


def test_the_webview_may_call_app_info_and_nothing_of_tauri_core(home, app_version):
    invoke = """
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args).then(
          (value) => done({ ok: value }),
          (error) => done({ refused: String(error) }),
        );
    """
    allowed = home.execute_async_script(invoke, "app_info", {})
    assert allowed["ok"]["version"] == app_version

    refused = home.execute_async_script(
        invoke, "plugin:window|set_title", {"label": "main", "value": "hijacked"}
    )
    assert "refused" in refused, refused
    assert "not allowed" in refused["refused"]


def test_the_app_keeps_its_store_and_log_in_its_data_directory(driver, data_dir):
    assert (data_dir / "fatoora-onboard.sqlite3").is_file()
    logs = sorted((data_dir / "logs").glob("fatoora-onboard*.log"))
    assert logs, f"no log file in {data_dir / 'logs'}"
    assert "app starting" in "".join(log.read_text() for log in logs)


def tab(driver) -> dict:
    """Presses Tab and returns what has the keyboard focus now, with how its
    focus is drawn."""
    ActionChains(driver).send_keys(Keys.TAB).perform()
    return driver.execute_script(
        """
        const element = document.activeElement;
        const style = getComputedStyle(element);
        return { id: element.id, tag: element.tagName.toLowerCase(),
                 outline: style.outlineStyle, width: parseFloat(style.outlineWidth) };
        """
    )


def test_keyboard_only_reaches_the_language_switch_and_every_screen_in_order(home):
    stops = [tab(home) for _ in range(7)]
    ids = [stop["id"] for stop in stops]
    nav = [button.get_attribute("id") for button in home.find_elements("css selector", "nav button")]
    assert ids[0] == "language-switch", ids
    assert ids[1:] == nav[: len(ids) - 1], (ids, nav)
    for stop in stops:
        assert stop["outline"] != "none" and stop["width"] >= 2, f"no visible focus on {stop}"

    # Enter on the focused language switch turns the page to Arabic and back.
    home.execute_script("document.getElementById('language-switch').focus()")
    ActionChains(home).send_keys(Keys.ENTER).perform()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: html_attributes(d) == ["ar", "rtl"])
    assert home.switch_to.active_element.get_attribute("id") == "language-switch"
    ActionChains(home).send_keys(Keys.ENTER).perform()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: html_attributes(d) == ["en", "ltr"])

    # A screen opened with the keyboard takes focus at its heading; Back
    # returns focus to the button that opened it.
    home.execute_script("document.getElementById('open-settings').focus()")
    ActionChains(home).send_keys(Keys.ENTER).perform()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.switch_to.active_element.get_attribute("id") == "settings-title")
    assert tab(home)["id"] == "settings-back"
    ActionChains(home).send_keys(Keys.ENTER).perform()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.switch_to.active_element.get_attribute("id") == "open-settings")
