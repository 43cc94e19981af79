"""The Custody screen in the real app: back up everything, restore (wrong
passphrase refused with the core's message and nothing changed; the right one
brings back the state of the backup), export one unit's credentials and check
the files with OpenSSL; English and Arabic. A unit with a production CSID is
onboarded through the CLI binary against the local simulator serving the
app's data folder, under the same Secret Service as the app.

Secrets rule: the passphrases, the private key and the CSID secret are in no
command's answer, not in the page, the log files or the database."""

import json
import os
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import OUTPUT, REPO, WAIT_SECONDS, app_database, first_shown

VAT = "399999999900003"
ISSUED_CN = "TST-886431145-custody-e2e"
LATER_CN = "TST-886431145-after-backup"
BACKUP_PASSPHRASE = "e2e backup passphrase kept apart 2026"
EXPORT_PASSPHRASE = "e2e export passphrase for the p12"
WRONG_PASSPHRASE = "not the backup passphrase at all"


def cli_binary() -> Path:
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "debug" / "fatoora-onboard"
    if not binary.is_file():
        pytest.fail(f"no CLI binary at {binary}: cargo build -p fatoora-onboard-cli")
    return binary


def cli(data_dir: Path, *args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "FATOORA_ONBOARD_BACKUP_PASSPHRASE"}
    environment.update(FATOORA_ONBOARD_HOME=str(data_dir), **(env or {}))
    done = subprocess.run([str(cli_binary()), *args], env=environment, capture_output=True, text=True, timeout=120)
    if check:
        assert done.returncode == 0, f"fatoora-onboard {' '.join(args)}: {done.stdout}{done.stderr}"
    return done


def new_csr(data_dir: Path, common_name: str, serial: str) -> None:
    cli(data_dir, "csr", "new", "--env", "local", "--vat", VAT, "--common-name", common_name,
        "--org", "Maximum Speed Tech Supply LTD", "--unit", "Riyadh Branch", "--serial", serial,
        "--invoice-types", "1100", "--address", "RRRD2929", "--category", "Supply activities")


def unit_names(data_dir: Path) -> set[str]:
    with app_database(data_dir) as db:
        return {row[0] for row in db.execute("SELECT common_name FROM units")}


