"""The onboarding wizard in the real app, against the simulator the app runs
in process for `local`, in English and Arabic:

- journey 1: the first-run rehearsal with a demo unit, end to end;
- journey 3: a unit prepared on the Units screen, the two questions, the OTP
  countdown, live progress, the certificate's expiry;
- journey 4: a wrong OTP explained (ZATCA's code, what happened, what to do),
  "Run diagnostics", the support message, a reused OTP stopped by the
  pre-flight, and "Resume" with a new OTP.

Secrets: the OTP never reaches the log file, the store or the page once sent.
"""

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import OUTPUT, WAIT_SECONDS, app_database, first_shown, require, shown_now

DEMO_VAT = "399999999900003"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
LANGUAGES = ["en", "ar"]


def invoke(driver, command: str, args: dict | None = None):
    """Calls a command as the UI does; returns its value or raises with its error."""
    answer = driver.execute_async_script(
        """
        const [command, args, done] = arguments;
        window.__TAURI_INTERNALS__.invoke(command, args)
          .then((value) => done({ ok: value }), (error) => done({ error: String(JSON.stringify(error)) }));
        """,
        command,
        args or {},
    )
    if "error" in answer:
        raise AssertionError(f"{command}: {answer['error']}")
    return answer["ok"]


def in_language(driver, language: str):
    invoke(driver, "set_language", {"language": language})
    driver.refresh()
    driver.find_element(By.ID, "app-version")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")


def open_onboarding(driver):
    driver.find_element(By.ID, "open-onboarding").click()
    driver.find_element(By.ID, "onboarding-screen")
    if first_shown(driver, "onboarding-units", "onboarding-problem") == "onboarding-problem":
        pytest.fail(driver.find_element(By.ID, "onboarding-problem").text)


def shot(driver, name: str):
    driver.save_screenshot(str(OUTPUT / f"onboarding-{name}.png"))


def save_unit(driver, tag: str) -> str:
    """A unit with the demo VAT number, prepared as the Units screen does."""
    stamp = f"{tag}-{time.time_ns()}"
    form = {
        "organizationName": "Maximum Speed Tech Supply LTD",
        "vatNumber": DEMO_VAT,
        "organizationUnit": "Riyadh Branch",
        "commonName": f"TST-{stamp}",
        "serial": f"1-TST|2-TST|3-{stamp}",
        "invoiceTypes": "1100",
        "address": "RRRD2929",
        "businessCategory": "Supply activities",
    }
    saved = invoke(driver, "save_unit", {"form": form, "key": "new"})
    return saved["unit_id"]


def fresh_otp(driver) -> str:
    """An OTP for the demo VAT number, minted by the in-process simulator
    (the rehearsal command, which also leaves a demo unit waiting)."""
    return invoke(driver, "start_rehearsal")["demo_otp"]


def choose_unit(driver, unit_id: str):
    driver.find_element(By.ID, f"onboarding-unit-{unit_id}").click()
    driver.find_element(By.ID, "onboarding-next").click()
    driver.find_element(By.ID, "otp-form")


def answer_questions(driver, minutes: str = "5"):
    driver.find_element(By.CSS_SELECTOR, "#otp-portal option[value='local']").click()
    box = driver.find_element(By.ID, "otp-minutes")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(minutes)
    driver.find_element(By.ID, "otp-minutes-set").click()
    driver.find_element(By.ID, "otp-countdown-value")


