#!/usr/bin/env bash
# Measures the desktop app as a user starts it (numbers for the README, not
# a test: nothing here passes or fails on a number).
#
#   scripts/measure-app.sh [--release] [RUNS]     # default 5 runs, debug binary
#
# Each run starts the app with an empty data folder and measures:
# 1. Cold start to first paint: from the moment the kernel started the app
#    process (/proc/<pid>/stat) until WebDriver sees the home screen's
#    #app-version element, which only appears once the page has loaded and
#    the first command (app_info) has answered. WebDriver's own polling makes
#    this an upper bound.
# 2. Memory of the app and every WebKit process it started, from
#    /proc/<pid>/smaps_rollup: PSS (each shared page divided among the
#    processes mapping it: the fair sum, but lower while other programs map
#    the same libraries, e.g. another copy of the app or of WebKit, which the
#    script counts and prints), private memory (pages no other process
#    maps: a lower bound, which also drops when other programs share more)
#    and the RSS sum. Measured after IDLE_SECONDS (default 3) at the home
#    screen, and again after opening every screen of the home navigation and
#    coming back. Beside those, the
#    distinct resident memory: every physical page any of these processes
#    maps, counted once (from /proc/<pid>/pagemap, needs root): what PSS would
#    sum to if nothing else mapped their libraries, an upper bound that other
#    programs running at the same time do not change.
# The summary gives the median, minimum and maximum over the runs, and the
# load average before and after (other builds on the machine slow the start).
#
# Needs what the end-to-end tests need: the app binary built with
#   npm run build && cargo build -p fatoora-app --bins --features tauri/custom-protocol
# (with --release: cargo build --release ... ; or FATOORA_APP_BINARY),
# tauri-driver, WebKitWebDriver, python3-selenium,
# Xvfb (the script starts xvfb-run itself when there is no DISPLAY) and the
# Secret Service wrapper scripts/with-secret-service.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if [ "${1:-}" = --release ]; then
  shift
  export FATOORA_APP_BINARY=${FATOORA_APP_BINARY:-$PWD/target/release/fatoora-onboard-app}
fi

if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1280x800x24" ./scripts/with-secret-service.sh "$0" "$@"
fi

RUNS=${1:-5} exec /usr/bin/python3 - <<'PY'
import os
import shutil
import signal
import statistics
from array import array
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path("tests/e2e").resolve()))
from conftest import NATIVE_DRIVER, WAIT_SECONDS, app_binary, free_port, wait_for_port  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.options import ArgOptions  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
APP = app_binary()


class Fail(Exception):
    pass


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, directly or not (from each process's
    parent in /proc/<pid>/stat)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                pass
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        kids = [child for child, parent in parents.items() if parent == current]
        out += kids
        todo += kids
    return out


def command_name(pid: int) -> str:
    return Path(f"/proc/{pid}/comm").read_text().strip()


