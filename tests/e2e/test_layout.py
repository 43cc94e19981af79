"""Where things land on screen (#18 item 19), measured with
getBoundingClientRect and the computed style, in English and Arabic: the
batch panel's two number inputs on one line, the support message's subject
whole and its text in the UI's font.
"""

from contextlib import contextmanager

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, WAIT_SECONDS
from test_fleet import open_fleet
from test_onboarding import LANGUAGES, in_language, send_for_a_new_unit


def rect(driver, element_id: str) -> dict:
    return driver.execute_script("return document.getElementById(arguments[0]).getBoundingClientRect().toJSON()", element_id)


@contextmanager
def window_width(driver, width: int):
    """The window at `width` px (the app's minimum is 640), then as it was."""
    size = driver.get_window_size()
    driver.set_window_size(width, size["height"])
    try:
        WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script("return window.innerWidth") <= width)
        yield
    finally:
        driver.set_window_size(size["width"], size["height"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_batch_panels_number_inputs_line_up(home, language):
    in_language(home, language)
    # Narrow, so that one label wraps to two lines and the other does not.
    with window_width(home, 720):
        open_fleet(home, "batch")
        age, concurrency = rect(home, "batch-otp-age"), rect(home, "batch-concurrency")
        home.save_screenshot(str(OUTPUT / f"layout-batch-inputs-{language}.png"))
    assert abs(age["bottom"] - concurrency["bottom"]) < 1 and abs(age["top"] - concurrency["top"]) < 1, (age, concurrency)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_support_message_shows_its_whole_subject_in_the_ui_font(home, language):
    in_language(home, language)
    send_for_a_new_unit(home, f"support{language}", otp={"en": "000004", "ar": "000005"}[language])
    home.find_element(By.ID, "onboarding-support").click()
    home.find_element(By.ID, "support-message")
    boxes = home.execute_script(
        """
        return ["support-subject", "support-body"].map((id) => {
          const box = document.getElementById(id), style = getComputedStyle(box);
          return { id, scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, scrollHeight: box.scrollHeight,
                   clientHeight: box.clientHeight, font: style.fontFamily };
        });
        """
    )
    subject, body = boxes
    assert subject["scrollWidth"] <= subject["clientWidth"] and subject["scrollHeight"] <= subject["clientHeight"], f"the subject is cut: {subject}"
    for box in boxes:
        assert "IBM Plex Sans Arabic" in box["font"] and "monospace" not in box["font"], box
    home.execute_script("document.getElementById('support-message').scrollIntoView()")
    home.save_screenshot(str(OUTPUT / f"layout-support-{language}.png"))
