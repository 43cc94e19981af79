"""Starts tauri-driver (WebDriver for Tauri apps, over Debian's WebKitWebDriver)
and opens one WebDriver session on the real app binary for the whole run.

Needs a display (scripts/test.sh runs this under xvfb-run) and the binary
built by `tauri build --debug` (or FATOORA_APP_BINARY pointing at one).
"""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[2]
OUTPUT = REPO / "test-output" / "e2e"
NATIVE_DRIVER = "/usr/bin/WebKitWebDriver"
# Generous: the first start of WebKit's web process under Xvfb on a busy
# 2-core machine can take several seconds. Waits end as soon as the
# condition holds; this only bounds how long a broken app can hang a run.
WAIT_SECONDS = 30


def require(condition, reason: str) -> None:
    """Skips the calling test, saying why, unless `condition` holds: the one
    way a test here depends on what a machine may lack (as
    `fatoora_base::skip::skip` on the Rust side). The reason is appended to
    $FATOORA_SKIP_LOG for scripts/test.sh's summary; under
    FATOORA_REQUIRE_ALL=1 (CI) the test fails instead, so a green run means
    every test ran."""
    if condition:
        return
    test = os.environ.get("PYTEST_CURRENT_TEST", "a test").rsplit(" (", 1)[0]
    line = f"SKIPPED {test}: {reason}"
    if os.environ.get("FATOORA_REQUIRE_ALL") == "1":
        pytest.fail(f"{line}\nFATOORA_REQUIRE_ALL=1: every test must run here; install what it needs")
    log = os.environ.get("FATOORA_SKIP_LOG")
    if log:
        with open(log, "a") as file:
            file.write(line + "\n")
    pytest.skip(reason)


def shown_now(driver, selector: str) -> bool:
    """Whether the page has a match for the CSS selector right now. For
    absence: find_elements would first wait the implicit wait out. Call it
    once a condition that rules the element in or out has been waited for."""
    return driver.execute_script("return document.querySelector(arguments[0]) !== null", selector)


def first_shown(driver, *ids: str, timeout: float = WAIT_SECONDS) -> str:
    """Waits for whichever of the elements `ids` appears first (a result or
    an error) and returns its id; asking for each in turn would wait the
    implicit wait out on every one that does not come."""
    script = "return arguments[0].find((id) => document.getElementById(id) !== null) ?? null"
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(script, list(ids)), f"none of {ids} appeared"
    )


def app_binary() -> Path:
    explicit = os.environ.get("FATOORA_APP_BINARY")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "fatoora-onboard-app"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    """Until something listens on PORT, failing early if tauri-driver dies."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"tauri-driver exited with {process.returncode}:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a condition with a deadline, not a timed wait
    pytest.fail(f"tauri-driver did not listen on port {port}:\n{log.read_text()}")


@contextmanager
def app_database(data_dir: Path, writable: bool = False):
    """The app's SQLite store, read (or written) with Python's own SQLite and
    closed on leaving. `with sqlite3.connect(...)` alone only commits: the
    connection stays open, and one left open in this process keeps SQLite's
    shared-memory index of a -shm file the app may since have deleted, which
    every later connection here then shares, so it reads a stale snapshot
    (the fleet import "lost" after the custody tests)."""
    path = data_dir / "fatoora-onboard.sqlite3"
    db = sqlite3.connect(path) if writable else sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        with db:
            yield db
    finally:
        db.close()


@pytest.fixture(scope="session")
def app_version() -> str:
    with open(REPO / "Cargo.toml", "rb") as manifest:
        return tomllib.load(manifest)["workspace"]["package"]["version"]


@pytest.fixture(scope="session")
def app_home(tmp_path_factory) -> Path:
    """A private home, so the app's data, settings and WebKit storage start
    empty and the tester's own are never touched."""
    return tmp_path_factory.mktemp("app-home")


@pytest.fixture(scope="session")
def data_dir(app_home) -> Path:
    """The app's data directory (FATOORA_ONBOARD_HOME): store, logs."""
    return app_home / "fatoora-onboard"


def app_environment(app_home: Path, data_dir: Path) -> dict:
    """The environment an app under test starts with: its own home, XDG
    folders and data folder."""
    return dict(
        os.environ,
        HOME=str(app_home),
        XDG_DATA_HOME=str(app_home / "data"),
        XDG_CONFIG_HOME=str(app_home / "config"),
        XDG_CACHE_HOME=str(app_home / "cache"),
        FATOORA_ONBOARD_HOME=str(data_dir),
    )


@contextmanager
def app_session(env: dict, name: str = "tauri-driver", wrapper: tuple = ()):
    """A WebDriver session on the real app binary, started by its own
    tauri-driver with `env` (through `wrapper`, a command that runs the
    driver, e.g. in another Secret Service); closed on leaving."""
    binary = app_binary()
    if not binary.is_file():
        pytest.fail(f"no app binary at {binary}: build it with scripts/test.sh or set FATOORA_APP_BINARY")
    if not os.environ.get("DISPLAY"):
        pytest.fail("no DISPLAY: run the end-to-end tests under xvfb-run (scripts/test.sh does)")
    tauri_driver = shutil.which("tauri-driver") or pytest.fail(
        "tauri-driver not found: cargo install tauri-driver --version 2.1.0 --locked"
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    log = OUTPUT / f"{name}.log"
    port, native_port = free_port(), free_port()
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [*wrapper, tauri_driver, "--port", str(port), "--native-port", str(native_port),
             "--native-driver", NATIVE_DRIVER],
            env=env, stdout=log_file, stderr=subprocess.STDOUT,
            # Its own process group, so ending it also ends what the wrapper
            # started (a D-Bus session, a keyring daemon).
            start_new_session=True,
        )
    try:
        wait_for_port(port, process, log)
        # tauri-driver listens at once but starts WebKitWebDriver beside it
        # and forwards without waiting: a session requested before the native
        # driver listens gets its connection closed with no answer (the
        # bundle-smoke CI failure of stop 13). So both ports must answer.
        wait_for_port(native_port, process, log)
        options = ArgOptions()
        options.set_capability("browserName", "wry")
        options.set_capability("tauri:options", {"application": str(binary)})
        session = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
        session.implicitly_wait(WAIT_SECONDS)
        session.set_script_timeout(WAIT_SECONDS)
        try:
            yield session
        finally:
            session.quit()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=WAIT_SECONDS)


@pytest.fixture(scope="session")
def driver(app_home, data_dir):
    with app_session(app_environment(app_home, data_dir)) as session:
        yield session


@pytest.fixture
def home(driver):
    """The home screen in English, as a first start shows it."""
    reset = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke("set_language", { language: "en" })
          .then(() => done("ok"), (error) => done(String(error)));
        """
    )
    assert reset == "ok", reset
    driver.refresh()
    driver.find_element("id", "app-version")
    return driver
