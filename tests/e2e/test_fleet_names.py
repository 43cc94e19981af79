"""Fleet, the names and the narrow window (#18 items 5, 6 and 19), in
English and Arabic: the CSV import warns about a VAT number's second
organisation name and hands the keyboard to its outcome; the overview shows
both names instead of merging them and finds an Arabic name however its
alef, ta marbuta and marks are written; at 720 px the table keeps Renew in
view.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS
from test_fleet import HEADER, open_fleet, set_text
from test_keyboard import press, tab_to, wait_focus
from test_layout import window_width
from test_onboarding import LANGUAGES, in_language, send_for_a_new_unit

# One VAT number per language, so each run starts with no unit of its own.
VATS = {"en": "311111111100003", "ar": "322222222200003"}
FIRST_NAME = "مؤسسة الأمل التجارية"
SECOND_NAME = "مؤسسة الامل للتجارة"


def csv(vat: str) -> str:
    rows = [
        f"{FIRST_NAME},{vat},فرع الرياض,AML-1-{vat},1-AML|2-POS|3-0001,1100,RRRD2929,Retail,SA",
        f"{SECOND_NAME},{vat},فرع جدة,AML-2-{vat},1-AML|2-POS|3-0002,1100,RRRD2929,Retail,SA",
    ]
    return "\n".join([HEADER, *rows]) + "\n"


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(OUTPUT / f"fleet-names-{name}.png"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_second_name_for_a_vat_number_is_warned_shown_and_found(home, language):
    vat = VATS[language]
    in_language(home, language)
    open_fleet(home, "import")
    set_text(home, "csv-text", csv(vat))
    home.find_element(By.ID, "csv-check").click()

    # The import: line 3 names the VAT number otherwise than line 2.
    warning = home.find_element(By.CSS_SELECTOR, "#csv-result tr[data-line='3'] [data-rule='organization-name-mismatch']")
    assert "warning" in warning.get_attribute("class").split()
    assert FIRST_NAME in warning.text and SECOND_NAME in warning.text, warning.text
    assert ("One VAT number is one taxpayer" if language == "en" else "الرقم الضريبي الواحد لمكلّف واحد") in warning.text
    assert not home.find_elements(By.CSS_SELECTOR, "#csv-result tr[data-line='2'] [data-rule='organization-name-mismatch']")
    home.execute_script("arguments[0].scrollIntoView({ block: 'center' })", warning)
    shot(home, f"import-warning-{language}")

    # A warning does not block: imported with the keyboard, which then
    # lands on the outcome, not on the page.
    home.execute_script("document.getElementById('csv-check').focus()")
    tab_to(home, "csv-import")
    press(home, Keys.ENTER)
    wait_focus(home, "csv-done-title")

    # The overview: both names, the unit saved under the other one marked.
    home.find_element(By.ID, "fleet-tab-overview").click()
    section = home.find_element(By.CSS_SELECTOR, f"section.taxpayer[data-vat='{vat}']")
    mismatch = section.find_element(By.CSS_SELECTOR, f"[data-mismatch='{vat}']")
    assert FIRST_NAME in mismatch.text and SECOND_NAME in mismatch.text, mismatch.text
    assert len(section.find_elements(By.CSS_SELECTOR, "[data-other-name]")) == 1
    home.execute_script("arguments[0].scrollIntoView()", section)
    shot(home, f"overview-mismatch-{language}")

    # Search, spelled otherwise: no hamza, ta marbuta as ha, with marks.
    for query, names in [("الامل التجاريه", {FIRST_NAME}), ("مؤسَّسة الأمَل للتّجارة", {SECOND_NAME}), ("مؤسسه الأمل", {FIRST_NAME, SECOND_NAME})]:
        set_text(home, "fleet-search", query)
        WebDriverWait(home, WAIT_SECONDS).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, f"section.taxpayer[data-vat='{vat}'] tbody tr")) == len(names),
            f"{query!r} should find {names}",
        )


def visible_in(driver, element, box) -> dict:
    """Where `element` is drawn against its scroll box and the window, once
    scrolled into view as the keyboard would."""
    return driver.execute_script(
        """
        const [element, box] = arguments;
        element.scrollIntoView({ block: "center", inline: "nearest" });
        const rect = element.getBoundingClientRect(), frame = box.getBoundingClientRect();
        return { left: rect.left, right: rect.right, boxLeft: frame.left, boxRight: frame.right,
                 window: window.innerWidth, page: document.documentElement.scrollWidth };
        """,
        element,
        box,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_at_720_px_the_table_keeps_renew_in_view(home, language):
    in_language(home, language)
    unit = send_for_a_new_unit(home, f"narrow{language}")
    home.find_element(By.ID, "onboarding-result")
    home.find_element(By.ID, "onboarding-back").click()

    with window_width(home, 720):
        open_fleet(home)
        row = home.find_element(By.CSS_SELECTOR, f"tr[data-unit-id='{unit}']")
        renew = row.find_element(By.CSS_SELECTOR, "button.renew")
        box = row.find_element(By.XPATH, "ancestor::div[contains(@class, 'table-scroll')]")
        place = visible_in(home, renew, box)
        assert place["page"] <= place["window"], f"the page scrolls sideways: {place}"
        assert place["boxLeft"] <= place["left"] and place["right"] <= place["boxRight"], f"Renew is clipped: {place}"
        assert 0 <= place["left"] and place["right"] <= place["window"], place
        shot(home, f"720-{language}")
        # Reachable by the keyboard, and it opens the wizard on that unit.
        home.execute_script("arguments[0].focus()", renew)
        press(home, Keys.ENTER)
        home.find_element(By.ID, "otp-form")
