"""The Units screen in the real app: live lint under the field in both
languages, save (key into the Secret Service, CSR into the store), the saved
unit in the list, and the key never in the page."""

import re

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, app_database, require, shown_now
from test_settings import keychain_secret

GOOD = {
    "organizationName": "Maximum Speed Tech Supply LTD",
    "organizationUnit": "Riyadh Branch",
    "commonName": "TST-886431145-399999999900003",
    "serial": "1-TST|2-TST|3-ed22f1d8-e6a2-1118-9b58-d9a8f11e445f",
    "address": "RRRD2929",
    "businessCategory": "Supply activities",
}
BAD_VAT = "300000000000000"
LATIN_LETTER = re.compile("[A-Za-z]")
ARABIC_LETTER = re.compile("[\u0600-\u06FF]")
GOOD_VAT = "399999999900003"


def open_units(driver):
    driver.find_element(By.ID, "open-units").click()
    driver.find_element(By.ID, "unit-form")
    # The preview appears with the first live check's answer.
    driver.find_element(By.ID, "csr-preview-template")


def type_into(driver, field: str, text: str) -> None:
    box = driver.find_element(By.ID, f"unit-{field}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(text)


def messages_under(driver, field: str) -> str:
    box = driver.find_element(By.ID, f"unit-{field}")
    described_by = box.get_attribute("aria-describedby")
    return driver.find_element(By.ID, described_by).text


def vat_error_shown(driver) -> bool:
    return shown_now(driver, "#unit-vatNumber-messages p.error")


def test_bad_vat_is_explained_under_its_field_then_the_unit_is_saved(home, data_dir):
    open_units(home)
    assert home.find_element(By.ID, "csr-preview-template").text == "TSTZATCA-Code-Signing"
    for field, value in GOOD.items():
        type_into(home, field, value)
    type_into(home, "vatNumber", BAD_VAT)

    WebDriverWait(home, WAIT_SECONDS).until(vat_error_shown)
    vat = home.find_element(By.ID, "unit-vatNumber")
    assert vat.get_attribute("dir") == "ltr"
    assert home.find_element(By.ID, "unit-serial").get_attribute("dir") == "ltr"
    assert vat.get_attribute("aria-invalid") == "true"
    error = home.find_element(By.CSS_SELECTOR, "#unit-vatNumber-messages p.error").text
    # In the UI language only: no Arabic line under the English one.
    assert "VAT" in error, error
    assert not ARABIC_LETTER.search(error), error
    # No other input complains about the values above.
    for field in GOOD:
        assert not shown_now(home, f"#unit-{field}-messages p.error"), field
    home.save_screenshot(str(OUTPUT / "units-bad-vat-en.png"))

    # Saving with the bad VAT saves nothing and takes the keyboard to the VAT box.
    home.find_element(By.ID, "unit-save").click()
    home.find_element(By.ID, "unit-fix-first")
    assert home.switch_to.active_element.get_attribute("id") == "unit-vatNumber"

    type_into(home, "vatNumber", GOOD_VAT)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: not vat_error_shown(d))
    assert GOOD_VAT in home.find_element(By.ID, "csr-preview").text

    # Keyboard only: Enter in a field submits the form.
    home.find_element(By.ID, "unit-businessCategory").send_keys(Keys.ENTER)
    pem = home.find_element(By.ID, "csr-pem").get_attribute("value")
    assert pem.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert home.find_element(By.ID, "csr-base64").get_attribute("value").startswith("LS0tLS1CRUdJTi")
    # Its label says what it is for in plain words, not as an API route.
    label = home.find_element(By.CSS_SELECTOR, "label[for=csr-base64]").text
    assert label == "CSR (base64 of the PEM, as it is sent to ZATCA)", label

    listed = home.find_element(By.CSS_SELECTOR, "#units-list li")
    assert GOOD["commonName"] in listed.text
    assert listed.find_element(By.CSS_SELECTOR, ".status").get_attribute("data-awaiting-otp") == "true"
    assert "OTP" in listed.text

    page = home.page_source
    assert "PRIVATE KEY" not in page
    with app_database(data_dir) as db:
        (stored_pem,) = db.execute(
            "SELECT csr_pem FROM unit_keys JOIN units ON units.id = unit_keys.unit_id "
            "WHERE units.common_name = ? AND unit_keys.environment = 'local'",
            (GOOD["commonName"],),
        ).fetchone()
    assert stored_pem.strip() == pem.strip()
    home.execute_script("document.getElementById('unit-saved').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "units-saved-en.png"))



def test_units_form_in_arabic(home):
    home.find_element(By.ID, "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(
        lambda d: d.execute_script("return document.documentElement.dir") == "rtl"
    )
    open_units(home)
    assert home.find_element(By.CSS_SELECTOR, "label[for=unit-vatNumber]").text == "رقم تسجيل ضريبة القيمة المضافة"
    type_into(home, "organizationName", "شركة السرعة القصوى المحدودة")
    type_into(home, "vatNumber", BAD_VAT)
    WebDriverWait(home, WAIT_SECONDS).until(vat_error_shown)
    error = home.find_element(By.CSS_SELECTOR, "#unit-vatNumber-messages p.error").text
    assert "الرقم الضريبي" in error, error
    # No English left in Arabic mode: the core's message has no Latin letter.
    assert not LATIN_LETTER.search(error), error
    assert home.find_element(By.ID, "unit-vatNumber").get_attribute("dir") == "ltr"
    home.save_screenshot(str(OUTPUT / "units-form-ar.png"))
    home.execute_script("document.getElementById('units-list').scrollIntoView()")
    assert "بانتظار رمز التحقق" in home.find_element(By.ID, "units-list").text
    home.save_screenshot(str(OUTPUT / "units-list-ar.png"))


KEYBOARD_UNIT = dict(GOOD, commonName="TST-KEYBOARD-399999999900003", organizationUnit="Dammam Branch")
FORM_ORDER = ["organizationName", "vatNumber", "organizationUnit", "commonName", "serial", "invoiceTypes", "address", "businessCategory"]


def focused(driver) -> str:
    return driver.switch_to.active_element.get_attribute("id")


def press(driver, *keys) -> None:
    ActionChains(driver).send_keys(*keys).perform()


def retype(driver, text: str) -> None:
    """Replaces the focused input's text, as Ctrl+A then typing does."""
    box = driver.switch_to.active_element
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(text)


def fill_with_the_keyboard(driver, values: dict) -> None:
    """From the Back button: Tab into each input in order and type its value
    (select-all first, so a second pass replaces what is there)."""
    assert focused(driver) == "units-back"
    for field in FORM_ORDER:
        press(driver, Keys.TAB)
        assert focused(driver) == f"unit-{field}", (field, focused(driver))
        described = driver.switch_to.active_element.get_attribute("aria-describedby")
        assert driver.find_elements(By.ID, described), f"{field}: aria-describedby names no element"
        if field in values and field != "invoiceTypes":
            retype(driver, values[field])


def test_keyboard_only_from_home_to_a_saved_unit_then_reuse_or_replace_its_key(home, data_dir):
    # Home: Tab to the Units button (after the language switch), Enter.
    press(home, Keys.TAB)
    press(home, Keys.TAB)
    assert focused(home) == "open-units"
    press(home, Keys.ENTER)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == "units-title")
    press(home, Keys.TAB)

    fill_with_the_keyboard(home, dict(KEYBOARD_UNIT, vatNumber=BAD_VAT))
    press(home, Keys.TAB)
    assert focused(home) == "unit-save"
    press(home, Keys.ENTER)
    # Refused: the keyboard is taken to the field in error, which says why.
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == "unit-vatNumber")
    vat = home.switch_to.active_element
    assert vat.get_attribute("aria-invalid") == "true"
    assert "VAT" in home.find_element(By.ID, vat.get_attribute("aria-describedby")).text
    retype(home, GOOD_VAT)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: not vat_error_shown(d))
    press(home, Keys.ENTER)
    home.find_element(By.ID, "unit-saved")
    first_csr = home.find_element(By.ID, "csr-pem").get_attribute("value")
    assert first_csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    assert KEYBOARD_UNIT["commonName"] in home.find_element(By.ID, "units-list").text
    home.save_screenshot(str(OUTPUT / "units-keyboard-saved-en.png"))

    # The same unit again: "Change this unit or its key" brings the form back,
    # which asks whether to reuse or replace its key.
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == "unit-saved-title")
    home.execute_script("document.getElementById('unit-edit').focus()")
    press(home, Keys.ENTER)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == "unit-organizationName")
    home.execute_script("document.getElementById('units-back').focus()")
    fill_with_the_keyboard(home, KEYBOARD_UNIT)
    choice = home.find_element(By.ID, "unit-key-choice")
    assert "already has a key" in choice.text
    # A radio group is one Tab stop, at its checked option.
    press(home, Keys.TAB)
    assert focused(home) == "unit-key-reuse"
    assert home.find_element(By.ID, "unit-key-reuse").get_attribute("checked")
    press(home, Keys.ARROW_DOWN)
    assert focused(home) == "unit-key-replace"
    warning = home.find_element(By.ID, "unit-key-replace-hint")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: "warning" in warning.get_attribute("class"))
    assert "stops matching" in warning.text
    home.execute_script("document.getElementById('unit-key-choice').scrollIntoView({ block: 'center' })")
    home.save_screenshot(str(OUTPUT / "units-key-choice-en.png"))
    press(home, Keys.TAB)
    assert focused(home) == "unit-save"
    press(home, Keys.ENTER)
    home.find_element(By.ID, "unit-key-replaced")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.find_element(By.ID, "csr-pem").get_attribute("value") != first_csr)


