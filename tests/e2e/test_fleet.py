"""The Fleet screen in the real app, against the in-process simulator:
CSV import (a bad row refused by line and column, Arabic names, valid rows
only, a key and CSR each), batch onboarding with a simulator fault mid-batch
and a retry of only the failed units, the overview's states, search and
filter, the expiry banner and its OS notification (once per threshold, and
said in the banner when no notification server answers), in English and
Arabic.

The tests run in file order and build on each other (import → batch →
expiry); each starts from the home screen.
"""

import json
import os
import select
import ssl
import subprocess
import sys
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, app_database, require, shown_now

VAT = "310122393500003"
TAXPAYER = "مؤسسة النخبة للتجارة"
HEADER = "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country"
ROWS = [
    f"{TAXPAYER},{VAT},فرع الرياض,POS-1-{VAT},1-FLT|2-POS|3-0001,1100,RRRD2929,Retail,SA",
    f"{TAXPAYER},{VAT},فرع جدة,POS-2-{VAT},1-FLT|2-POS|3-0002,1100,RRRD2929,Retail,SA",
    f"{TAXPAYER},{VAT},فرع الدمام,POS-3-{VAT},1-FLT|2-POS|3-0003,1100,RRRD2929,Retail,SA",
    # Line 5: a VAT number of five digits.
    "Bad VAT Co,12345,Branch,POS-X-12345,1-FLT|2-POS|3-0009,1100,RRRD2929,Retail,SA",
]
CSV = "\n".join([HEADER, *ROWS]) + "\n"
NOTIFICATION_SERVER = Path(__file__).with_name("notification_server.py")
NOTIFICATIONS = "org.freedesktop.Notifications"


def database(data_dir: Path):
    return app_database(data_dir, writable=True)


def my_units(data_dir: Path) -> list[str]:
    with database(data_dir) as db:
        return [row[0] for row in db.execute("SELECT id FROM units WHERE vat_number = ? ORDER BY common_name", (VAT,))]


