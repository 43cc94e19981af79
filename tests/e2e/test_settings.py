"""Journey 7 in the real app: switch the environment from the Settings
screen, with a warning and a confirmation, in English and Arabic; the home
screen follows; the `local` unit's key (in the Secret Service) and store rows
are the same after going to another environment and back.

Each test ends in `local` again, so the other test files keep running
against the bundled simulator."""


import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, app_database, require, shown_now

KEYCHAIN_NAMESPACE = "sa.fatoora-onboard"
INVOKE = """
    const [command, args, done] = arguments;
    window.__TAURI_INTERNALS__.invoke(command, args).then(
      (value) => done({ ok: value === undefined ? null : value }),
      (error) => done({ error: JSON.stringify(error) }),
    );
"""
UNIT = {
    "organizationName": "Settings Test Trading LLC",
    "vatNumber": "399999999900003",
    "organizationUnit": "Jeddah Branch",
    "commonName": "TST-SETTINGS-399999999900003",
    "serial": "1-TST|2-TST|3-5e771c0b-2f0a-4c58-a7de-0b6d3c1f9a21",
    "invoiceTypes": "1100",
    "address": "JEDD1234",
    "businessCategory": "Retail",
}


def invoke(driver, command, args):
    return driver.execute_async_script(INVOKE, command, args)


def keychain_secret(name: str):
    """The Secret Service item the app stores under `name`, read with
    libsecret (not the app's code)."""
    try:
        import gi

        gi.require_version("Secret", "1")
        from gi.repository import Secret
    except (ImportError, ValueError) as error:
        require(False, f"cannot read the keychain without libsecret's GObject bindings (python3-gi gir1.2-secret-1): {error}")
    schema = Secret.Schema.new(
        "org.fatooraonboard.e2e", Secret.SchemaFlags.DONT_MATCH_NAME,
        {"service": Secret.SchemaAttributeType.STRING, "username": Secret.SchemaAttributeType.STRING},
    )
    return Secret.password_lookup_sync(schema, {"service": KEYCHAIN_NAMESPACE, "username": name}, None)


def local_rows(data_dir):
    with app_database(data_dir) as db:
        return db.execute("SELECT * FROM unit_keys WHERE environment = 'local' ORDER BY unit_id").fetchall()


@pytest.fixture(scope="module")
def local_unit(driver):
    """A unit with a key and CSR in `local`, saved through the app's command."""
    answer = invoke(driver, "save_unit", {"form": UNIT, "key": "new"})
    assert "ok" in answer, answer
    return answer["ok"]["unit_id"]


@pytest.fixture
def back_to_local(driver):
    yield
    answer = invoke(driver, "switch_environment", {"to": "local"})
    assert "ok" in answer, answer


def open_settings(driver):
    driver.find_element(By.ID, "open-settings").click()
    driver.find_element(By.ID, "environment-choices")


def choose(driver, environment: str):
    driver.find_element(By.CSS_SELECTOR, f"label[for=environment-{environment}]").click()
    driver.find_element(By.ID, "environment-confirm")


def shot(driver, name: str, show: str | None = None) -> None:
    """Saves a screenshot once the page has painted, with `show` (an element
    id) scrolled into the middle of the window."""
    driver.execute_async_script(
        """
        const [id, done] = arguments;
        if (id) document.getElementById(id).scrollIntoView({ block: "center" });
        requestAnimationFrame(() => requestAnimationFrame(() => done()));
        """,
        show,
    )
    driver.save_screenshot(str(OUTPUT / name))


def confirmation_shown(driver) -> bool:
    return shown_now(driver, "#environment-confirm")


def confirm(driver, environment: str):
    driver.find_element(By.ID, "environment-confirm-switch").click()
    WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.find_element(By.ID, f"environment-{environment}").get_attribute("checked")
        and not confirmation_shown(d)
    )
    driver.find_element(By.ID, "environment-switched")


def go_home(driver) -> str:
    driver.find_element(By.ID, "settings-back").click()
    shown = driver.find_element(By.ID, "environment")
    return shown.get_attribute("data-environment")


def set_arabic(driver):
    driver.find_element(By.ID, "language-switch").click()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")


