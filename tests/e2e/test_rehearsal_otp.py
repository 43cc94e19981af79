"""The OTP step's "Get a rehearsal OTP" in `local`: the user's own unit is
onboarded, then renewed, with OTPs the bundled simulator mints for it, in
English and Arabic; in any other environment the button is not there and the
command refuses. The minted OTP leaves the page once sent."""

import re

import pytest
from selenium.webdriver.common.by import By

from conftest import first_shown, shown_now
from test_onboarding import LANGUAGES, assert_otp_nowhere, choose_unit, in_language, invoke, open_onboarding, save_unit, send_and_wait, shot, type_otp

BUTTON = {
    ("en", "onboard"): "Get a rehearsal OTP for this unit",
    ("en", "renew"): "Get a rehearsal renewal OTP for this unit",
    ("ar", "onboard"): "احصل على رمز تحقق تجريبي لهذه الوحدة",
    ("ar", "renew"): "احصل على رمز تحقق تجريبي لتجديد هذه الوحدة",
}


def get_rehearsal_otp(driver, language: str, purpose: str) -> str:
    button = driver.find_element(By.ID, "rehearsal-otp-get")
    assert button.text == BUTTON[(language, purpose)], button.text
    button.click()
    value = driver.find_element(By.ID, "rehearsal-otp-value").text
    assert re.fullmatch(r"[0-9]{6}", value), value
    # The OTP is the simulator's: the portal question answers itself.
    assert driver.find_element(By.ID, "otp-portal").get_attribute("value") == "local"
    return value


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_users_own_unit_is_onboarded_then_renewed_with_rehearsal_otps(home, data_dir, language):
    in_language(home, language)
    unit = save_unit(home, f"rehearse{language}")
    open_onboarding(home)
    choose_unit(home, unit)
    offer = home.find_element(By.ID, "rehearsal-otp").text
    assert ("bundled simulator" in offer) if language == "en" else ("المحاكي المدمج" in offer), offer
    shot(home, f"own-rehearsal-offer-{language}")

    otp = get_rehearsal_otp(home, language, "onboard")
    shot(home, f"own-rehearsal-otp-{language}")
    type_otp(home, otp)
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    assert_otp_nowhere(home, data_dir, otp)

    # The same unit again: it is onboarded, so the step offers renewal and a renewal OTP.
    home.find_element(By.ID, "onboarding-again").click()
    choose_unit(home, unit)
    assert home.find_element(By.ID, "otp-tile-renew").is_selected()
    renewal = get_rehearsal_otp(home, language, "renew")
    type_otp(home, renewal)
    send_and_wait(home)
    assert first_shown(home, "onboarding-result", "onboarding-failure") == "onboarding-result", home.find_element(By.ID, "onboarding-failure").text
    shot(home, f"own-rehearsal-renewed-{language}")
    assert_otp_nowhere(home, data_dir, renewal)


@pytest.fixture
def in_simulation(home):
    answer = home.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke("switch_environment", { to: "simulation" }).then(() => done("ok"), (e) => done(JSON.stringify(e)));
        """
    )
    assert answer == "ok", answer
    yield home
    invoke(home, "switch_environment", {"to": "local"})


def test_outside_local_there_is_no_button_and_the_command_refuses(in_simulation, data_dir):
    driver = in_simulation
    driver.refresh()
    unit = save_unit(driver, "notlocal")
    refused = driver.execute_async_script(
        """
        const [unitId, done] = arguments;
        window.__TAURI_INTERNALS__.invoke("rehearsal_otp", { unitId, purpose: "onboard" }).then((otp) => done({ otp }), (error) => done({ error }));
        """,
        unit,
    )
    assert "otp" not in refused, "a rehearsal OTP outside local"
    assert "only in the local environment" in refused["error"]["message"]["en"], refused
    assert "البيئة المحلية" in refused["error"]["message"]["ar"], refused

    open_onboarding(driver)
    choose_unit(driver, unit)
    driver.find_element(By.ID, "otp-input")
    assert not shown_now(driver, "#rehearsal-otp") and not shown_now(driver, "#rehearsal-otp-get")