def type_otp(driver, otp: str):
    box = driver.find_element(By.ID, "otp-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.DELETE)
    box.send_keys(otp)


def send_and_wait(driver):
    driver.find_element(By.ID, "onboarding-send").click()
    first_shown(driver, "onboarding-result", "onboarding-failure", timeout=WAIT_SECONDS * 4)


def send_for_a_new_unit(driver, tag: str, otp: str | None = None) -> str:
    """A new unit through the wizard: saved, chosen, the questions answered,
    `otp` (a fresh one by default) sent; returns the unit's id."""
    unit = save_unit(driver, tag)
    open_onboarding(driver)
    choose_unit(driver, unit)
    answer_questions(driver)
    type_otp(driver, otp or fresh_otp(driver))
    send_and_wait(driver)
    return unit


def watch_preflight(driver):
    """Records every state the pre-flight section shows from now on: its
    data-state and the "OTP not used before" check's outcome."""
    driver.execute_script(
        """
        window.__preflightSeen = [];
        const record = () => {
          const section = document.getElementById("preflight");
          const unused = document.querySelector("#preflight li[data-check='otp-unused']");
          const state = section ? [section.dataset.state, unused ? unused.dataset.outcome : null] : null;
          const last = window.__preflightSeen[window.__preflightSeen.length - 1];
          if (state && JSON.stringify(state) !== JSON.stringify(last)) window.__preflightSeen.push(state);
        };
        new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        """
    )


def seen_preflight(driver) -> list:
    return driver.execute_script("return window.__preflightSeen")


def holds_otp(text: str, otp: str) -> bool:
    return re.search(rf"(?<![0-9]){otp}(?![0-9])", text) is not None


def assert_otp_nowhere(driver, data_dir, otp: str):
    assert not holds_otp(driver.page_source, otp), "the OTP is still in the page"
    logs = "".join(p.read_text(errors="replace") for p in (data_dir / "logs").glob("*.log*"))
    assert not holds_otp(logs, otp), "the OTP is in the log file"
    for path in data_dir.glob("*.sqlite3*"):
        assert not holds_otp(path.read_bytes().decode("latin-1"), otp), f"the OTP is in {path.name}"
    with app_database(data_dir) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for row in db.execute(f'SELECT * FROM "{table}"'):
                assert not any(holds_otp(str(value), otp) for value in row), f"the OTP is in table {table}"


def assert_expiry_shown(driver, language: str):
    expiry = driver.find_element(By.ID, "onboarding-expiry").text
    assert re.search(r"20\d\d-\d\d-\d\d", expiry), expiry
    if language == "ar":
        assert "تنتهي صلاحية شهادة الإنتاج" in expiry, expiry
        assert not re.search("[٠-٩]", expiry), f"Arabic-Indic digits in {expiry}"
    else:
        assert "expires on" in expiry, expiry


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_1_first_run_rehearsal_onboards_a_demo_unit(home, data_dir, language):
    in_language(home, language)
    open_onboarding(home)
    home.find_element(By.ID, "rehearsal-offer")
    shot(home, f"choose-{language}")

    home.find_element(By.ID, "onboarding-rehearse").click()
    otp = home.find_element(By.ID, "rehearsal-otp-value").text
    assert re.fullmatch(r"[0-9]{6}", otp), otp
    banner = home.find_element(By.ID, "rehearsal-otp").text
    assert ("not from ZATCA" in banner) if language == "en" else ("ليس عن الهيئة" in banner), banner
    home.find_element(By.ID, "otp-countdown-value")
    shot(home, f"rehearsal-otp-{language}")

    type_otp(home, otp)
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    checks = home.find_elements(By.CSS_SELECTOR, "#preflight li")
    assert len(checks) == 8 and all(c.get_attribute("data-outcome") == "passed" for c in checks)
    steps = {li.get_attribute("data-step"): li.get_attribute("data-state") for li in home.find_elements(By.CSS_SELECTOR, "#onboarding-progress li")}
    assert steps == {"ccsid": "done", "compliance-checks": "done", "pcsid": "done"}, steps
    assert "6" in home.find_element(By.ID, "documents-progress").text
    assert_expiry_shown(home, language)
    shot(home, f"rehearsal-result-{language}")
    assert_otp_nowhere(home, data_dir, otp)


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_3_onboard_a_prepared_unit_with_the_questions_and_countdown(home, data_dir, language):
    in_language(home, language)
    unit = save_unit(home, f"j3{language}")
    otp = fresh_otp(home)
    open_onboarding(home)
    choose_unit(home, unit)
    assert home.find_element(By.ID, "otp-tile-renew").get_attribute("disabled") is not None, "nothing to renew yet"
    answer_questions(home, minutes="5")
    left = home.find_element(By.ID, "otp-countdown-value").text
    assert re.fullmatch(r"5\d:\d\d", left), left
    # Arabic keyboards type Arabic-Indic digits: accepted and made ASCII.
    type_otp(home, otp.translate(ARABIC_INDIC) if language == "ar" else otp)
    shot(home, f"otp-{language}")

    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    assert_expiry_shown(home, language)
    shot(home, f"result-{language}")
    assert_otp_nowhere(home, data_dir, otp)


@pytest.mark.parametrize("language", LANGUAGES)
def test_journey_4_a_failure_is_explained_then_resumed(home, data_dir, language):
    # Wrong, and different per run: a reused one would stop at the pre-flight.
    wrong = {"en": "000001", "ar": "000002"}[language]
    in_language(home, language)
    unit = save_unit(home, f"j4{language}")
    open_onboarding(home)
    choose_unit(home, unit)
    answer_questions(home)
    type_otp(home, wrong)
    send_and_wait(home)

    failure = home.find_element(By.ID, "onboarding-failure")
    # A rehearsal: the simulator's code, not ZATCA's.
    code = home.find_element(By.ID, "failure-code").text
    assert code.startswith({"en": "Simulator code:", "ar": "رمز المحاكي:"}[language]) and code.endswith("Invalid-OTP"), code
    what = home.find_element(By.ID, "failure-what").text
    assert re.search("[\u0600-\u06FF]", what) if language == "ar" else re.search("[A-Za-z]{4}", what), what
    assert home.find_element(By.ID, "failure-next").text
    shot(home, f"failure-{language}")

    home.find_element(By.ID, "onboarding-support").click()
    body = home.find_element(By.ID, "support-body").get_attribute("value")
    assert DEMO_VAT in body and "Invalid-OTP" in body, body
    # Addressed to no one in a rehearsal, and said to be one.
    assert {"en": "(rehearsal)", "ar": "(تدريب)"}[language] in home.find_element(By.ID, "support-title").text
    assert body.startswith({"en": "Rehearsal with the app's local simulator", "ar": "تدريب مع المحاكي المحلي"}[language]), body
    assert "Dear ZATCA" not in body and "FATOORA" not in home.find_element(By.ID, "support-subject").get_attribute("value")
    assert not holds_otp(body, wrong)
    assert "PRIVATE KEY" not in body
    shot(home, f"support-{language}")

    # The same OTP again: the pre-flight stops it, nothing is sent. Until
    # this run's checks come, the last run's ("passed") are not shown.
    failure.find_element(By.ID, "onboarding-resume").click()
    answer_questions(home)
    type_otp(home, wrong)
    watch_preflight(home)
    send_and_wait(home)
    seen = seen_preflight(home)
    assert seen[0] == ["checking", None], seen
    assert ["checked", "passed"] not in seen, f"the last run's checks came back: {seen}"
    assert seen[-1] == ["checked", "failed"], seen
    unused = home.find_element(By.CSS_SELECTOR, "#preflight li[data-check='otp-unused']")
    assert unused.get_attribute("data-outcome") == "failed"
    # One time zone, named, as the expiry's: Riyadh time.
    assert {"en": "Riyadh time", "ar": "بتوقيت الرياض"}[language] in unused.text and "UTC" not in unused.text, unused.text
    assert not shown_now(home, "#failure-code"), "nothing reached the gateway"
    # A rehearsal: the simulator, not ZATCA, is what nothing reached.
    title = home.find_element(By.ID, "failure-title").text
    assert title == {"en": "Stopped before sending: nothing reached the simulator", "ar": "توقف قبل الإرسال: لم يصل شيء إلى المحاكي"}[language], title
    # One next step, matching the block: this OTP is done for.
    next_step = home.find_element(By.ID, "failure-next").text
    assert {"en": "This OTP was sent before", "ar": "أُرسل رمز التحقق هذا من قبل"}[language] in next_step, next_step
    assert "not used" not in next_step
    assert [b.get_attribute("id") for b in home.find_elements(By.CSS_SELECTOR, "#onboarding-failure button.primary")] == ["onboarding-new-otp"]
    assert not shown_now(home, "#onboarding-resume") and not shown_now(home, "#onboarding-support")
    shot(home, f"preflight-blocked-{language}")

    # A new, good OTP: the key and CSR kept, the unit onboarded.
    home.find_element(By.ID, "onboarding-new-otp").click()
    assert home.find_element(By.ID, "otp-input").get_attribute("value") == ""
    otp = fresh_otp(home)
    answer_questions(home)
    type_otp(home, otp)
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    shot(home, f"resumed-{language}")
    assert_otp_nowhere(home, data_dir, otp)
    assert_otp_nowhere(home, data_dir, wrong)


def test_run_diagnostics_opens_the_diagnostics_screen(home):
    unit = save_unit(home, "diag")
    open_onboarding(home)
    choose_unit(home, unit)
    answer_questions(home)
    type_otp(home, "000003")
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-diagnostics").click()
    home.find_element(By.ID, "diagnostics-screen")


def cli_binary():
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path(__file__).resolve().parents[2] / "target"))
    return target / "debug" / "fatoora-onboard"