def test_switch_to_sandbox_and_back_keeps_locals_key_and_rows(home, data_dir, local_unit, back_to_local):
    key_name = f"unit/{local_unit}/local/private-key"
    key_before = keychain_secret(key_name)
    assert key_before and "PRIVATE KEY" in key_before, "the local unit's key is in the Secret Service"
    rows_before = local_rows(data_dir)
    assert any(row[0] == local_unit for row in rows_before)

    open_settings(home)
    assert home.find_element(By.ID, "environment-local").get_attribute("checked")
    assert home.find_element(By.ID, "limit-connect").get_attribute("data-seconds") == "10"
    assert home.find_element(By.ID, "limit-request").get_attribute("data-seconds") == "90"
    assert "10 seconds" in home.find_element(By.ID, "limit-connect").text
    shot(home, "settings-en.png")

    choose(home, "sandbox")
    warning = home.find_element(By.ID, "environment-sandbox-details").text
    assert "123345" in warning and "fixed OTPs" in warning, warning
    assert "stay as they are" in home.find_element(By.ID, "environment-confirm").text
    shot(home, "settings-confirm-sandbox-en.png", "environment-sandbox")
    confirm(home, "sandbox")
    assert go_home(home) == "sandbox"
    assert "ZATCA's servers" in home.find_element(By.ID, "environment-banner").text
    shot(home, "settings-home-sandbox-en.png")

    # Production asks for an explicit "I understand" before it can be confirmed; cancel it.
    open_settings(home)
    choose(home, "production")
    switch = home.find_element(By.ID, "environment-confirm-switch")
    assert not switch.is_enabled()
    assert "real certificates" in home.find_element(By.ID, "environment-production-details").text
    home.find_element(By.CSS_SELECTOR, "label[for=environment-understood]").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: switch.is_enabled())
    shot(home, "settings-confirm-production-en.png", "environment-confirm")
    home.find_element(By.ID, "environment-confirm-cancel").click()
    assert not confirmation_shown(home)
    assert home.find_element(By.ID, "environment-sandbox").get_attribute("checked")

    choose(home, "local")
    confirm(home, "local")
    assert go_home(home) == "local"
    assert "nothing is sent to ZATCA" in home.find_element(By.ID, "environment-banner").text

    assert keychain_secret(key_name) == key_before, "the local key changed"
    assert local_rows(data_dir) == rows_before, "local's unit_keys rows changed"


def test_switching_in_arabic(home, local_unit, back_to_local):
    set_arabic(home)
    open_settings(home)
    assert home.find_element(By.ID, "settings-title").text == "البيئة والإعدادات"
    assert "10 ثوان" in home.find_element(By.ID, "limit-connect").text
    shot(home, "settings-ar.png")
    shot(home, "settings-limits-ar.png", "network-limits")

    choose(home, "simulation")
    assert "بوابة «فاتورة» للمحاكاة" in home.find_element(By.ID, "environment-simulation-details").text
    shot(home, "settings-confirm-simulation-ar.png", "environment-simulation")
    confirm(home, "simulation")
    assert go_home(home) == "simulation"
    assert home.find_element(By.ID, "environment").text == "بيئة المحاكاة"
    shot(home, "settings-home-simulation-ar.png")

    open_settings(home)
    choose(home, "sandbox")
    otps = [bdi.text for bdi in home.find_elements(By.CSS_SELECTOR, "#environment-sandbox-details bdi[dir=ltr]")]
    assert otps[:2] == ["123345", "123456"], otps
    choose(home, "local")
    confirm(home, "local")
    assert go_home(home) == "local"
    assert "لا يُرسل أي شيء إلى الهيئة" in home.find_element(By.ID, "environment-banner").text


def switch_from_home(driver, environment: str) -> None:
    open_settings(driver)
    choose(driver, environment)
    if environment == "production":
        driver.find_element(By.CSS_SELECTOR, "label[for=environment-understood]").click()
    confirm(driver, environment)
    assert go_home(driver) == environment


def banner_of(driver) -> tuple[str, str]:
    banner = driver.find_element(By.ID, "environment-banner")
    return banner.get_attribute("class"), banner.text


@pytest.mark.parametrize("language", ["en", "ar"])
def test_production_banner_does_not_read_like_simulations(home, language, back_to_local):
    if language == "ar":
        set_arabic(home)
    switch_from_home(home, "simulation")
    simulation_class, simulation_text = banner_of(home)
    switch_from_home(home, "production")
    production_class, production_text = banner_of(home)
    shot(home, f"home-production-{language}.png", "environment-banner")

    assert "production" in production_class.split() and "production" not in simulation_class.split()
    assert production_text != simulation_text
    expected = {
        "en": ("Production: real OTPs, real certificates", "Test environment"),
        "ar": ("بيئة الإنتاج: رموز تحقق حقيقية وشهادات حقيقية", "بيئة اختبار"),
    }[language]
    assert production_text.startswith(expected[0]), production_text
    assert simulation_text.startswith(expected[1]), simulation_text
    switch_from_home(home, "local")