def started_at(pid: int) -> float:
    """Seconds since boot when the process started (CLOCK_BOOTTIME)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19]) / TICKS


def kib(pid: int, file: str, *keys: str) -> int:
    return sum(int(line.split()[1]) for line in Path(f"/proc/{pid}/{file}").read_text().splitlines()
               if line.split(":")[0] in keys)


PAGE = os.sysconf("SC_PAGE_SIZE")
PFN_MASK = (1 << 55) - 1
CHUNK = 1 << 20  # pagemap bytes read at once: 128 Ki pages


def resident_pages(pid: int) -> set[int]:
    """Physical page numbers of every resident page `pid` maps. JavaScriptCore
    reserves tens of GiB of address space; the mostly empty pagemap of such a
    reservation is skipped chunk by chunk."""
    pages = set()
    ranges = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        start, end = (int(address, 16) for address in line.split()[0].split("-"))
        ranges.append((start, end))
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for start, end in ranges:
            offset, remaining = start // PAGE * 8, (end - start) // PAGE * 8
            while remaining:
                pagemap.seek(offset)
                chunk = pagemap.read(min(CHUNK, remaining))
                if not chunk:
                    break
                offset += len(chunk)
                remaining -= len(chunk)
                if chunk.count(0) != len(chunk):
                    pages.update(entry & PFN_MASK for entry in array("Q", chunk) if entry >> 63)
    return pages


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def others_mapping_webkit(ours: list[int]) -> int:
    """Processes outside the measured ones that map WebKitGTK's library
    (they lower the measured PSS by sharing its pages)."""
    count = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) not in ours:
            try:
                # Executable mappings only: a linker reading the file is no user of it.
                if any("libwebkit2gtk" in line and line.split()[1][2] == "x"
                       for line in (entry / "maps").read_text().splitlines()):
                    count += 1
            except OSError:
                pass
    return count


def start() -> tuple[webdriver.Remote, subprocess.Popen, Path]:
    home = Path(tempfile.mkdtemp(prefix="fatoora-measure-"))
    env = dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"), FATOORA_ONBOARD_HOME=str(home / "fatoora-onboard"))
    port, native_port = free_port(), free_port()
    log = home / "tauri-driver.log"
    tauri_driver = shutil.which("tauri-driver") or sys.exit("tauri-driver not found")
    with open(log, "w") as log_file:
        process = subprocess.Popen([tauri_driver, "--port", str(port), "--native-port", str(native_port),
                                    "--native-driver", NATIVE_DRIVER], env=env, stdout=log_file, stderr=subprocess.STDOUT)
    wait_for_port(port, process, log)
    options = ArgOptions()
    options.set_capability("browserName", "wry")
    options.set_capability("tauri:options", {"application": str(APP)})
    try:
        session = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
    except Exception:
        process.terminate()
        process.wait(timeout=WAIT_SECONDS)
        shutil.rmtree(home, ignore_errors=True)
        raise
    session.implicitly_wait(WAIT_SECONDS)
    return session, process, home


def app_pids() -> set[int]:
    """Running processes of the app binary (WebKitWebDriver may start it
    outside tauri-driver's process tree, so it is found by executable)."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "exe")) == APP.resolve():
                found.add(int(entry.name))
        except OSError:
            pass
    return found


class Memory:
    """Sums over the app and its WebKit processes, in KiB."""

    def __init__(self, pid: int):
        pids = [pid] + descendants(pid)
        self.pss = self.private = self.rss = 0
        self.parts = []
        distinct = set()
        for p in pids:
            try:
                own = kib(p, "smaps_rollup", "Pss")
                self.pss += own
                self.private += kib(p, "smaps_rollup", "Private_Clean", "Private_Dirty")
                self.rss += kib(p, "status", "VmRSS")
                self.parts.append(f"{command_name(p)} {mb(own)}")
                distinct |= resident_pages(p)
            except FileNotFoundError:
                pass
        self.distinct = len(distinct) * PAGE // 1024
        self.others = others_mapping_webkit(pids)

    def __str__(self) -> str:
        return (f"PSS {mb(self.pss)}, distinct {mb(self.distinct)}, private {mb(self.private)}, RSS sum {mb(self.rss)} "
                f"({', '.join(self.parts)}; {self.others} other processes map WebKitGTK)")


def visit_every_screen(session) -> list[str]:
    visited = []
    for button in [b.get_attribute("id") for b in session.find_elements(By.CSS_SELECTOR, "nav button[id^='open-']")]:
        session.find_element(By.ID, button).click()
        session.find_element(By.CSS_SELECTOR, "main section h2")
        session.find_element(By.CSS_SELECTOR, "[id$='-back']").click()
        session.find_element(By.ID, "app-version")
        visited.append(button.removeprefix("open-"))
    return visited


def mb(kib_value: int) -> str:
    return f"{kib_value / 1024:.0f} MB"


if not APP.is_file():
    sys.exit(f"no app binary at {APP}: npm run build && cargo build -p fatoora-app --bins --features tauri/custom-protocol")
runs = int(os.environ["RUNS"])
idle_seconds = float(os.environ.get("IDLE_SECONDS", "3"))
load_before = load()
starts, idles, afters = [], [], []
for run in range(1, runs + 1):
    already_running = app_pids()
    try:
        session, process, home = start()
    except Exception as error:  # WebKitWebDriver now and then drops a new session on a busy machine
        print(f"run {run}: WebDriver session failed ({type(error).__name__}); starting again", flush=True)
        session, process, home = start()
    pid = None
    try:
        session.find_element(By.ID, "app-version")
        seen = time.clock_gettime(time.CLOCK_BOOTTIME)
        ours = app_pids() - already_running
        if len(ours) != 1:
            raise Fail(f"expected one new app process, found {sorted(ours)}")
        pid = ours.pop()
        starts.append(seen - started_at(pid))
        # Idle means left alone at the home screen for a while: the
        # measurement's definition, not a wait for something to happen.
        time.sleep(idle_seconds)
        idles.append(Memory(pid))
        visited = visit_every_screen(session)
        afters.append(Memory(pid))
        print(f"run {run} (load {load()}): start to #app-version {starts[-1]:.2f} s; "
              f"home: {idles[-1]}; after every screen: {afters[-1]}", flush=True)
    finally:
        session.quit()
        process.terminate()
        process.wait(timeout=WAIT_SECONDS)
        # The next run must not share the machine with this one's app.
        if pid is not None and pid in app_pids():
            os.kill(pid, signal.SIGTERM)
        shutil.rmtree(home, ignore_errors=True)



def spread(values, unit) -> str:
    return f"median {unit(statistics.median(values))}, min {unit(min(values))}, max {unit(max(values))}"


def seconds(value: float) -> str:
    return f"{value:.2f} s"


print()
print(f"binary: {APP} ({APP.stat().st_size / 1e6:.1f} MB); load average before {load_before}, after {load()}")
print(f"cold start to first paint (#app-version), {runs} runs: {spread(starts, seconds)}")
for name, samples in ((f"at the home screen after {idle_seconds:g} s", idles),
                      (f"after visiting {', '.join(visited)}", afters)):
    print(f"memory {name}: PSS {spread([m.pss for m in samples], mb)}; "
          f"distinct resident {spread([m.distinct for m in samples], mb)}; "
          f"private {spread([m.private for m in samples], mb)}; RSS sum {spread([m.rss for m in samples], mb)}; "
          f"other processes mapping WebKitGTK: up to {max(m.others for m in samples)}")
PY