def test_the_arabic_serial_hint_keeps_the_example_left_to_right(home):
    home.find_element(By.ID, "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")
    open_units(home)
    example = home.find_element(By.CSS_SELECTOR, "#unit-serial-messages .hint bdi[dir=ltr]")
    assert example.text == "1-TST|2-TST|3-ed22f1d8"
    # Drawn left to right: "1-TST" is left of "3-ed22f1d8".
    left, right = home.execute_script(
        """
        const bdi = arguments[0], range = document.createRange(), text = bdi.firstChild;
        const at = (start, end) => { range.setStart(text, start); range.setEnd(text, end); return range.getBoundingClientRect().left; };
        return [at(0, 5), at(text.length - 8, text.length)];
        """,
        example,
    )
    assert left < right


def save_unit(driver, data_dir, common_name: str) -> str:
    """Fills the form with GOOD under `common_name`, saves, and returns the unit's id."""
    open_units(driver)
    for field, value in dict(GOOD, commonName=common_name, vatNumber=GOOD_VAT).items():
        type_into(driver, field, value)
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: common_name in d.find_element(By.ID, "csr-preview").text)
    driver.find_element(By.ID, "unit-save").click()
    driver.find_element(By.ID, "unit-saved")
    with app_database(data_dir) as db:
        (unit_id,) = db.execute("SELECT id FROM units WHERE common_name = ?", (common_name,)).fetchone()
    return unit_id


