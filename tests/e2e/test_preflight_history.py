"""The pre-flight an onboarding runs before its OTP is sent is kept as a
diagnosis: after a unit is onboarded in the wizard, the Diagnostics screen
lists it under "Earlier diagnoses" named by its unit, and "Show" opens it as
any other diagnosis (its verdict, target and next step), in English and
Arabic.

Traffic: only 127.0.0.1 (`local`, the simulator the app runs in process).
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, app_database, first_shown
from test_onboarding import LANGUAGES, in_language, send_for_a_new_unit

LABEL = {"en": "Pre-flight before onboarding {unit}", "ar": "الفحص المسبق قبل ربط {unit}"}
SHOW = {"en": "Show", "ar": "اعرض"}


def kept_preflights(data_dir, common_name: str) -> list:
    with app_database(data_dir) as db:
        return db.execute(
            "SELECT id, preflight_before, verdict_class, target_origin, headline_en, headline_ar"
            " FROM diagnostics_reports WHERE preflight_unit = ?",
            (common_name,),
        ).fetchall()


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_onboardings_preflight_is_listed_and_opens_as_a_diagnosis(home, data_dir, language):
    in_language(home, language)
    unit = send_for_a_new_unit(home, f"history-{language}")
    outcome = first_shown(home, "onboarding-result", "onboarding-failure")
    assert outcome == "onboarding-result", home.find_element(By.ID, outcome).text
    with app_database(data_dir) as db:
        (common_name,) = db.execute("SELECT common_name FROM units WHERE id = ?", (unit,)).fetchone()

    # One run, one pre-flight kept, in the store the CLI shares.
    kept = kept_preflights(data_dir, common_name)
    assert len(kept) == 1, kept
    entry_id, before, verdict_class, target, headline_en, headline_ar = kept[0]
    assert (before, verdict_class) == ("onboarding", "healthy"), kept

    in_language(home, language)
    home.find_element(By.ID, "open-diagnostics").click()
    entry = home.find_element(By.ID, f"diagnosis-history-{entry_id}")
    assert entry.get_attribute("data-occasion") == "onboarding"
    assert entry.get_attribute("data-class") == "healthy"
    assert LABEL[language].format(unit=common_name) in entry.text, entry.text
    assert target in entry.text, entry.text
    entry.location_once_scrolled_into_view
    home.save_screenshot(str(OUTPUT / f"diagnostics-history-preflight-{language}.png"))

    show = home.find_element(By.ID, f"diagnosis-history-open-{entry_id}")
    assert show.text == SHOW[language]
    show.click()
    verdict = home.find_element(By.ID, "diagnosis-verdict")
    assert verdict.get_attribute("data-class") == "healthy"
    headline = {"en": headline_en, "ar": headline_ar}[language]
    assert home.find_element(By.ID, "diagnosis-headline").text == headline
    assert home.find_element(By.ID, "diagnosis-target").text == target
    assert home.find_element(By.ID, "diagnosis-next-step").text
    assert home.find_element(By.ID, "diagnosis-opened").is_displayed()
    # The keyboard goes to what was opened.
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.switch_to.active_element.get_attribute("id") == "diagnosis-verdict")
    home.save_screenshot(str(OUTPUT / f"diagnostics-history-opened-{language}.png"))
