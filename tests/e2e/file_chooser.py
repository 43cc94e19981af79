"""Drives the native file chooser that the app's "Choose…" buttons open.

tauri-plugin-dialog is built with its default `gtk3` feature, not
`xdg-portal`: rfd then opens a GtkFileChooserNative, which is GTK's own
dialog inside the app's process and X connection unless GTK_USE_PORTAL=1 or
the app runs sandboxed (Flatpak). So under Xvfb, with no desktop portal on
the session bus, it still opens, and xdotool finds it by its title and types
into it with XTEST like a person at the keyboard.

No window manager runs under Xvfb: the dialog gets the keyboard with
`windowfocus` (XSetInputFocus), not `windowactivate`, which needs one.

In an open dialog GTK takes a typed location only after a short pause (it
makes "Open" sensitive from a timer after the last keystroke) and ignores
Return before then. The wait for that reads the button's state through the
accessibility bus (AT-SPI), as a screen reader would."""

import os
import re
import subprocess
from pathlib import Path

import gi
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402  (after require_version, as gi wants)

# Arabic titles are matched byte for byte as UTF-8.
XDOTOOL_ENV = dict(os.environ, LC_ALL="C.UTF-8")


def xdotool(*args: str, waiting_for: str | None = None) -> str:
    """Runs xdotool, failing the test with `waiting_for` if it has not
    ended within the wait (`search --sync` waits for ever on its own)."""
    try:
        done = subprocess.run(["xdotool", *args], capture_output=True, text=True, timeout=WAIT_SECONDS, env=XDOTOOL_ENV)
    except FileNotFoundError:
        pytest.fail("xdotool not found: install the Debian package xdotool (scripts/install-deps.sh does)")
    except subprocess.TimeoutExpired:
        pytest.fail(f"{waiting_for or 'xdotool ' + ' '.join(args)}: not within {WAIT_SECONDS} s")
    assert done.returncode == 0, f"xdotool {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def ere_literal(text: str) -> str:
    """`text` as a POSIX extended regular expression (xdotool's), matched literally."""
    return re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", text)


def open_chooser(driver, button_id: str, title: str) -> str:
    """Clicks a "Choose…" button and waits for the dialog titled `title`
    to be shown; gives its X window id."""
    driver.find_element(By.ID, button_id).click()
    found = xdotool("search", "--sync", "--onlyvisible", "--name", f"^{ere_literal(title)}$",
                    waiting_for=f"a file chooser titled {title!r} after clicking #{button_id}")
    window = found.split()[0]
    xdotool("windowfocus", "--sync", window)
    return window


def accept_button(title: str, name: str):
    """The dialog's button `name` (GTK's English label, the tests' locale),
    found through AT-SPI, or None."""
    desktop = Atspi.get_desktop(0)
    for app in (desktop.get_child_at_index(i) for i in range(desktop.get_child_count())):
        for window in (app.get_child_at_index(i) for i in range(app.get_child_count())):
            if window is not None and window.get_name() == title:
                return find_button(window, name)
    return None


def find_button(node, name: str):
    if node.get_role() == Atspi.Role.PUSH_BUTTON and node.get_name() == name:
        return node
    for child in (node.get_child_at_index(i) for i in range(node.get_child_count())):
        found = child is not None and find_button(child, name)
        if found:
            return found
    return None


def entry_texts(title: str) -> list[str]:
    """What the text entries of the dialog titled `title` hold (in a save
    dialog, the file name), through AT-SPI."""
    desktop = Atspi.get_desktop(0)
    for app in (desktop.get_child_at_index(i) for i in range(desktop.get_child_count())):
        for window in (app.get_child_at_index(i) for i in range(app.get_child_count())):
            if window is not None and window.get_name() == title:
                return [Atspi.Text.get_text(entry, 0, -1) for entry in descendants(window, Atspi.Role.TEXT)]
    return []


def descendants(node, role):
    if node.get_role() == role:
        yield node
    for child in (node.get_child_at_index(i) for i in range(node.get_child_count())):
        if child is not None:
            yield from descendants(child, role)


def accepts(title: str, name: str) -> bool:
    button = accept_button(title, name)
    return button is not None and button.get_state_set().contains(Atspi.StateType.SENSITIVE)


def choose_path(driver, button_id: str, title: str, path: Path, screenshot: str | None = None, opening: bool = False) -> None:
    """Opens the chooser and picks `path` by typing it into GTK's location
    entry (ctrl+L; in a save dialog it is the name entry, which takes a full
    path too), then Return. `opening`: an open-file dialog, whose Return
    waits for "Open" to take the typed location."""
    open_chooser(driver, button_id, title)
    xdotool("key", "ctrl+l")
    xdotool("key", "ctrl+a")
    xdotool("type", str(path))
    if screenshot:
        whole_screen(screenshot)
    if opening:
        WebDriverWait(driver, WAIT_SECONDS, poll_frequency=0.1).until(
            lambda _: accepts(title, "Open"), f"the file chooser {title!r} did not take the typed path")
    xdotool("key", "Return")


def cancel_chooser(driver, button_id: str, title: str) -> None:
    """Opens the chooser and closes it with Escape; returns once the app
    has its answer (the button is enabled again)."""
    open_chooser(driver, button_id, title)
    xdotool("key", "Escape")
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.find_element(By.ID, button_id).is_enabled())


def whole_screen(name: str) -> None:
    """The X screen, the native dialog over the window included (WebDriver's
    screenshots show the page only)."""
    subprocess.run(["import", "-window", "root", str(OUTPUT / f"{name}.png")], check=True, timeout=WAIT_SECONDS)