def test_the_saved_outcome_comes_first_then_the_next_step_opens_the_wizard_on_the_unit(home, data_dir):
    unit_id = save_unit(home, data_dir, "TST-OUTCOME-399999999900003")
    # The outcome first, with the keyboard there: success and CSR, no form, no "already has a key".
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == "unit-saved-title")
    assert "TST-OUTCOME-399999999900003 is saved" in home.find_element(By.ID, "unit-saved-title").text
    assert not shown_now(home, "#unit-form") and not shown_now(home, "#unit-key-choice")
    top = home.execute_script("return document.getElementById('unit-saved').getBoundingClientRect().top")
    assert 0 <= top < home.execute_script("return window.innerHeight / 2"), top
    assert home.find_element(By.ID, "csr-pem").get_attribute("value").startswith("-----BEGIN CERTIFICATE REQUEST-----")
    home.save_screenshot(str(OUTPUT / "units-outcome-en.png"))

    home.find_element(By.ID, "unit-onboard").click()
    otp_for = home.find_element(By.CSS_SELECTOR, "#otp-form .note")
    assert "TST-OUTCOME-399999999900003" in otp_for.text, otp_for.text
    assert home.find_element(By.ID, "otp-input")
    with app_database(data_dir) as db:
        assert db.execute("SELECT count(*) FROM units WHERE id = ?", (unit_id,)).fetchone() == (1,)


def open_details(driver, unit_id: str):
    driver.find_element(By.ID, f"unit-{unit_id}-open").click()
    return driver.find_element(By.ID, f"unit-{unit_id}-details")