@contextmanager
def onboarded_unit(data_dir: Path, common_name: str, serial: str, log_name: str):
    """A unit with a production CSID in `local`, onboarded by the CLI against
    the simulator of `data_dir` (the app's own, if it started one; otherwise
    one the CLI serves while the block runs). Gives the unit's id."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = OUTPUT / f"{log_name}-simulator.log"
    with open(log, "w") as log_file:
        simulator = subprocess.Popen(
            [str(cli_binary()), "--json", "simulator", "--listen", "127.0.0.1:0"],
            env=dict(os.environ, FATOORA_ONBOARD_HOME=str(data_dir)),
            stdout=subprocess.PIPE, stderr=log_file, text=True,
        )
    # The first line says where it listens; a second simulator on the same
    # folder refuses to start and the app's serves instead.
    first_line = simulator.stdout.readline()
    if simulator.poll() is not None and "already" not in log.read_text().lower():
        pytest.fail(f"the simulator did not start: {first_line}{log.read_text()}")
    try:
        new_csr(data_dir, common_name, serial)
        minted = cli(data_dir, "--json", "simulator", "otp", "--env", "local", "--vat", VAT)
        otp = re.search(r"\b\d{6}\b", minted.stdout).group(0)
        cli(data_dir, "onboard", "--unit", common_name, "--otp", otp, "--env", "local", "--otp-age", "1", "--otp-portal", "local")
        units = json.loads(cli(data_dir, "--json", "units", "list").stdout)
        yield next(unit["id"] for unit in units if unit["profile"]["commonName"] == common_name)
    finally:
        if simulator.poll() is None:
            simulator.terminate()
            simulator.wait(timeout=WAIT_SECONDS)


@pytest.fixture(scope="module")
def issued_unit(driver, data_dir):
    with onboarded_unit(data_dir, ISSUED_CN, "1-TST|2-TST|3-custody-e2e", "custody") as unit_id:
        yield unit_id


def open_custody(driver):
    driver.find_element(By.ID, "open-custody").click()
    driver.find_element(By.ID, "custody-environment")


def type_into(driver, element_id: str, text: str) -> None:
    box = driver.find_element(By.ID, element_id)
    box.clear()
    # Typed as text: Selenium would otherwise upload a path that exists.
    with driver.file_detector_context(UselessFileDetector):
        box.send_keys(text)


def screenshot(driver, element_id: str, name: str) -> None:
    driver.execute_script("document.getElementById(arguments[0]).scrollIntoView({block: 'center'})", element_id)
    driver.save_screenshot(str(OUTPUT / f"custody-{name}.png"))


def test_backup_then_restore_brings_back_the_backed_up_units(home, data_dir, issued_unit, tmp_path):
    open_custody(home)
    # Suggested outside the app's data folder, which a backup must outlive.
    suggested = Path(home.find_element(By.ID, "backup-path").get_attribute("value"))
    assert suggested.is_absolute() and data_dir not in suggested.parents, suggested
    # A common password is weak however long; the hint says why.
    type_into(home, "backup-passphrase", "password1234")
    strength = home.find_element(By.ID, "backup-strength")
    assert strength.get_attribute("data-strength") == "weak", strength.text
    assert "Easy to guess" in strength.text
    assert "warning" in strength.get_attribute("class")
    backup_file = tmp_path / "everything.fobak"
    type_into(home, "backup-path", str(backup_file))
    type_into(home, "backup-passphrase", "short")
    assert home.find_element(By.ID, "backup-strength").get_attribute("data-strength") == "tooShort"
    type_into(home, "backup-passphrase", BACKUP_PASSPHRASE)
    assert home.find_element(By.ID, "backup-strength").get_attribute("data-strength") == "strong"
    type_into(home, "backup-repeated", BACKUP_PASSPHRASE + "x")
    assert not home.find_element(By.ID, "backup-submit").is_enabled(), "different passphrases cannot be sent"
    assert home.find_element(By.ID, "backup-repeated").get_attribute("aria-invalid") == "true"
    type_into(home, "backup-repeated", BACKUP_PASSPHRASE)
    screenshot(home, "custody-backup-title", "backup-form-en")
    home.find_element(By.ID, "backup-submit").click()
    assert first_shown(home, "backup-done", "custody-backup-error") == "backup-done", home.find_element(By.ID, "custody-backup-error").text
    assert str(backup_file) in home.find_element(By.ID, "backup-done").text
    assert home.find_element(By.ID, "backup-passphrase").get_attribute("value") == "", "the passphrase is cleared"
    screenshot(home, "backup-done", "backup-done-en")

    # The file restores with the CLI into another folder, keys into the same Secret Service.
    elsewhere = tmp_path / "elsewhere"
    restored = cli(elsewhere, "--json", "restore", "--from", str(backup_file), env={"FATOORA_ONBOARD_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE})
    assert json.loads(restored.stdout)["units"] >= 1
    assert ISSUED_CN in unit_names(elsewhere)

    # After the backup the user adds a unit; restoring brings back the backup's state.
    new_csr(data_dir, LATER_CN, "1-TST|2-TST|3-after-backup")
    before = unit_names(data_dir)
    assert LATER_CN in before

    assert home.find_element(By.ID, "restore-path").get_attribute("value") == str(backup_file), "the new backup is offered"
    type_into(home, "restore-passphrase", WRONG_PASSPHRASE)
    assert not home.find_element(By.ID, "restore-submit").is_enabled(), "restore needs the replace confirmation"
    home.find_element(By.ID, "restore-replace").click()
    home.find_element(By.ID, "restore-submit").click()
    assert first_shown(home, "custody-restore-error", "restore-done") == "custody-restore-error"
    refusal = home.find_element(By.ID, "custody-restore-error").text
    assert "Nothing was restored or overwritten" in refusal, refusal
    assert not re.search("[\u0600-\u06FF]", refusal), "in the UI language only: " + refusal
    assert unit_names(data_dir) == before, "a refused restore changes nothing"
    screenshot(home, "custody-restore-error", "restore-refused-en")

    type_into(home, "restore-passphrase", BACKUP_PASSPHRASE)
    home.find_element(By.ID, "restore-submit").click()
    assert first_shown(home, "restore-done", "custody-restore-error") == "restore-done", home.find_element(By.ID, "custody-restore-error").text
    after = unit_names(data_dir)
    assert ISSUED_CN in after and LATER_CN not in after
    screenshot(home, "restore-done", "restore-done-en")
    # The app's own connection was reopened on the restored database.
    home.find_element(By.ID, "custody-back").click()
    home.find_element(By.ID, "open-units").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: ISSUED_CN in d.find_element(By.ID, "units-list").text)
    assert LATER_CN not in home.find_element(By.ID, "units-list").text


def openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, timeout=60)


def export(driver, folder: Path, plain: bool) -> dict:
    type_into(driver, "export-folder", str(folder))
    if plain:
        driver.find_element(By.ID, "export-plain").click()
        if not driver.find_element(By.ID, "export-understood").is_selected():
            driver.find_element(By.ID, "export-understood").click()
        assert not driver.find_element(By.ID, "export-submit").is_enabled(), "a plain key needs the second confirmation"
        driver.find_element(By.ID, "export-plain-confirm").click()
    else:
        driver.find_element(By.ID, "export-encrypted").click()
        type_into(driver, "export-passphrase", EXPORT_PASSPHRASE)
        type_into(driver, "export-repeated", EXPORT_PASSPHRASE)
        if not driver.find_element(By.ID, "export-understood").is_selected():
            driver.find_element(By.ID, "export-understood").click()
    driver.find_element(By.ID, "export-submit").click()
    assert first_shown(driver, "export-done", "custody-export-error") == "export-done", driver.find_element(By.ID, "custody-export-error").text
    files = {li.get_attribute("data-file"): li.get_attribute("data-sensitive") == "true"
             for li in driver.find_elements(By.CSS_SELECTOR, "#export-files li")}
    exported = Path(driver.find_element(By.CSS_SELECTOR, "#export-done bdi.path").text)
    return {"folder": exported, "files": files}


def test_export_writes_files_that_openssl_reads(home, data_dir, issued_unit, tmp_path):
    open_custody(home)
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.find_elements(By.ID, "export-unit"))
    # Units other test files issued may come first in the list.
    Select(home.find_element(By.ID, "export-unit")).select_by_value(issued_unit)
    assert "sign invoices" in home.find_element(By.ID, "export-warning").text
    assert not home.find_element(By.ID, "export-submit").is_enabled(), "nothing is exported before the warning is acknowledged"

    encrypted = export(home, tmp_path / "exports", plain=False)
    screenshot(home, "export-done", "export-encrypted-en")
    folder = encrypted["folder"]
    # Named after the unit the user knows, not its internal id.
    assert folder.name.startswith(f"{ISSUED_CN}-local-"), folder.name
    assert issued_unit not in folder.name
    assert folder.parent == tmp_path / "exports"
    assert {"certificate.pem", "certificate-token.txt", "secret.txt", "private-key.pem", "certificate-and-key.p12", "manifest.json"} <= set(encrypted["files"])
    assert encrypted["files"]["certificate-and-key.p12"] and not encrypted["files"]["certificate.pem"]
    assert "ec-secp256k1-priv-key.pem" not in encrypted["files"], "no plain key without insisting"
    assert (folder / "private-key.pem").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")

    p12, passin = str(folder / "certificate-and-key.p12"), f"pass:{EXPORT_PASSPHRASE}"
    info = openssl("pkcs12", "-info", "-in", p12, "-passin", passin, "-noout")
    assert info.returncode == 0, info.stderr
    assert b"AES-256-CBC" in info.stderr + info.stdout
    key_from_p12 = openssl("pkcs12", "-in", p12, "-passin", passin, "-nocerts", "-nodes")
    key_path = tmp_path / "from-p12.key"
    key_path.write_bytes(key_from_p12.stdout)
    key_public = openssl("pkey", "-in", str(key_path), "-pubout")
    cert_public = openssl("x509", "-in", str(folder / "certificate.pem"), "-noout", "-pubkey")
    encrypted_key_public = openssl("pkey", "-in", str(folder / "private-key.pem"), "-passin", passin, "-pubout")
    assert key_public.returncode == 0 and key_public.stdout.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert key_public.stdout == cert_public.stdout == encrypted_key_public.stdout, "the keys match the certificate"
    fingerprint = home.find_element(By.ID, "export-fingerprint").text
    assert re.fullmatch(r"[0-9a-f]{64}", fingerprint), fingerprint

    plain = export(home, tmp_path / "exports", plain=True)
    screenshot(home, "export-done", "export-plain-en")
    assert {"cert.pem", "ec-secp256k1-priv-key.pem", "private-key.pem", "secret.txt"} <= set(plain["files"])
    assert plain["files"]["ec-secp256k1-priv-key.pem"]
    plain_key = plain["folder"] / "private-key.pem"
    assert openssl("pkey", "-in", str(plain_key), "-pubout").stdout == cert_public.stdout

    assert_no_secret_leaked(home, data_dir, issued_unit, plain["folder"], tmp_path)


def invoke(driver, command: str, args: dict):
    return driver.execute_async_script(
        """
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args).then(
          (value) => done({ ok: value ?? null }), (error) => done({ refused: error }));
        """,
        command, args,
    )


def assert_no_secret_leaked(driver, data_dir: Path, unit_id: str, plain_export: Path, tmp_path: Path) -> None:
    csid_secret = (plain_export / "secret.txt").read_text().strip()
    key_lines = [line for line in (plain_export / "private-key.pem").read_text().splitlines() if "-----" not in line]
    # The commands' answers, called the way the UI calls them.
    answers = [
        invoke(driver, "custody_setup", {}),
        invoke(driver, "backup_everything", {"destination": str(tmp_path / "leak.fobak"), "passphrase": BACKUP_PASSPHRASE, "repeated": BACKUP_PASSPHRASE}),
        invoke(driver, "restore_backup", {"source": str(tmp_path / "leak.fobak"), "passphrase": WRONG_PASSPHRASE, "replace": True}),
        invoke(driver, "export_credentials", {"request": {
            "unitId": unit_id, "folder": str(tmp_path / "leak"), "passphrase": EXPORT_PASSPHRASE, "repeated": EXPORT_PASSPHRASE,
            "understood": True, "insistPlain": False, "plainConfirmed": False}}),
        invoke(driver, "export_credentials", {"request": {
            "unitId": unit_id, "folder": str(tmp_path / "leak"), "passphrase": "", "repeated": "",
            "understood": True, "insistPlain": True, "plainConfirmed": True}}),
    ]
    assert all("ok" in answer for answer in answers[:2] + answers[3:]), answers
    assert "refused" in answers[2]
    # The command itself insists on the warning and on the second confirmation, whatever the UI does.
    request = {"unitId": unit_id, "folder": str(tmp_path / "refused"), "passphrase": "", "repeated": "",
               "understood": False, "insistPlain": True, "plainConfirmed": True}
    unwarned = invoke(driver, "export_credentials", {"request": request})
    unconfirmed = invoke(driver, "export_credentials", {"request": dict(request, understood=True, plainConfirmed=False)})
    assert "sign invoices" in unwarned["refused"]["message"]["en"]
    assert "second confirmation" in unconfirmed["refused"]["message"]["en"]
    assert not (tmp_path / "refused").exists()
    answers += [unwarned, unconfirmed]
    secrets = [BACKUP_PASSPHRASE, EXPORT_PASSPHRASE, WRONG_PASSPHRASE, csid_secret, *key_lines]
    places = {"command answers": json.dumps(answers, ensure_ascii=False), "page": driver.page_source}
    for log in sorted((data_dir / "logs").glob("*.log*")):
        places[f"log {log.name}"] = log.read_text(errors="replace")
    for database in data_dir.glob("fatoora-onboard.sqlite3*"):
        places[f"store {database.name}"] = database.read_bytes().decode("latin-1")
    assert any(name.startswith("log ") for name in places), "the app writes a log file"
    for place, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a secret ({len(secret)} characters) is in the {place}"
    assert "PRIVATE KEY" not in places["command answers"] and "PRIVATE KEY" not in places["page"]


def test_custody_in_arabic_shows_the_refusal_in_arabic_only(home, data_dir, issued_unit, tmp_path):
    home.find_element(By.ID, "language-switch").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")
    open_custody(home)
    assert home.find_element(By.ID, "custody-title").text == "النسخ الاحتياطي والاستعادة والتصدير"
    assert home.find_element(By.ID, "backup-path").get_attribute("dir") == "ltr"
    type_into(home, "backup-passphrase", "قصيرة")
    assert "قصيرة جدًا" in home.find_element(By.ID, "backup-strength").text
    type_into(home, "backup-passphrase", "password1234")
    assert "سهلة التخمين" in home.find_element(By.ID, "backup-strength").text
    screenshot(home, "custody-backup-title", "backup-form-ar")

    backup_file = tmp_path / "arabic.fobak"
    cli(data_dir, "backup", "--to", str(backup_file), env={"FATOORA_ONBOARD_BACKUP_PASSPHRASE": BACKUP_PASSPHRASE})
    type_into(home, "restore-path", str(backup_file))
    type_into(home, "restore-passphrase", WRONG_PASSPHRASE)
    home.find_element(By.ID, "restore-replace").click()
    home.find_element(By.ID, "restore-submit").click()
    assert first_shown(home, "custody-restore-error", "restore-done") == "custody-restore-error"
    refusal = home.find_element(By.ID, "custody-restore-error").text
    assert "لم يُستعد أو يُستبدل أي شيء" in refusal, refusal
    # No English left in Arabic mode (the core's wording has no Latin letter).
    assert not re.search("[A-Za-z]", refusal), refusal
    screenshot(home, "custody-restore-error", "restore-refused-ar")

    home.find_element(By.ID, "export-plain").click()
    home.find_element(By.ID, "export-plain-confirm")
    assert "دون أي حماية" in home.find_element(By.CSS_SELECTOR, "label:has(#export-plain-confirm)").text
    screenshot(home, "export-warning", "export-form-ar")

    encrypted = export(home, tmp_path / "exports", plain=False)
    assert "certificate-and-key.p12" in encrypted["files"]
    assert "PKCS#12" in home.find_element(By.CSS_SELECTOR, "#export-files li[data-file='certificate-and-key.p12']").text
    screenshot(home, "export-done", "export-done-ar")
