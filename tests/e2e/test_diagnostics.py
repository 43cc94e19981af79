"""The Diagnostics screen in the real app, against the simulator the app runs
in process on loopback: probes filling in over the channel, the verdict in
English and Arabic, the saved report (JSON parsed, HTML holding the verdict),
the PHP probe page, a server's result compared with this machine's, and a
proxy's password never shown or saved.

Traffic: only 127.0.0.1. The `local` environment is chosen explicitly (and
every other one unticked) whatever another test left active, the local run
has no control site and no resolver, and each probe id is checked to name a
loopback address.
"""

import base64
import json
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.file_detector import UselessFileDetector
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS, require, shown_now

ZATCA_ENVIRONMENTS = ("sandbox", "simulation", "production")
PASSWORD = "s3cret-Proxy-Pass"
USER = "alice-proxy-user"


def open_diagnostics(driver, language: str = "en"):
    if language == "ar":
        driver.find_element(By.ID, "language-switch").click()
        WebDriverWait(driver, WAIT_SECONDS).until(
            lambda d: d.execute_script("return document.documentElement.dir") == "rtl"
        )
    driver.find_element(By.ID, "open-diagnostics").click()
    driver.find_element(By.ID, "diagnostics-form")


def choose_local_only(driver) -> None:
    local = driver.find_element(By.ID, "diagnostics-env-local")
    if not local.is_selected():
        local.click()
    for environment in ZATCA_ENVIRONMENTS:
        assert not driver.find_element(By.ID, f"diagnostics-env-{environment}").is_selected(), environment
    assert local.is_selected()


def set_text(driver, element_id: str, text: str) -> None:
    """Sets an input's value as typing would (Svelte listens to `input`);
    long JSON typed key by key would only slow the test."""
    driver.execute_script(
        """
        const box = document.getElementById(arguments[0]);
        box.value = arguments[1];
        box.dispatchEvent(new Event('input', { bubbles: true }));
        """,
        element_id,
        text,
    )


def run_local(driver, proxy: str = "") -> dict:
    choose_local_only(driver)
    set_text(driver, "diagnostics-resolver", "")
    set_text(driver, "diagnostics-proxy", proxy)
    driver.find_element(By.ID, "diagnostics-run").click()
    verdict = driver.find_element(By.ID, "diagnosis-verdict")
    target = driver.find_element(By.ID, "diagnosis-target").text
    host = urlsplit(target).hostname
    assert host == "127.0.0.1", target
    probes = {
        row.get_attribute("data-probe"): row.get_attribute("data-status")
        for row in driver.find_elements(By.CSS_SELECTOR, "#diagnosis-probes li.probe")
    }
    # Only the simulator was probed: no DNS lookup, no control site, and
    # every address-bearing probe names loopback.
    assert probes, "no probe reached the screen over the channel"
    assert "control" not in probes and not any(p.startswith("dns/") for p in probes), probes
    for probe in probes:
        if probe.startswith(("tcp/", "tls")):
            assert "/127.0.0.1:" in probe, probe
    return {"class": verdict.get_attribute("data-class"), "target": target, "probes": probes}


def server_fixture(target: str) -> str:
    """What the PHP probe page returns from a server whose path to the
    gateway drops packets: TCP times out on both addresses."""
    parts = urlsplit(target)
    port = parts.port or 443
    return json.dumps(
        {
            "tool": "fatoora-onboard probe.php 0.1",
            "source": "php",
            "target": {"host": parts.hostname, "port": port},
            "dns": [],
            "tcp": [
                {"address": f"{parts.hostname}:{port}", "outcome": "timed_out", "elapsed_ms": 10000},
                {"address": f"[::1]:{port}", "outcome": "timed_out", "elapsed_ms": 10000},
            ],
            "tls": [],
            "http": [],
            "degraded": [
                {"function": "dns_get_record", "reason": "listed in disable_functions",
                 "effect": "addresses taken from gethostbynamel (IPv4 only)"}
            ],
        }
    )


def escaped(text: str) -> str:
    """As the report's HTML writer escapes text."""
    for raw, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#39;")):
        text = text.replace(raw, entity)
    return text


