"""A first-timer's whole journey with the keyboard alone (#18, "Done
when"), in English and in Arabic: create a unit, rehearse with the demo
unit, onboard the new unit and renew it, all in `local`, with Tab, Shift+Tab,
Enter, Space and the arrow keys only. Every step checks where the focus
landed; the OTPs are read off the screen, as the user reads them.
"""

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS
from test_keyboard import focused, press, tab_to, wait_focus
from test_onboarding import LANGUAGES, in_language
from test_units import GOOD, GOOD_VAT, fill_with_the_keyboard

RESULT = {
    "rehearsed": {"en": "Rehearsal complete", "ar": "اكتمل التدريب"},
    "onboarded": {"en": "The unit is onboarded (rehearsal)", "ar": "تم ربط الوحدة (تدريب)"},
    "renewed": {"en": "The production CSID is renewed (rehearsal)", "ar": "تم تجديد معرّف الختم التشفيري للإنتاج (تدريب)"},
}


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(OUTPUT / f"first-timer-{name}.png"))


def send_the_shown_otp(driver) -> None:
    """From the rehearsal OTP's button or box: Tab to the OTP field, type
    what the screen shows, Enter; the focus then lands on the result."""
    otp = WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.find_elements(By.ID, "rehearsal-otp-value"))[0].text
    assert otp.isdigit() and len(otp) == 6, otp
    tab_to(driver, "otp-input")
    press(driver, otp)
    press(driver, Keys.ENTER)
    wait_focus(driver, "onboarding-result", timeout=WAIT_SECONDS * 4)


def choose_with_arrows(driver, unit_id: str) -> None:
    """From the first unit of the list (focused, none chosen): the arrows
    down to the unit, or Space when it is the first one."""
    target = f"onboarding-unit-{unit_id}"
    if focused(driver) == target:
        press(driver, Keys.SPACE)
    for _ in range(len(driver.find_elements(By.CSS_SELECTOR, "#onboarding-units input"))):
        if focused(driver) == target:
            break
        press(driver, Keys.ARROW_DOWN)
    assert focused(driver) == target and driver.find_element(By.ID, target).is_selected()


def again_with(driver, unit_id: str, language: str, expected: str) -> None:
    """From a result: "Onboard another unit", the unit chosen with the
    arrows, Next, the simulator's OTP for it (for onboarding or renewal, as
    the unit's state decides), sent."""
    press(driver, Keys.TAB)
    assert focused(driver) == "onboarding-again"
    press(driver, Keys.ENTER)
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: focused(d).startswith("onboarding-unit-"))
    choose_with_arrows(driver, unit_id)
    press(driver, Keys.TAB)
    assert focused(driver) == "onboarding-next"
    press(driver, Keys.ENTER)
    wait_focus(driver, "rehearsal-otp-get")
    # A rehearsal: the OTP comes from the simulator, not from a portal.
    for selector in ("#otp-form > p.note", "#otp-tile legend"):
        text = driver.find_element(By.CSS_SELECTOR, selector).text
        assert "FATOORA" not in text and "فاتورة" not in text, text
    press(driver, Keys.ENTER)
    send_the_shown_otp(driver)
    assert driver.find_element(By.ID, "result-title").text == RESULT[expected][language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_create_rehearse_onboard_and_renew_with_the_keyboard_alone(home, language):
    in_language(home, language)
    stamp = time.time_ns()
    unit = dict(GOOD, vatNumber=GOOD_VAT, commonName=f"TST-FIRST-{language}-{stamp}", serial=f"1-TST|2-TST|3-{stamp}")

    # Home → Units: the language switch, then the Units button.
    press(home, Keys.TAB)
    press(home, Keys.TAB)
    assert focused(home) == "open-units"
    press(home, Keys.ENTER)
    wait_focus(home, "units-title")
    press(home, Keys.TAB)
    fill_with_the_keyboard(home, unit)
    tab_to(home, "unit-save")
    press(home, Keys.ENTER)
    wait_focus(home, "unit-saved-title")
    unit_id = home.execute_script(
        "return [...document.querySelectorAll('#units-list [data-unit-id]')].find((row) => row.textContent.includes(arguments[0]))?.dataset.unitId",
        unit["commonName"],
    )
    assert unit_id, "the new unit is in the list"
    # "Copy CSR (PEM)" on a line of its own: below its box, above the next label.
    box = lambda selector: home.execute_script("return document.querySelector(arguments[0]).getBoundingClientRect().toJSON()", selector)
    pem, copy, label = box("#csr-pem"), box("#copy-pem"), box("label[for='csr-base64']")
    assert pem["bottom"] <= copy["top"] and copy["bottom"] <= label["top"], (pem, copy, label)
    shot(home, f"saved-{language}")

    # Back home, then the wizard: rehearse with the demo unit first.
    tab_to(home, "units-back", backwards=True)
    press(home, Keys.ENTER)
    wait_focus(home, "open-units")
    tab_to(home, "open-onboarding")
    press(home, Keys.ENTER)
    wait_focus(home, "onboarding-title")
    tab_to(home, "onboarding-rehearse")
    press(home, Keys.ENTER)
    wait_focus(home, "rehearsal-otp")
    send_the_shown_otp(home)
    assert home.find_element(By.ID, "result-title").text.startswith(RESULT["rehearsed"][language])
    shot(home, f"rehearsed-{language}")

    # Onboard the new unit, then renew it (an onboarded unit opens on renewal).
    again_with(home, unit_id, language, "onboarded")
    shot(home, f"onboarded-{language}")
    again_with(home, unit_id, language, "renewed")
    assert home.find_element(By.CSS_SELECTOR, "#onboarding-progress li[data-step='renewal']").get_attribute("data-state") == "done"
    shot(home, f"renewed-{language}")