class Simulator:
    """The simulator's admin API (the FATOORA portal's stand-in, faults):
    what `fatoora-onboard simulator otp|fault` use, over loopback HTTPS."""

    def __init__(self, data_dir: Path):
        folder = data_dir / "simulator"
        runtime = json.loads((folder / "simulator.json").read_text())
        self.origin = runtime["origin"]
        self.token = (folder / "admin-token").read_text().strip()
        self.tls = ssl.create_default_context(cafile=runtime["caCertPath"])

    def call(self, method: str, path: str, body=None):
        request = urllib.request.Request(
            f"{self.origin}/__admin/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=self.tls, timeout=WAIT_SECONDS) as answer:
            text = answer.read()
        return json.loads(text) if text else None

    def otps(self, count: int) -> list[str]:
        return self.call("POST", "otps", {"env": "local", "vat": VAT, "purpose": "onboard", "count": count})["otps"]

    def fault(self, rule):
        if rule is None:
            self.call("DELETE", "fault")
        else:
            self.call("PUT", "fault", rule)


def set_text(driver, element_id: str, text: str) -> None:
    """Types a whole block at once (as a paste would)."""
    driver.execute_script(
        "const box = document.getElementById(arguments[0]);"
        "box.value = arguments[1];"
        "box.dispatchEvent(new Event('input', { bubbles: true }));",
        element_id,
        text,
    )


def open_fleet(driver, tab: str = "overview"):
    driver.find_element(By.ID, "open-fleet").click()
    driver.find_element(By.ID, "fleet-environment")
    driver.find_element(By.ID, f"fleet-tab-{tab}").click()
    return driver.find_element(By.ID, f"fleet-panel-{tab}")


def shot(driver, name: str, scroll_to: str | None = None) -> None:
    if scroll_to:
        driver.execute_script("document.getElementById(arguments[0]).scrollIntoView()", scroll_to)
    driver.save_screenshot(str(OUTPUT / f"fleet-{name}.png"))


def test_csv_import_refuses_a_bad_row_then_imports_the_valid_rows_with_their_csrs(home, data_dir):
    open_fleet(home, "import")
    home.find_element(By.ID, "csv-show-template").click()
    template = home.find_element(By.ID, "csv-template").get_attribute("value")
    assert template.startswith(HEADER)
    home.find_element(By.ID, "csv-use-template").click()
    assert home.find_element(By.ID, "csv-text").get_attribute("value") == template

    set_text(home, "csv-text", CSV)
    home.find_element(By.ID, "csv-check").click()
    result = home.find_element(By.ID, "csv-result")
    assert "4 rows read, 3 valid" in result.text
    bad = home.find_element(By.CSS_SELECTOR, "#csv-result tr[data-line='5']")
    finding = bad.find_element(By.CSS_SELECTOR, "p.error[data-column='vat_number']")
    assert "line 5, column vat_number" in finding.text and "15 digits" in finding.text
    assert TAXPAYER in home.find_element(By.CSS_SELECTOR, "#csv-result tr[data-line='2']").text
    assert home.find_element(By.ID, "csv-has-errors").is_displayed()
    # Nothing is imported from a file with errors unless the user asks.
    assert not home.find_element(By.ID, "csv-import").is_enabled()
    shot(home, "import-errors-en", "csv-result")

    home.find_element(By.ID, "csv-valid-only").click()
    importer = home.find_element(By.ID, "csv-import")
    assert importer.is_enabled() and "Import 3 units" in importer.text
    importer.click()
    done = home.find_element(By.ID, "csv-done")
    assert "3 units imported" in done.text
    assert "Left out: line(s) 5." in done.text
    shot(home, "import-done-en", "csv-done")

    with database(data_dir) as db:
        names = [row[0] for row in db.execute("SELECT organization_name FROM units WHERE vat_number = ?", (VAT,))]
        csrs = db.execute(
            "SELECT count(*) FROM unit_keys JOIN units ON units.id = unit_keys.unit_id WHERE vat_number = ? AND csr_pem LIKE '-----BEGIN CERTIFICATE REQUEST-----%'",
            (VAT,),
        ).fetchone()[0]
    assert names == [TAXPAYER] * 3
    assert csrs == 3
    assert "PRIVATE KEY" not in home.page_source


def test_a_csv_file_over_the_cap_is_refused_before_it_is_read(home, tmp_path):
    open_fleet(home, "import")
    huge = tmp_path / "units.csv"
    with open(huge, "wb") as file:
        file.truncate(8 * 1024 * 1024 + 1)  # sparse: one byte over fatoora-batch's UNITS_CSV cap
    # The app runs on this machine: the path is given as it is, not uploaded.
    with home.file_detector_context(UselessFileDetector):
        home.find_element(By.ID, "csv-file").send_keys(str(huge))
    problem = home.find_element(By.ID, "csv-problem")
    assert "units.csv is larger than 8 MiB, so it was not read" in problem.text, problem.text
    assert home.find_element(By.ID, "csv-text").get_attribute("value") == "", "nothing read into the text box"


def test_batch_onboarding_survives_a_fault_mid_batch_and_retries_only_the_failed_units(home, data_dir):
    units = my_units(data_dir)
    assert len(units) == 3, "the import test runs first"
    panel = open_fleet(home, "batch")
    pending_note = home.find_element(By.ID, "batch-pending").text
    assert "units waiting in" in pending_note

    # The rehearsal: the local simulator mints one OTP per waiting unit, as the portal exports them.
    home.find_element(By.ID, "batch-mint").click()
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr"))
    minted = [line for line in home.find_element(By.ID, "batch-otps").get_attribute("value").splitlines() if line]
    assert len(minted) == len(home.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr")) >= 3
    assert all(len(otp) == 6 and otp.isascii() and otp.isdigit() for otp in minted)
    assert panel.is_displayed()

    # This test's own three units, by name, with OTPs from the portal stand-in.
    simulator = Simulator(data_dir)
    otps = simulator.otps(3)
    set_text(home, "batch-otps", "\n".join(f"{unit},{otp}" for unit, otp in zip(units, otps)))
    set_text(home, "batch-concurrency", "1")
    home.find_element(By.ID, "batch-assign").click()
    rows = home.find_elements(By.CSS_SELECTOR, "#batch-table tbody tr")
    assert [row.get_attribute("data-unit-id") for row in rows] == units
    # The OTPs are masked once assigned; the hour counts down.
    assert all(otp not in home.find_element(By.ID, "batch-table").text for otp in otps)
    countdown = home.find_element(By.ID, "batch-countdown").text
    assert "stop working in" in countdown and ":" in countdown

    # Slow answers, so the fault lands while the batch runs; after the first
    # unit is issued, the gateway fails every request.
    simulator.fault({"fault": {"kind": "latency", "millis": 400}})
    try:
        home.find_element(By.ID, "batch-run").click()
        WebDriverWait(home, WAIT_SECONDS * 4).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#batch-table tr[data-outcome='issued']")
        )
        simulator.fault({"fault": {"kind": "serviceUnavailable"}})
        summary = WebDriverWait(home, WAIT_SECONDS * 4).until(lambda d: d.find_elements(By.ID, "batch-summary"))[0]
    finally:
        simulator.fault(None)
    issued = [row.get_attribute("data-unit-id") for row in home.find_elements(By.CSS_SELECTOR, "#batch-table tr[data-outcome='issued']")]
    failed = [row.get_attribute("data-unit-id") for row in home.find_elements(By.CSS_SELECTOR, "#batch-table tr[data-outcome='failed']")]
    assert issued and failed and len(issued) + len(failed) == 3, (issued, failed)
    assert f"{len(failed)} failed" in summary.text
    failed_row = home.find_element(By.CSS_SELECTOR, "#batch-table tr[data-outcome='failed']")
    assert len(failed_row.find_element(By.CSS_SELECTOR, ".outcome.failed").text) > 20, "the failure is explained"
    retry = home.find_element(By.ID, "batch-retry")
    assert "Retry only the ones that failed" in retry.text and f"({len(failed)} unit" in retry.text
    shot(home, "batch-failed-en", "batch-table")

    # A unit stopped before its compliance CSID needs a new OTP; the others resume without one.
    for row in home.find_elements(By.CSS_SELECTOR, "#batch-table tr[data-outcome='failed']"):
        if row.get_attribute("data-needs-otp") == "true":
            box = row.find_element(By.CSS_SELECTOR, "input.otp")
            box.clear()
            box.send_keys(simulator.otps(1)[0])
    with database(data_dir) as db:
        sent_before = dict(db.execute("SELECT unit_id, count(*) FROM onboarding_journal GROUP BY unit_id"))
    home.find_element(By.ID, "batch-retry").click()
    WebDriverWait(home, WAIT_SECONDS * 4).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "#batch-table tr[data-outcome='issued']")) == 3
    )
    assert "0 failed" in home.find_element(By.ID, "batch-summary").text
    with database(data_dir) as db:
        sent_after = dict(db.execute("SELECT unit_id, count(*) FROM onboarding_journal GROUP BY unit_id"))
        states = dict(db.execute("SELECT unit_id, step FROM onboarding_state WHERE unit_id IN (?, ?, ?)", units))
    for unit in issued:
        assert sent_after[unit] == sent_before[unit], f"{unit} was onboarded before the fault: nothing sent again"
    assert set(states.values()) == {"issued"}
    # Every unit holds its CSID: nothing is left to run, the spent OTPs'
    # hour no longer counts, and the keyboard is on the summary.
    assert home.find_element(By.ID, "batch-run").get_attribute("disabled") is not None
    assert not shown_now(home, "#batch-countdown")
    assert home.switch_to.active_element.get_attribute("id") == "batch-summary"
    shot(home, "batch-retried-en", "batch-table")