def test_a_saved_unit_opens_and_one_without_a_csid_is_deleted_with_its_key(home, data_dir):
    common_name = "TST-DELETE-ME-399999999900003"
    unit_id = save_unit(home, data_dir, common_name)
    key_name = f"unit/{unit_id}/local/private-key"
    require(keychain_secret(key_name) is not None, "the key is in the Secret Service (scripts/with-secret-service.sh)")
    saved_pem = home.find_element(By.ID, "csr-pem").get_attribute("value")

    details = open_details(home, unit_id)
    local = details.find_element(By.CSS_SELECTOR, "section[data-environment=local]")
    with app_database(data_dir) as db:
        (fingerprint,) = db.execute("SELECT public_key_sha256 FROM unit_keys WHERE unit_id = ?", (unit_id,)).fetchone()
    assert local.find_element(By.CSS_SELECTOR, ".fingerprint").text == fingerprint
    assert "not started" in local.find_element(By.CSS_SELECTOR, "dd[data-step]").text
    assert home.find_element(By.ID, f"unit-{unit_id}-local-csr-pem").get_attribute("value") == saved_pem
    assert home.find_element(By.ID, f"unit-{unit_id}-onboard").text == "Onboard this unit"

    # Delete asks first, naming the unit; "Keep it" keeps it.
    home.find_element(By.ID, f"unit-{unit_id}-delete").click()
    confirm = home.find_element(By.ID, f"unit-{unit_id}-confirm")
    assert f"Delete {common_name}?" in confirm.text and "cannot be undone" in confirm.text
    assert focused(home) == f"unit-{unit_id}-delete-no"
    home.execute_script("arguments[0].scrollIntoView({ block: 'center' })", confirm)
    home.save_screenshot(str(OUTPUT / "units-delete-confirm-en.png"))
    home.find_element(By.ID, f"unit-{unit_id}-delete-no").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == f"unit-{unit_id}-delete")
    assert keychain_secret(key_name) is not None

    home.find_element(By.ID, f"unit-{unit_id}-delete").click()
    yes = home.find_element(By.ID, f"unit-{unit_id}-delete-yes")
    assert yes.text == f"Delete {common_name}"
    yes.click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: focused(d) == "unit-deleted")
    assert home.find_element(By.ID, "unit-deleted").text == f"{common_name} was deleted, with its keys."
    assert not shown_now(home, f"li[data-unit-id='{unit_id}']")
    with app_database(data_dir) as db:
        assert db.execute("SELECT count(*) FROM units WHERE id = ?", (unit_id,)).fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM unit_keys WHERE unit_id = ?", (unit_id,)).fetchone() == (0,)
    assert keychain_secret(key_name) is None, "the key left the keychain"


def test_a_unit_with_an_issued_csid_says_why_it_cannot_be_deleted_in_both_languages(home, data_dir):
    unit_id = save_unit(home, data_dir, "TST-ISSUED-399999999900003")
    with app_database(data_dir, writable=True) as db:
        db.execute("UPDATE unit_keys SET csid_issued_at = '2026-01-02T03:04:05.000Z' WHERE unit_id = ?", (unit_id,))
    home.find_element(By.ID, "units-back").click()
    open_units(home)
    details = open_details(home, unit_id)
    kept = home.find_element(By.ID, f"unit-{unit_id}-kept").text
    assert "cannot be deleted" in kept and "Nothing was deleted" in kept, kept
    assert not shown_now(home, f"#unit-{unit_id}-delete")
    assert "CSID issued" in details.find_element(By.CSS_SELECTOR, "section[data-environment=local] dd[data-step]").text

    home.find_element(By.ID, "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")
    kept = home.find_element(By.ID, f"unit-{unit_id}-kept").text
    assert "لا يمكن حذف" in kept, kept
    assert "صدر معرّف الختم التشفيري" in details.text
    home.execute_script("arguments[0].scrollIntoView({ block: 'center' })", details)
    home.save_screenshot(str(OUTPUT / "units-kept-ar.png"))


def test_arabic_indic_serial_digits_are_shown_as_the_csr_gets_them_and_fields_have_help(home):
    open_units(home)
    assert "registered with ZATCA" in messages_under(home, "organizationName")
    assert "branch" in messages_under(home, "organizationUnit")
    assert "none of your other units" in messages_under(home, "commonName")
    type_into(home, "serial", "١-TST|٢-TST|3-٤٥۶")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: "1-TST|2-TST|3-456" in d.find_element(By.ID, "csr-preview").text)
    note = home.find_element(By.CSS_SELECTOR, "#unit-serial-messages [data-western-digits]").text
    assert note == "Written into the CSR with Western digits: 1-TST|2-TST|3-456", note
    assert "٤" not in home.find_element(By.ID, "csr-preview").text, "never an Arabic-Indic digit in the CSR"

    home.find_element(By.ID, "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")
    note = home.find_element(By.CSS_SELECTOR, "#unit-serial-messages [data-western-digits]").text
    assert "بالأرقام الغربية" in note and "1-TST|2-TST|3-456" in note, note
    home.execute_script("document.getElementById('unit-serial').scrollIntoView({ block: 'center' })")
    home.save_screenshot(str(OUTPUT / "units-serial-digits-ar.png"))
