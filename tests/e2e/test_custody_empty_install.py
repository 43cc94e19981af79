"""A backup restored into an empty install, as on a new computer: the app
with units backs up; a second app starts on a fresh data folder and in its
own Secret Service (its own D-Bus session and gnome-keyring, so none of the
units' keys is there and the first app's keychain is out of its reach),
restores the file without being asked to replace anything, then shows the
units in their state, and exports one: its private key, read from the new
keychain, matches its certificate. English and Arabic."""

import subprocess
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import OUTPUT, REPO, WAIT_SECONDS, app_environment, app_session, first_shown, shown_now
from file_chooser import choose_path
from test_custody import BACKUP_PASSPHRASE, EXPORT_PASSPHRASE, onboarded_unit, open_custody, screenshot, type_into

EMPTY_CN = "TST-886431145-empty-install"

TEXT = {
    "en": {
        "nothing_to_replace": "This computer holds no unit yet, so nothing is replaced.",
        "restored": "Restored the backup made",
        "export_title": "Choose the folder for the export",
        "listed": "CSID issued",
        "fleet_state": "Issued",
    },
    "ar": {
        "nothing_to_replace": "لا توجد وحدات على هذا الحاسوب بعد، فلن يُستبدل شيء.",
        "restored": "استُعيدت النسخة الاحتياطية المنشأة في",
        "export_title": "اختر مجلد التصدير",
        "listed": "صدر معرّف الختم التشفيري (CSID)",
        "fleet_state": "صادر",
    },
}


@pytest.fixture(scope="module")
def issued_unit(driver, data_dir):
    with onboarded_unit(data_dir, EMPTY_CN, "1-TST|2-TST|3-empty-install", "custody-empty") as unit_id:
        yield unit_id


@pytest.fixture
def fresh_app(tmp_path):
    """The app on an empty data folder, in a Secret Service of its own."""
    app_home = tmp_path / "fresh-home"
    data_dir = app_home / "fatoora-onboard"
    wrapper = (str(REPO / "scripts" / "with-secret-service.sh"),)
    with app_session(app_environment(app_home, data_dir), name="tauri-driver-fresh", wrapper=wrapper) as session:
        session.find_element(By.ID, "app-version")
        yield session, data_dir


def back_up(home, destination: Path) -> None:
    open_custody(home)
    type_into(home, "backup-path", str(destination))
    type_into(home, "backup-passphrase", BACKUP_PASSPHRASE)
    type_into(home, "backup-repeated", BACKUP_PASSPHRASE)
    home.find_element(By.ID, "backup-submit").click()
    assert first_shown(home, "backup-done", "custody-backup-error") == "backup-done", home.find_element(By.ID, "custody-backup-error").text


def set_language(driver, language: str) -> None:
    answer = driver.execute_async_script(
        """
        const [language, done] = arguments;
        window.__TAURI_INTERNALS__.invoke("set_language", { language }).then(() => done("ok"), (error) => done(String(error)));
        """,
        language,
    )
    assert answer == "ok", answer
    driver.refresh()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.lang") == language)
    driver.find_element(By.ID, "app-version")


