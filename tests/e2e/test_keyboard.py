"""The app with the keyboard alone (#18 item 5), in English and Arabic:
after each action that replaces a step (Next, Cancel, Send, "Onboard another
unit", Run, Import) the focus is on the new step's first field or heading,
never on the page; radio buttons moved with the arrow keys show their focus
ring; Back in the middle of a run says the run goes on, and where its
outcome will be.

Keys go through WebDriver key actions; the set-up (a saved unit, an OTP
from the simulator) goes through the app's own commands.
"""

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, app_database, shown_now
from test_onboarding import LANGUAGES, answer_questions, choose_unit, fresh_otp, in_language, open_onboarding, save_unit, type_otp


def focused(driver) -> str:
    """The focused element's id: "" for the page body. Read in one script:
    a screen that changes under the read would leave a stale element."""
    return driver.execute_script("return document.activeElement ? document.activeElement.id : ''")


def press(driver, *keys) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def wait_focus(driver, element_id: str, timeout: float = WAIT_SECONDS) -> None:
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: focused(d) == element_id, f"the focus never reached #{element_id}"
    )


def tab_to(driver, element_id: str, backwards: bool = False, limit: int = 25) -> None:
    """Tab (or Shift+Tab) until `element_id` has the focus."""
    for _ in range(limit):
        if focused(driver) == element_id:
            return
        press(driver, *((Keys.SHIFT, Keys.TAB) if backwards else (Keys.TAB,)))
    pytest.fail(f"{limit} presses of Tab never reached #{element_id} (ended on {focused(driver)!r})")


def focus_ring(driver) -> tuple[str, str]:
    """The focused element's outline: style and width, as drawn."""
    return tuple(driver.execute_script(
        "const style = getComputedStyle(document.activeElement); return [style.outlineStyle, style.outlineWidth];"
    ))


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(OUTPUT / f"keyboard-{name}.png"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_focus_follows_each_wizard_step_and_radios_show_their_ring(home, language):
    in_language(home, language)
    first = save_unit(home, f"kb1{language}")
    save_unit(home, f"kb2{language}")
    open_onboarding(home)

    # The unit list: a click to start, then the arrow keys, which WebKit
    # does not count as :focus-visible: the ring must show anyway.
    home.find_element(By.ID, f"onboarding-unit-{first}").click()
    radios = [r.get_attribute("id") for r in home.find_elements(By.CSS_SELECTOR, "#onboarding-units input")]
    # WebKit's arrows stop at the ends of the group: away from the end, and back.
    last = radios.index(f"onboarding-unit-{first}") == len(radios) - 1
    away, back = (Keys.ARROW_UP, Keys.ARROW_DOWN) if last else (Keys.ARROW_DOWN, Keys.ARROW_UP)
    press(home, away)
    moved = focused(home)
    assert moved in radios and moved != f"onboarding-unit-{first}", moved
    assert focus_ring(home) == ("solid", "3px"), focus_ring(home)
    shot(home, f"radio-ring-{language}")
    press(home, back)
    assert focused(home) == f"onboarding-unit-{first}"
    assert home.find_element(By.ID, f"onboarding-unit-{first}").is_selected()

    # Next: the OTP step's first control, in `local` the offer of a
    # rehearsal OTP; then its chosen tile, with its ring.
    press(home, Keys.TAB)
    assert focused(home) == "onboarding-next"
    press(home, Keys.ENTER)
    wait_focus(home, "rehearsal-otp-get")
    press(home, Keys.TAB)
    assert focused(home) == "otp-tile-onboard"
    assert focus_ring(home) == ("solid", "3px")

    # Cancel: back to the unit list, on the unit still chosen.
    tab_to(home, "onboarding-cancel")
    press(home, Keys.ENTER)
    wait_focus(home, f"onboarding-unit-{first}")
    assert home.find_element(By.ID, f"onboarding-unit-{first}").is_selected()

    # Next again, the answers and the OTP by keys, Enter sends.
    tab_to(home, "onboarding-next")
    press(home, Keys.ENTER)
    wait_focus(home, "rehearsal-otp-get")
    tab_to(home, "otp-portal")
    press(home, Keys.END)
    assert home.find_element(By.ID, "otp-portal").get_attribute("value") == "local"
    tab_to(home, "otp-input")
    press(home, fresh_otp(home))
    press(home, Keys.ENTER)
    wait_focus(home, "onboarding-result", timeout=WAIT_SECONDS * 4)

    # "Onboard another unit": the list again, no unit chosen, the first one focused.
    press(home, Keys.TAB)
    assert focused(home) == "onboarding-again"
    press(home, Keys.ENTER)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d).startswith("onboarding-unit-"))
    assert focused(home) == home.find_element(By.CSS_SELECTOR, "#onboarding-units input").get_attribute("id")
    assert not home.find_elements(By.CSS_SELECTOR, "#onboarding-units input:checked"), "the unit just onboarded is not chosen again"
    assert home.find_element(By.ID, "onboarding-next").get_attribute("disabled") is not None