@pytest.mark.parametrize("language", LANGUAGES)
def test_renewal_through_the_wizard_with_a_renewal_otp(home, data_dir, language):
    """The portal's "Renew existing" tile: a renewal OTP, minted by the CLI
    from the app's own in-process simulator (one simulator per data folder)."""
    cli = cli_binary()
    require(cli.is_file(), f"no CLI binary at {cli}: cargo build -p fatoora-onboard-cli")
    in_language(home, language)
    unit = send_for_a_new_unit(home, f"renew{language}")
    home.find_element(By.ID, "onboarding-result")

    minted = subprocess.run(
        [str(cli), "--data-dir", str(data_dir), "simulator", "otp", "--env", "local", "--vat", DEMO_VAT, "--purpose", "renew"],
        capture_output=True, text=True, check=True,
    )
    renewal_otp = minted.stdout.strip()
    assert re.fullmatch(r"[0-9]{6}", renewal_otp), minted.stdout + minted.stderr

    home.find_element(By.ID, "onboarding-again").click()
    home.find_element(By.ID, f"onboarding-unit-{unit}").click()
    home.find_element(By.ID, "onboarding-next").click()
    assert home.find_element(By.ID, "otp-tile-renew").is_selected(), "an onboarded unit defaults to renewal"
    answer_questions(home)
    type_otp(home, renewal_otp)
    shot(home, f"renew-otp-{language}")
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    rows = home.find_elements(By.CSS_SELECTOR, "#onboarding-progress li")
    steps = [(li.get_attribute("data-step"), li.get_attribute("data-state"), li.text) for li in rows]
    assert [(step, state) for step, state, _ in steps] == [
        ("renewal", "done"), ("renewal-checks", "skipped"), ("renewal-pcsid", "skipped"),
    ], steps
    # ZATCA renewed at the request: the skipped steps say so, and none reads
    # as the renewed CSID itself being "not needed" under "renewed".
    why = {"en": "not needed: ZATCA renewed the CSID at the renewal request", "ar": "لم تلزم: جدّدت الهيئة المعرّف عند طلب التجديد"}[language]
    assert all(why in text for _, state, text in steps if state == "skipped"), steps
    assert "after the renewal checks" in steps[2][2] if language == "en" else "بعد فحوصات التجديد" in steps[2][2], steps
    assert_expiry_shown(home, language)
    shot(home, f"renew-result-{language}")
    assert_otp_nowhere(home, data_dir, renewal_otp)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_default_zero_minutes_is_an_answer_and_a_refusal_says_why(home, data_dir, language):
    in_language(home, language)
    unit = save_unit(home, f"minutes{language}")
    open_onboarding(home)
    choose_unit(home, unit)
    minutes = home.find_element(By.ID, "otp-minutes")
    assert minutes.get_attribute("value") == "0"
    # The countdown runs from the default without "Start the countdown".
    assert home.find_element(By.ID, "otp-countdown-value").text in ("60:00", "59:59", "59:58")
    assert minutes.get_attribute("aria-invalid") == "false"

    # Something that is not a number of minutes: refused, and the box says why.
    minutes.send_keys(Keys.CONTROL, "a")
    minutes.send_keys("five")
    refusal = {"en": "whole number of minutes", "ar": "عددًا صحيحًا من الدقائق"}[language]
    assert minutes.get_attribute("aria-invalid") == "true"
    assert refusal in home.find_element(By.ID, "otp-countdown").text
    assert "error" in home.find_element(By.ID, "otp-countdown").get_attribute("class").split()
    home.find_element(By.CSS_SELECTOR, "#otp-portal option[value='local']").click()
    otp = fresh_otp(home)
    type_otp(home, otp)
    home.find_element(By.ID, "onboarding-send").click()
    assert home.switch_to.active_element.get_attribute("id") == "otp-minutes", "a refused box takes the focus"
    assert shown_now(home, "#otp-form"), "nothing was sent"
    shot(home, f"minutes-refused-{language}")

    # Back to the default 0, with the keyboard alone: accepted as it is.
    minutes.send_keys(Keys.CONTROL, "a")
    minutes.send_keys("0")
    assert minutes.get_attribute("aria-invalid") == "false"
    home.find_element(By.ID, "otp-countdown-value")
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    assert_otp_nowhere(home, data_dir, otp)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unreadable_answer_is_no_plain_http_200_in_the_support_message(home, data_dir, language):
    from test_fleet import Simulator  # the simulator's admin API, as the batch tests use it

    in_language(home, language)
    unit = save_unit(home, f"unreadable{language}")
    open_onboarding(home)
    choose_unit(home, unit)
    answer_questions(home)
    type_otp(home, fresh_otp(home))
    simulator = Simulator(data_dir)
    # Only POST /compliance: the pre-flight's reachability probe goes through.
    simulator.fault({"fault": {"kind": "malformedJson"}, "times": 1, "only": {"method": "POST", "path": "/compliance"}})
    try:
        send_and_wait(home)
    finally:
        simulator.fault(None)
    home.find_element(By.ID, "onboarding-failure")
    home.find_element(By.ID, "onboarding-support").click()
    body = home.find_element(By.ID, "support-body").get_attribute("value")
    subject = home.find_element(By.ID, "support-subject").get_attribute("value")
    expected = {
        "en": ("HTTP 200, but the answer's body could not be read", "the gateway's answer could not be read"),
        "ar": ("لكن تعذّرت قراءة نص الرد", "تعذّرت قراءة رد البوابة"),
    }[language]
    assert expected[0] in body, body
    assert subject.endswith(expected[1]), subject
    shot(home, f"support-unreadable-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_block_on_the_answers_sends_the_same_otp_again(home, data_dir, language):
    """The wrong portal stops the run before anything is sent: the OTP is
    still good, so "Change the answers" brings it back in its box."""
    in_language(home, language)
    unit = save_unit(home, f"same{language}")
    open_onboarding(home)
    choose_unit(home, unit)
    answer_questions(home)
    home.find_element(By.CSS_SELECTOR, "#otp-portal option[value='production']").click()
    otp = fresh_otp(home)
    type_otp(home, otp)
    send_and_wait(home)
    assert home.find_element(By.CSS_SELECTOR, "#preflight li[data-check='otp-portal']").get_attribute("data-outcome") == "failed"
    next_step = home.find_element(By.ID, "failure-next").text
    expected = {
        "en": "Nothing was sent, so this OTP stays good until its hour is over: correct the answers above, then send again with the same OTP.",
        "ar": "لم يُرسل شيء، فيبقى رمز التحقق هذا صالحًا حتى تنتهي ساعته: صحّح الإجابات أعلاه، ثم أرسل من جديد بالرمز نفسه.",
    }[language]
    assert next_step.endswith(expected), next_step
    primary = home.find_elements(By.CSS_SELECTOR, "#onboarding-failure button.primary")
    assert [b.get_attribute("id") for b in primary] == ["onboarding-fix"]
    shot(home, f"blocked-answers-{language}")

    primary[0].click()
    assert home.find_element(By.ID, "otp-input").get_attribute("value") == otp, "the same OTP is back in its box"
    home.find_element(By.CSS_SELECTOR, "#otp-portal option[value='local']").click()
    send_and_wait(home)
    home.find_element(By.ID, "onboarding-result")
    assert_otp_nowhere(home, data_dir, otp)