def render(html: Path, png: Path, width: int = 1100) -> None:
    """The saved report as a mail client would show it, through a browser we
    did not write, in a window `width` pixels wide."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    require(browser, f"no chromium to render {html.name} (apt-get install chromium)")
    # Chromium's own background traffic (updates, sync, safe browsing) is
    # switched off: tests reach nothing but loopback, and the report must
    # need nothing from the network.
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-domain-reliability", "--disable-client-side-phishing-detection",
             "--disable-default-apps", "--no-first-run", "--disable-quic", f"--user-data-dir={profile}",
             f"--screenshot={png}", f"--window-size={width},1500", html.as_uri()],
            check=True, capture_output=True, timeout=120,
        )
    assert png.stat().st_size > 0


def test_local_diagnosis_fills_in_live_gives_a_verdict_and_saves_the_report(home, data_dir):
    open_diagnostics(home)
    home.save_screenshot(str(OUTPUT / "diagnostics-form-en.png"))
    run = run_local(home)
    assert run["class"] == "healthy", run
    for kind in ("tcp/", "tls1.3/", "tls1.2/", "http/local/direct"):
        matching = [status for probe, status in run["probes"].items() if probe.startswith(kind)]
        assert matching and set(matching) == {"ok"}, (kind, run["probes"])
    headline = home.find_element(By.ID, "diagnosis-headline").text
    assert headline, "no verdict headline"
    assert home.find_element(By.ID, "diagnosis-next-step").text.startswith("Next step:")
    home.execute_script("document.getElementById('diagnosis-verdict').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-verdict-en.png"))

    home.find_element(By.ID, "diagnosis-save").click()
    html = Path(home.find_element(By.ID, "diagnosis-saved-html").text)
    saved_json = Path(home.find_element(By.ID, "diagnosis-saved-json").text)
    assert html.parent == data_dir / "reports" == saved_json.parent, (html, saved_json)
    report = json.loads(saved_json.read_text())
    assert report["verdict"]["class"] == "healthy"
    assert report["verdict"]["headline"]["en"] == headline
    assert report["target"]["host"] == "127.0.0.1"
    assert report["control"] is None
    assert report["configuration"]["proxy_for_gateway"] is None
    assert {probe["address"].rsplit(":", 1)[0] for probe in report["tcp"]} == {"127.0.0.1"}
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert escaped(headline) in page
    assert escaped(report["verdict"]["headline"]["ar"]) in page
    render(html, OUTPUT / "diagnostics-report-html.png")

    home.find_element(By.ID, "diagnosis-copy").click()
    # The note and, without a clipboard in this webview, the summary shown
    # selected instead are drawn together.
    home.find_element(By.ID, "diagnosis-copied")
    if shown_now(home, "#diagnosis-summary"):
        summary = home.find_element(By.ID, "diagnosis-summary").get_attribute("value")
        assert "RESULT: No problem found." in summary and "[healthy]" not in summary, summary

    history = home.find_elements(By.CSS_SELECTOR, "#diagnosis-history li")
    assert history and history[0].get_attribute("data-class") == "healthy"
    home.execute_script("document.getElementById('diagnosis-probes').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-probes-en.png"))


def test_server_probe_page_and_comparison_show_the_block_on_the_servers_path(home, data_dir):
    open_diagnostics(home)
    run = run_local(home)
    assert run["class"] == "healthy", run

    home.find_element(By.ID, "probe-page-write").click()
    page_path = Path(home.find_element(By.ID, "probe-page-path").text)
    assert page_path.parent == data_dir / "reports"
    source = page_path.read_text()
    assert source.lstrip().startswith("<?php")
    url = home.find_element(By.ID, "probe-page-url").text
    token = url.rsplit("token=", 1)[1]
    config = json.loads(base64.b64decode(re.search(r"base64_decode\('([A-Za-z0-9+/=]+)'\)", source).group(1)))
    assert len(token) == 32 and config["token"] == token
    assert "Delete fatoora-probe.php" in home.find_element(By.ID, "probe-page-delete").text

    set_text(home, "server-json", server_fixture(run["target"]))
    home.find_element(By.ID, "server-compare").click()
    comparison = home.find_element(By.ID, "comparison")
    assert comparison.get_attribute("data-class") == "server_path_blocked"
    headline = home.find_element(By.ID, "comparison-headline").text
    assert "the block is on the server's path" in headline, headline
    assert "TCP times out on all 2 address(es)" in headline, headline
    assert "tcp_black_hole" in home.find_element(By.ID, "comparison-server").text
    assert "dns_get_record" in home.find_element(By.ID, "comparison-limits").text
    home.execute_script("document.getElementById('server-test').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-server-en.png"))

    home.find_element(By.ID, "comparison-save").click()
    both = Path(home.find_element(By.ID, "comparison-saved-path").text)
    assert both.parent == data_dir / "reports"
    text = both.read_text()
    assert "From this machine (laptop)" in text and "From the server" in text
    assert escaped("the block is on the server's path") in text
    render(both, OUTPUT / "diagnostics-comparison-html.png")


def refuse_foreign_json(home, language: str) -> None:
    open_diagnostics(home, language)
    run_local(home)
    # Another tool's JSON, without the "tool" field, as the issue pasted it.
    set_text(home, "server-json", json.dumps({"target": {"host": "127.0.0.1", "port": 1}}))
    home.find_element(By.ID, "server-compare").click()
    message = home.find_element(By.ID, "server-problem").text
    # Plain words, not serde's "missing field `tool` at line 1 column 18".
    expected = {
        "en": ("is not a probe result from Fatoora Onboard", "it is JSON, but not in the form of a probe result."),
        "ar": ("ليس نتيجة فحص من Fatoora Onboard", "هو نص JSON لكن ليس بصيغة نتيجة فحص."),
    }[language]
    assert expected[0] in message and message.endswith(expected[1]), message
    assert "missing field" not in message and "line 1" not in message, message
    assert not shown_now(home, "#comparison")


def test_a_foreign_json_is_refused_in_plain_arabic(home):
    refuse_foreign_json(home, "ar")


def test_a_foreign_json_is_refused_with_a_reason(home, tmp_path):
    refuse_foreign_json(home, "en")

    # A file over the importer's 4 MiB cap is not even read.
    huge = tmp_path / "disk.img"
    huge.write_bytes(b"{" + b" " * (4 * 1024 * 1024))
    set_text(home, "server-json", "")
    with home.file_detector_context(UselessFileDetector):
        home.find_element(By.ID, "server-file").send_keys(str(huge))
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: "larger than 4 MiB" in d.find_element(By.ID, "server-problem").text)
    assert home.find_element(By.ID, "server-json").get_attribute("value") == ""


def test_diagnostics_in_arabic(home, tmp_path):
    open_diagnostics(home, "ar")
    assert home.find_element(By.ID, "diagnostics-title").text == "تشخيص الشبكة"
    home.save_screenshot(str(OUTPUT / "diagnostics-form-ar.png"))
    run = run_local(home)
    assert run["class"] == "healthy", run
    headline = home.find_element(By.ID, "diagnosis-headline").text
    assert any("\u0600" <= ch <= "\u06ff" for ch in headline), headline
    assert home.find_element(By.ID, "diagnosis-next-step").text.startswith("الخطوة التالية:")
    probes = home.find_element(By.ID, "diagnosis-probes").text
    assert "سليم" in probes and "متصل" in probes and "سلسلة شهادات موثوقة" in probes, probes
    home.execute_script("document.getElementById('diagnosis-verdict').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-verdict-ar.png"))
    home.execute_script("document.getElementById('diagnosis-probes').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-probes-ar.png"))
    home.find_element(By.ID, "diagnosis-save").click()
    html = Path(home.find_element(By.ID, "diagnosis-saved-html").text)
    assert escaped(home.find_element(By.ID, "diagnosis-headline").text) in html.read_text()
    render(html, OUTPUT / "diagnostics-report-html-ar.png")

    home.find_element(By.ID, "probe-page-write").click()
    assert "احذف الملف" in home.find_element(By.ID, "probe-page-delete").text
    # The server's JSON as a saved file this time, chosen through the file input.
    saved = tmp_path / "server.json"
    saved.write_text(server_fixture(run["target"]))
    assert home.find_element(By.ID, "server-file-name").text == "لم يُختر أي ملف."
    # The app runs on this machine: hand WebKit the path itself (no upload).
    with home.file_detector_context(UselessFileDetector):
        home.find_element(By.ID, "server-file").send_keys(str(saved))
    WebDriverWait(home, WAIT_SECONDS).until(lambda d: d.find_element(By.ID, "server-file-name").text == "server.json")
    home.find_element(By.ID, "server-compare").click()
    headline = home.find_element(By.ID, "comparison-headline").text
    assert "الحظر في الطريق من الخادم" in headline, headline
    home.execute_script("document.getElementById('server-test').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-server-ar.png"))
    home.execute_script("document.getElementById('diagnosis-history').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-history-ar.png"))


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_proxy_password_is_used_but_never_shown_or_saved(home):
    open_diagnostics(home)
    # A proxy on loopback that nothing listens on: the proxied probe fails
    # fast with a refused connection, and no traffic leaves the machine.
    proxy = f"http://{USER}:{PASSWORD}@127.0.0.1:{closed_loopback_port()}"
    run = run_local(home, proxy=proxy)
    assert run["class"] == "proxy_misconfigured", run
    assert any(probe.endswith("/proxy") for probe in run["probes"]), run["probes"]
    shown = home.find_element(By.ID, "diagnosis-proxy").text
    assert "REDACTED@127.0.0.1" in shown, shown
    page = home.page_source
    assert PASSWORD not in page and USER not in page
    home.execute_script("document.getElementById('diagnosis-verdict').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / "diagnostics-proxy-en.png"))

    home.find_element(By.ID, "diagnosis-save").click()
    for element_id in ("diagnosis-saved-html", "diagnosis-saved-json"):
        saved = Path(home.find_element(By.ID, element_id).text).read_text()
        assert PASSWORD not in saved and USER not in saved, element_id
        assert "REDACTED" in saved, element_id
    home.find_element(By.ID, "diagnosis-copy").click()
    home.find_element(By.ID, "diagnosis-copied")
    assert PASSWORD not in home.page_source


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_typed_proxy_is_named_as_typed_not_as_a_variable(home, language):
    """A proxy typed into the diagnosis is corrected where it was typed: the
    verdict names that box, not the HTTPS_PROXY variable."""
    open_diagnostics(home, language)
    run = run_local(home, proxy=f"http://127.0.0.1:{closed_loopback_port()}")
    assert run["class"] == "proxy_misconfigured", run
    headline = home.find_element(By.ID, "diagnosis-headline").text
    next_step = home.find_element(By.ID, "diagnosis-next-step").text
    expected = {
        "en": ("entered for this diagnosis", "in the Proxy box of this diagnosis"),
        "ar": ("المُدخل لهذا التشخيص", "في حقل الخادم الوكيل في هذا التشخيص"),
    }[language]
    assert expected[0] in headline, headline
    assert expected[1] in next_step, next_step
    assert "HTTPS_PROXY" not in headline + next_step
    # Each probe's line in words: a 405 to the GET is the gateway answering,
    # and a failure names its stage, not an internal token ("Dns").
    summary = lambda probe: home.find_element(By.CSS_SELECTOR, f"li[data-probe='{probe}'] .summary").text
    direct, proxied = {
        "en": ("HTTP 405: the answer expected to a GET here, so the gateway is reachable", "failed at the proxy: "),
        "ar": ("HTTP 405: الرد المتوقع على طلب GET هنا، فالبوابة متاحة", "فشل عند الخادم الوكيل: "),
    }[language]
    assert summary("http/local/direct") == direct
    assert summary("http/local/proxy").startswith(proxied), summary("http/local/proxy")
    home.execute_script("document.getElementById('diagnosis-verdict').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / f"diagnostics-typed-proxy-{language}.png"))

    # The saved report: words for the reader, no internal tokens or guesses.
    home.find_element(By.ID, "diagnosis-save").click()
    saved = Path(home.find_element(By.ID, "diagnosis-saved-html").text).read_text()
    status = {"en": "Problem found", "ar": "اكتُشفت مشكلة"}[language]
    assert f'<p class="class">{status}</p>' in saved
    assert ">proxy_misconfigured<" not in saved and "[guess" not in saved


def test_the_saved_report_keeps_off_the_edges_of_a_narrow_window(home):
    """At 640 px (a mail client's pane) the report had no side padding: its
    verdict box touched the window's edges and the first letter of an Arabic
    heading was cut. Both outer strips of the rendering must stay blank."""
    from test_arabic import png_rows

    open_diagnostics(home, "ar")
    run_local(home)
    home.find_element(By.ID, "diagnosis-save").click()
    html = Path(home.find_element(By.ID, "diagnosis-saved-html").text)
    png = OUTPUT / "diagnostics-report-html-narrow-ar.png"
    render(html, png, width=640)
    width, height, rows, channels = png_rows(png.read_bytes())
    strip = 16
    inked = [
        (x, y)
        for y in range(height)
        for x in [*range(strip), *range(width - strip, width)]
        if min(rows[y][x * channels : x * channels + 3]) < 250
    ]
    assert inked == [], f"{len(inked)} drawn pixels within {strip} px of an edge, first {inked[:5]}"