def reminded_units(driver) -> list[str]:
    """The units the app's expiry banner would list now."""
    answer = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke("expiry_reminders")
          .then((answer) => done(answer.reminders.map((r) => r.unit_id)), (error) => done(String(error)));
        """
    )
    assert isinstance(answer, list), answer
    return answer


@pytest.fixture(scope="module", autouse=True)
def leave_no_expiring_csid(driver, data_dir):
    """Other test files share the app and its data: after this file, this
    file's CSIDs are a year from expiry again and the app says so, so no
    banner is left behind."""
    yield
    if not (data_dir / "fatoora-onboard.sqlite3").exists():
        return
    units = my_units(data_dir)
    for unit in units:
        seed_expiry(data_dir, unit, datetime.now(timezone.utc) + timedelta(days=365))
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: not set(reminded_units(d)) & set(units))


def seed_expiry(data_dir: Path, unit: str, expires_at: datetime) -> None:
    with database(data_dir) as db:
        db.execute(
            "UPDATE onboarding_state SET pcsid_expires_at = ? WHERE unit_id = ? AND environment = 'local'",
            (expires_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), unit),
        )


def bus_has(name: str) -> bool:
    """Whether a program owns `name` on the test's D-Bus session, or D-Bus
    would start one that does."""
    def ask(method: str) -> str:
        return subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             f"org.freedesktop.DBus.{method}", *([f"string:{name}"] if method == "NameHasOwner" else [])],
            capture_output=True, text=True, check=True, timeout=WAIT_SECONDS,
        ).stdout
    return "boolean true" in ask("NameHasOwner") or f'"{name}"' in ask("ListActivatableNames")


@contextmanager
def notification_server():
    """A desktop notification server on the test's D-Bus session, the one
    the app uses (notification_server.py). Yields the Notify calls it has
    answered so far, as a function."""
    record = OUTPUT / "fleet-notifications.jsonl"
    record.write_text("")
    server = subprocess.Popen([sys.executable, str(NOTIFICATION_SERVER), str(record)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started, _, _ = select.select([server.stdout], [], [], WAIT_SECONDS)
        ready = server.stdout.readline() if started else ""
        assert ready == "ready\n", f"the notification server did not start: {ready}{server.stdout.read() if server.poll() is not None else ''}"
        yield lambda: [json.loads(line) for line in record.read_text().splitlines()]
    finally:
        server.terminate()
        server.wait(timeout=WAIT_SECONDS)


def app_log(data_dir: Path) -> str:
    return "".join(log.read_text() for log in sorted((data_dir / "logs").glob("fatoora-onboard*.log*")))


def reminders_recorded(data_dir: Path, *units: str) -> list[tuple]:
    with database(data_dir) as db:
        marks = ", ".join("?" * len(units))
        return db.execute(f"SELECT unit_id, threshold_days FROM expiry_reminders WHERE unit_id IN ({marks}) ORDER BY threshold_days", units).fetchall()


def set_direction(driver, direction: str) -> None:
    """Switches the language, to the one written in `direction`."""
    driver.find_element(By.ID, "language-switch").click()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == direction)


def test_expiry_banner_and_one_os_notification_per_threshold(home, data_dir):
    require(os.environ.get("DBUS_SESSION_BUS_ADDRESS"),
            "no D-Bus session for a notification server: run inside scripts/with-secret-service.sh (scripts/test.sh does)")
    first, second, _ = my_units(data_dir)
    now = datetime.now(timezone.utc)
    seed_expiry(data_dir, first, now + timedelta(days=5, hours=2))
    seed_expiry(data_dir, second, now - timedelta(days=1))

    # No notification server on the session: the desktop answers that none
    # runs, the banner says so in the user's language, nothing counts as sent.
    assert not bus_has(NOTIFICATIONS), f"a program owns (or D-Bus would start one for) {NOTIFICATIONS} on the test's session"
    home.refresh()
    problem = home.find_element(By.ID, "expiry-notification-problem")
    assert "did not show this reminder as a notification" in problem.text and "ServiceUnknown" in problem.text, problem.text
    assert reminders_recorded(data_dir, first, second) == []
    assert "expiry notification not shown" in app_log(data_dir)
    shot(home, "banner-no-notification-en")
    set_direction(home, "rtl")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: "لم يعرض سطح المكتب" in d.find_element(By.ID, "expiry-notification-problem").text)
    shot(home, "banner-no-notification-ar")
    set_direction(home, "ltr")

    with notification_server() as notified:
        home.refresh()
        banner = home.find_element(By.ID, "expiry-banner")
        # The banner is drawn from the answer that came after the desktop's.
        assert not shown_now(home, "#expiry-notification-problem")
        assert banner.get_attribute("data-level") == "expired"
        assert f"POS-1-{VAT}" in banner.text and "5 days left" in banner.text
        assert f"POS-2-{VAT}" in banner.text and "expired on" in banner.text
        assert {item.get_attribute("data-threshold") for item in banner.find_elements(By.CSS_SELECTOR, "li")} >= {"7", "0"}
        shot(home, "banner-home-en")

        assert reminders_recorded(data_dir, first, second) == [(second, 0), (first, 7)]
        shown = {n["summary"]: n for n in notified()}
        assert sorted(shown) == ["A CSID expires within 7 days", "A CSID has expired"], notified()
        assert f"POS-1-{VAT}" in shown["A CSID expires within 7 days"]["body"]
        assert f"POS-2-{VAT}" in shown["A CSID has expired"]["body"]
        assert {n["app_name"] for n in shown.values()} == {"Fatoora Onboard"}
        # What the desktop answered is what the app recorded.
        log = app_log(data_dir)
        for notification in shown.values():
            assert f"receipt=notification id {notification['id']}" in log, notification

        # Started again: the banner stays, the notifications are not repeated.
        home.refresh()
        home.find_element(By.ID, "expiry-banner")
        assert len(notified()) == 2, notified()
        assert reminders_recorded(data_dir, first, second) == [(second, 0), (first, 7)]

    # The banner leads to the overview, where the states show.
    home.find_element(By.ID, "expiry-banner-open").click()
    home.find_element(By.ID, "fleet-panel-overview")
    taxpayer = home.find_element(By.CSS_SELECTOR, f"section.taxpayer[data-vat='{VAT}']")
    assert TAXPAYER in taxpayer.text
    states = {row.get_attribute("data-unit-id"): row.get_attribute("data-state") for row in taxpayer.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert states[first] == "expiring" and states[second] == "expired"
    assert set(states.values()) == {"expiring", "expired", "issued"}
    assert taxpayer.find_elements(By.CSS_SELECTOR, f"tr[data-unit-id='{first}'] button.renew")
    shot(home, "overview-en")

    # Renew opens the onboarding wizard on that unit, renewal chosen, at the OTP.
    taxpayer.find_element(By.CSS_SELECTOR, f"tr[data-unit-id='{first}'] button.renew").click()
    form = home.find_element(By.ID, "otp-form")
    assert f"POS-1-{VAT}" in form.text, form.text
    assert home.find_element(By.ID, "otp-tile-renew").is_selected()
    assert not home.find_element(By.ID, "otp-tile-onboard").is_selected()
    shot(home, "renew-wizard-en")


def test_overview_search_and_filter(home, data_dir):
    first, second, third = my_units(data_dir)
    open_fleet(home)
    search = home.find_element(By.ID, "fleet-search")
    search.send_keys("3101223935")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "section.taxpayer")) == 1)
    assert len(home.find_elements(By.CSS_SELECTOR, "section.taxpayer tbody tr")) == 3

    set_text(home, "fleet-search", "3-0003")
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "section.taxpayer tbody tr")) == 1)
    assert home.find_element(By.CSS_SELECTOR, "section.taxpayer tbody tr").get_attribute("data-unit-id") == third

    set_text(home, "fleet-search", "")
    Select(home.find_element(By.ID, "fleet-state-filter")).select_by_value("expired")
    WebDriverWait(home, WAIT_SECONDS).until(
        lambda d: {row.get_attribute("data-unit-id") for row in d.find_elements(By.CSS_SELECTOR, "section.taxpayer tbody tr")} == {second}
    )
    set_text(home, "fleet-search", "no such unit")
    home.find_element(By.ID, "fleet-no-match")
    shot(home, "filter-en")


def test_fleet_in_arabic(home, data_dir):
    set_direction(home, "rtl")
    banner = home.find_element(By.ID, "expiry-banner")
    assert "انتهت صلاحية" in banner.text
    # Dates in Arabic (month name, Western digits as everywhere in the app); VAT numbers stay ASCII, left to right.
    assert any(month in banner.text for month in ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"))
    vat = banner.find_element(By.XPATH, f".//bdi[text()='{VAT}']")
    assert vat.get_attribute("dir") == "ltr"
    shot(home, "banner-home-ar")

    open_fleet(home)
    assert home.find_element(By.ID, "fleet-title").text == "الوحدات في لمحة"
    # An Arabic user may type the VAT number in Arabic-Indic digits.
    home.find_element(By.ID, "fleet-search").send_keys("٣١٠١٢٢")
    taxpayer = WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"section.taxpayer[data-vat='{VAT}']"))[0]
    assert "منتهي الصلاحية" in taxpayer.text and "تقترب صلاحيته من الانتهاء" in taxpayer.text
    expiry = taxpayer.find_element(By.CSS_SELECTOR, "tr[data-state='expiring'] td.expiry").text
    assert any(ch.isascii() and ch.isdigit() for ch in expiry), expiry
    assert not any("\u0660" <= ch <= "\u0669" for ch in expiry), expiry
    assert taxpayer.find_element(By.XPATH, f".//bdi[text()='{VAT}']").get_attribute("dir") == "ltr"
    shot(home, "overview-ar")

    home.find_element(By.ID, "fleet-tab-import").click()
    set_text(home, "csv-text", "\n".join([HEADER, ROWS[3]]) + "\n")
    home.find_element(By.ID, "csv-check").click()
    finding = home.find_element(By.CSS_SELECTOR, "#csv-result tr[data-line='2'] p.error[data-column='vat_number']")
    assert "السطر 2" in finding.text and "الرقم الضريبي" in finding.text
    assert not home.find_element(By.ID, "csv-import").is_enabled()
    shot(home, "import-ar", "csv-result")

    home.find_element(By.ID, "fleet-tab-batch").click()
    home.find_element(By.ID, "batch-pending")
    assert "رموز التحقق" in home.find_element(By.ID, "fleet-panel-batch").text
    shot(home, "batch-ar")

    home.find_element(By.ID, "fleet-tab-overview").click()
    _, expired, _ = my_units(data_dir)
    home.find_element(By.CSS_SELECTOR, f"tr[data-unit-id='{expired}'] button.renew").click()
    home.find_element(By.ID, "otp-form")
    assert home.find_element(By.ID, "otp-tile-renew").is_selected()
    shot(home, "renew-wizard-ar")
