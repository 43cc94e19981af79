"""The Custody screen's "Choose…" buttons in the real app: each opens the
system's file chooser (GTK's, driven with xdotool: file_chooser.py), the
path picked there fills the field, and the backup, restore or export then
uses it; Escape leaves the field as it was. English and Arabic."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import WAIT_SECONDS, first_shown
from file_chooser import cancel_chooser, choose_path, entry_texts, open_chooser, whole_screen, xdotool
from test_custody import BACKUP_PASSPHRASE, cli, new_csr, open_custody, screenshot, type_into, unit_names

CHOOSER_CN = "TST-886431145-chooser-e2e"


@pytest.fixture(scope="module")
def a_unit(driver, data_dir):
    """A unit (key and CSR) in the app's data folder, so a restore there
    replaces something and asks first."""
    new_csr(data_dir, CHOOSER_CN, "1-TST|2-TST|3-chooser-e2e")
    return CHOOSER_CN


def value(driver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).get_attribute("value")


def test_the_chosen_backup_file_is_where_the_backup_goes(home, data_dir, a_unit, tmp_path):
    open_custody(home)
    suggested = value(home, "backup-path")
    assert suggested.endswith(".fobak"), suggested
    button = home.find_element(By.ID, "backup-path-choose")
    assert button.text == "Choose…"
    # Its name says which path it sets.
    assert button.accessible_name == "Choose… Backup file", button.accessible_name

    # The dialog starts from the suggestion: its name is in the name entry.
    open_chooser(home, "backup-path-choose", "Save the backup as")
    WebDriverWait(home, WAIT_SECONDS, poll_frequency=0.1).until(
        lambda _: Path(suggested).name in entry_texts("Save the backup as"), "the suggested name is not in the save dialog")
    whole_screen("custody-chooser-suggested-en")
    xdotool("key", "Escape")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.find_element(By.ID, "backup-path-choose").is_enabled())
    assert value(home, "backup-path") == suggested, "a cancelled dialog leaves the field alone"

    chosen = tmp_path / "chosen" / "picked.fobak"
    chosen.parent.mkdir()
    choose_path(home, "backup-path-choose", "Save the backup as", chosen, screenshot="custody-chooser-save-en")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: value(d, "backup-path") == str(chosen))
    type_into(home, "backup-passphrase", BACKUP_PASSPHRASE)
    type_into(home, "backup-repeated", BACKUP_PASSPHRASE)
    home.find_element(By.ID, "backup-submit").click()
    assert first_shown(home, "backup-done", "custody-backup-error") == "backup-done", home.find_element(By.ID, "custody-backup-error").text
    assert chosen.stat().st_size > 0
    assert str(chosen) in home.find_element(By.ID, "backup-done").text
    screenshot(home, "backup-done", "chooser-backup-done-en")


def test_the_chosen_backup_is_what_is_restored(home, data_dir, a_unit, tmp_path):
    backup_file = tmp_path / "to-restore.fobak"
    cli(data_dir, "backup", "--to", str(backup_file), env={"FATOORA_ONBOARD_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE})
    units_in_backup = unit_names(data_dir)
    assert a_unit in units_in_backup
    open_custody(home)
    typed = "/typed/by/hand.fobak"
    type_into(home, "restore-path", typed)

    cancel_chooser(home, "restore-path-choose", "Choose the backup to restore")
    assert value(home, "restore-path") == typed, "a cancelled dialog leaves the field alone"

    choose_path(home, "restore-path-choose", "Choose the backup to restore", backup_file, screenshot="custody-chooser-open-en", opening=True)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: value(d, "restore-path") == str(backup_file))
    type_into(home, "restore-passphrase", BACKUP_PASSPHRASE)
    home.find_element(By.ID, "restore-replace").click()
    home.find_element(By.ID, "restore-submit").click()
    assert first_shown(home, "restore-done", "custody-restore-error") == "restore-done", home.find_element(By.ID, "custody-restore-error").text
    assert "Restored the backup made" in home.find_element(By.ID, "restore-done").text
    assert unit_names(data_dir) == units_in_backup
    screenshot(home, "restore-done", "chooser-restore-done-en")


def test_choose_in_arabic(home, data_dir, a_unit, tmp_path):
    home.find_element(By.ID, "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")
    open_custody(home)
    for field in ("backup-path", "restore-path"):
        assert home.find_element(By.ID, f"{field}-choose").text == "اختر…"
    assert home.find_element(By.ID, "backup-path-choose").accessible_name == "اختر… ملف النسخة الاحتياطية"
    # The path stays left to right beside its button.
    assert home.find_element(By.ID, "backup-path").get_attribute("dir") == "ltr"
    suggested = value(home, "backup-path")
    cancel_chooser(home, "backup-path-choose", "احفظ النسخة الاحتياطية باسم")
    assert value(home, "backup-path") == suggested

    chosen = tmp_path / "arabic.fobak"
    choose_path(home, "backup-path-choose", "احفظ النسخة الاحتياطية باسم", chosen, screenshot="custody-chooser-save-ar")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: value(d, "backup-path") == str(chosen))
    screenshot(home, "custody-backup-title", "chooser-backup-form-ar")