def test_a_cancelled_attempt_leaves_no_red_otp_box_behind(home):
    unit = save_unit(home, "stale")
    open_onboarding(home)
    choose_unit(home, unit)
    home.find_element(By.ID, "onboarding-send").click()
    otp_box = home.find_element(By.ID, "otp-input")
    assert otp_box.get_attribute("aria-invalid") == "true", "an empty OTP is refused"
    home.find_element(By.ID, "onboarding-cancel").click()
    home.find_element(By.ID, "onboarding-rehearse").click()
    home.find_element(By.ID, "rehearsal-otp-value")
    otp_box = home.find_element(By.ID, "otp-input")
    assert otp_box.get_attribute("aria-invalid") == "false"
    assert not shown_now(home, ".field.invalid"), "the rehearsal form opens with no field in red"


def onboarding_step(data_dir, unit: str) -> str | None:
    with app_database(data_dir) as db:
        row = db.execute("SELECT step FROM onboarding_state WHERE unit_id = ? AND environment = 'local'", (unit,)).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("language", LANGUAGES)
def test_back_in_the_middle_of_a_run_says_the_run_goes_on_and_where(home, data_dir, language):
    from test_fleet import Simulator

    in_language(home, language)
    unit = save_unit(home, f"leave{language}")
    open_onboarding(home)
    choose_unit(home, unit)
    answer_questions(home)
    type_otp(home, fresh_otp(home))
    simulator = Simulator(data_dir)
    # Slow answers for the compliance CSID, so Back lands mid-run.
    simulator.fault({"fault": {"kind": "latency", "millis": 15000}, "times": 1, "only": {"method": "POST", "path": "/compliance"}})
    try:
        home.find_element(By.ID, "onboarding-send").click()
        home.find_element(By.CSS_SELECTOR, "#onboarding-progress[aria-busy='true']")
        home.execute_script("document.getElementById('onboarding-back').focus()")
        press(home, Keys.ENTER)
        wait_focus(home, "onboarding-leave")
        words = {"en": "It goes on if you leave this screen", "ar": "يستمر الربط إذا غادرت هذه الشاشة"}[language]
        assert words in home.find_element(By.ID, "onboarding-leave").text
        shot(home, f"leave-{language}")
        press(home, Keys.TAB)
        assert focused(home) == "onboarding-leave-stay"
        press(home, Keys.ENTER)
        wait_focus(home, "onboarding-progress")
        assert not shown_now(home, "#onboarding-leave")

        home.find_element(By.ID, "onboarding-back").click()
        home.find_element(By.ID, "onboarding-leave-go").click()
        home.find_element(By.ID, "open-onboarding")
    finally:
        simulator.fault(None)
    # The run went on without the screen; its outcome is next to the unit.
    WebDriverWait(home, WAIT_SECONDS * 4).until(lambda d: onboarding_step(data_dir, unit) == "issued")
    open_onboarding(home)
    badge = home.find_element(By.CSS_SELECTOR, f"label[for='onboarding-unit-{unit}'] .badge")
    assert "done" in badge.get_attribute("class").split(), badge.text


def test_diagnostics_run_with_the_keyboard_ends_on_the_verdict(home):
    home.find_element(By.ID, "open-diagnostics").click()
    home.find_element(By.ID, "diagnostics-form")
    tab_to(home, "diagnostics-run")
    press(home, Keys.ENTER)
    wait_focus(home, "diagnosis-verdict", timeout=WAIT_SECONDS * 2)