def openssl(*args: str) -> bytes:
    done = subprocess.run(["openssl", *args], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("language", ["en", "ar"])
def test_restore_into_an_empty_install(home, issued_unit, fresh_app, tmp_path, language):
    text = TEXT[language]
    backup_file = tmp_path / "from-the-old-computer.fobak"
    # The old computer's user read the other language: the backup holds
    # that choice, and the restore leaves this computer's as it is.
    set_language(home, "ar" if language == "en" else "en")
    back_up(home, backup_file)

    fresh, fresh_data = fresh_app
    set_language(fresh, language)
    open_custody(fresh)
    # Nothing here to replace, so nothing to confirm.
    assert fresh.find_element(By.ID, "restore-nothing-to-replace").text == text["nothing_to_replace"]
    assert not shown_now(fresh, "#restore-replace")
    fresh.find_element(By.ID, "export-none")
    type_into(fresh, "restore-path", str(backup_file))
    type_into(fresh, "restore-passphrase", BACKUP_PASSPHRASE)
    assert fresh.find_element(By.ID, "restore-submit").is_enabled(), "no confirmation is asked for"
    fresh.find_element(By.ID, "restore-submit").click()
    assert first_shown(fresh, "restore-done", "custody-restore-error") == "restore-done", fresh.find_element(By.ID, "custody-restore-error").text
    assert text["restored"] in fresh.find_element(By.ID, "restore-done").text
    screenshot(fresh, "restore-done", f"empty-install-restored-{language}")
    # The language stored now is this computer's: a reload comes back in
    # it (read from the store with the version line).
    fresh.refresh()
    fresh.find_element(By.ID, "app-version")
    assert fresh.execute_script("return document.documentElement.lang") == language
    open_custody(fresh)

    # The restored unit's key is in the new keychain: exporting reads it.
    WebDriverWait(fresh, WAIT_SECONDS).until(lambda d: d.find_elements(By.ID, "export-unit"))
    # Other tests' issued units may be in the backup too.
    Select(fresh.find_element(By.ID, "export-unit")).select_by_value(issued_unit)
    exports = tmp_path / "exports"
    exports.mkdir()
    choose_path(fresh, "export-folder-choose", text["export_title"], exports, screenshot=f"custody-chooser-folder-{language}")
    WebDriverWait(fresh, WAIT_SECONDS).until(lambda d: d.find_element(By.ID, "export-folder").get_attribute("value") == str(exports))
    type_into(fresh, "export-passphrase", EXPORT_PASSPHRASE)
    type_into(fresh, "export-repeated", EXPORT_PASSPHRASE)
    fresh.find_element(By.ID, "export-understood").click()
    fresh.find_element(By.ID, "export-submit").click()
    assert first_shown(fresh, "export-done", "custody-export-error") == "export-done", fresh.find_element(By.ID, "custody-export-error").text
    folder = Path(fresh.find_element(By.CSS_SELECTOR, "#export-done bdi.path").text)
    assert folder.parent == exports and folder.name.startswith(f"{EMPTY_CN}-local-"), folder
    screenshot(fresh, "export-done", f"empty-install-exported-{language}")
    key_public = openssl("pkey", "-in", str(folder / "private-key.pem"), "-passin", f"pass:{EXPORT_PASSPHRASE}", "-pubout")
    cert_public = openssl("x509", "-in", str(folder / "certificate.pem"), "-noout", "-pubkey")
    assert key_public.startswith(b"-----BEGIN PUBLIC KEY-----") and key_public == cert_public

    # The units list and the fleet show the unit in its state.
    fresh.find_element(By.ID, "custody-back").click()
    fresh.find_element(By.ID, "open-units").click()
    row = fresh.find_element(By.CSS_SELECTOR, f"#units-list li[data-unit-id='{issued_unit}']")
    assert EMPTY_CN in row.text and text["listed"] in row.text, row.text
    fresh.find_element(By.ID, "units-back").click()
    fresh.find_element(By.ID, "open-fleet").click()
    state = fresh.find_element(By.CSS_SELECTOR, f"#fleet-panel-overview tr[data-unit-id='{issued_unit}'][data-environment='local']")
    assert state.get_attribute("data-state") == "issued"
    assert text["fleet_state"] in state.text, state.text
    fresh.execute_script("arguments[0].scrollIntoView({block: 'center'})", state)
    fresh.save_screenshot(str(OUTPUT / f"empty-install-fleet-{language}.png"))

    # Neither passphrase reached the new install's logs.
    logs = "".join(log.read_text(errors="replace") for log in (fresh_data / "logs").glob("*.log*"))
    assert logs, "the app writes a log file"
    assert BACKUP_PASSPHRASE not in logs and EXPORT_PASSPHRASE not in logs
