"""The Arabic screens in the real app (issue #18, items 14-18): words with
tanween on a lam-alef are drawn on the line, counts agree with their nouns,
one digit system (Western), one word for onboarding («الربط»), and CSV rows
in the import boxes read in column order.

Nothing here imports or saves anything: the other files' tests count the
units they make.
"""

import re
import struct
import zlib
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import OUTPUT, REPO, WAIT_SECONDS

ARABIC_INDIC = re.compile("[\u0660-\u0669\u06f0-\u06f9]")
# A diacritic on a word's last letter, or tanween on a word-final lam-alef
# (in either order): WebKitGTK moves the whole word by the mark's offset
# (see test_tanween_on_lam_alef_stays_on_the_line).
FINAL_MARK = re.compile("[\u0621-\u064a][\u064b-\u0652]+(?![\u0621-\u0652])|\u0644[\u064b-\u0652]+\u0627(?![\u0621-\u0652])")


def to_arabic(driver) -> None:
    driver.find_element(By.ID, "language-switch").click()
    WebDriverWait(driver, WAIT_SECONDS).until(lambda d: d.execute_script("return document.documentElement.dir") == "rtl")


def body_text(driver) -> str:
    return driver.execute_script("return document.body.innerText")


def open_import(driver) -> None:
    driver.find_element(By.ID, "open-fleet").click()
    driver.find_element(By.ID, "fleet-tab-import").click()


def paste(driver, element_id: str, text: str) -> None:
    """As a paste does: the whole block, then one input event."""
    driver.execute_script(
        "const box = document.getElementById(arguments[0]);"
        "box.value = arguments[1];"
        "box.dispatchEvent(new Event('input', { bubbles: true }));",
        element_id,
        text,
    )


def test_onboarding_is_called_alrabt_on_the_home_button_and_the_screen_title(home):
    to_arabic(home)
    button = home.find_element(By.ID, "open-onboarding").text
    assert "ربط" in button and "تهيئة" not in button, button
    assert "تهيئة" not in body_text(home)
    home.find_element(By.ID, "open-onboarding").click()
    title = home.find_element(By.ID, "onboarding-title").text
    assert title.startswith("ربط") and "تهيئة" not in title, title
    assert "تهيئة" not in body_text(home)


def test_counts_agree_with_their_nouns_and_every_digit_is_western(home):
    to_arabic(home)
    open_import(home)
    header = "organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country"
    rows = [
        "مؤسسة العدد,310122393500003,فرع أ,POS-A-310122393500003,1-CNT|2-POS|3-0001,1100,RRRD2929,Retail,SA",
        "مؤسسة العدد,310122393500003,فرع ب,POS-B-310122393500003,1-CNT|2-POS|3-0002,1100,RRRD2929,Retail,SA",
        "Bad Co,12345,Branch,POS-X-12345,1-CNT|2-POS|3-0009,1100,RRRD2929,Retail,SA",
    ]
    paste(home, "csv-text", "\n".join([header, *rows]) + "\n")
    home.find_element(By.ID, "csv-check").click()
    result = home.find_element(By.ID, "csv-result").text
    # 3 rows (few: plural), one error (one: «خطأ واحد»), two valid units (two: dual).
    assert "تمت قراءة 3 صفوف" in result, result
    assert "عُثر على خطأ واحد" in home.find_element(By.ID, "csv-has-errors").text
    assert "السطر 4" in result, "line numbers in Western digits"
    home.find_element(By.ID, "csv-valid-only").click()
    importer = home.find_element(By.ID, "csv-import")
    assert importer.text.startswith("استورد وحدتين"), importer.text
    assert not ARABIC_INDIC.search(body_text(home)), "Arabic-Indic digits on the import screen"
    home.save_screenshot(str(OUTPUT / "arabic-counts.png"))

    home.find_element(By.ID, "fleet-back").click()
    home.find_element(By.ID, "open-settings").click()
    limit = home.find_element(By.ID, "limit-connect")
    seconds = int(limit.get_attribute("data-seconds"))
    expected = {1: "ثانية واحدة", 2: "ثانيتين"}.get(seconds, f"{seconds} ثوان" if 3 <= seconds % 100 <= 10 else f"{seconds} ثانية")
    assert expected in limit.text, limit.text
    assert not ARABIC_INDIC.search(body_text(home)), "Arabic-Indic digits on the settings screen"


def test_the_apps_own_messages_count_in_agreement_too(home):
    """The Rust side's Arabic counts (fatoora_base::i18n::count_ar), here the
    live check of a VAT number that is too short."""
    to_arabic(home)
    home.find_element(By.ID, "open-units").click()
    box = home.find_element(By.ID, "unit-vatNumber")
    said = {}
    for typed, count in (("12", "رقمين"), ("12345", "5 أرقام"), ("123456789012", "12 رقمًا")):
        box.send_keys(Keys.CONTROL, "a", Keys.DELETE)
        box.send_keys(typed)
        WebDriverWait(home, WAIT_SECONDS).until(
            lambda d: count in d.execute_script("return document.getElementById('unit-vatNumber-messages')?.innerText ?? ''")
        )
        said[typed] = home.find_element(By.ID, "unit-vatNumber-messages").text
    assert all("الرقم الضريبي مكوّن من 15 رقمًا" in text for text in said.values()), said
    assert not ARABIC_INDIC.search(" ".join(said.values())), said


# The text a box shows, laid out in a plain block with the box's own font,
# direction and white space: a textarea's text cannot be measured with DOM
# ranges, and the same characters in the same style lay out alike. Returns,
# per field of `line`, the left edge of its first character.
FIELD_EDGES = """
const [id, lineIndex] = arguments;
const box = document.getElementById(id);
const style = getComputedStyle(box);
const mirror = document.createElement('div');
for (const property of ['font', 'direction', 'unicode-bidi', 'white-space', 'letter-spacing', 'word-spacing'])
  mirror.style.setProperty(property, style.getPropertyValue(property));
mirror.style.whiteSpace = 'pre';
mirror.style.position = 'absolute';
document.body.appendChild(mirror);
const edges = (line) => {
  mirror.textContent = line;
  const node = mirror.firstChild;
  const result = [];
  let start = 0;
  for (const field of line.split(',')) {
    const range = document.createRange();
    const first = start + (field.startsWith('\\u200e') ? 1 : 0);
    range.setStart(node, first);
    range.setEnd(node, first + 1);
    result.push(range.getBoundingClientRect().left);
    start += field.length + 1;
  }
  return result;
};
const shown = box.value.split('\\n')[lineIndex];
const answer = { shown: edges(shown), plain: edges(shown.replaceAll('\\u200e', '')) };
mirror.remove();
return answer;
"""


def in_column_order(edges: list[float]) -> bool:
    """Left to right, each field starts after the one before."""
    return all(a < b for a, b in zip(edges, edges[1:]))


def test_csv_rows_read_in_column_order_in_both_boxes(home):
    to_arabic(home)
    open_import(home)
    home.find_element(By.ID, "csv-show-template").click()
    template = home.find_element(By.ID, "csv-template")
    assert template.get_attribute("dir") == "ltr"
    edges = home.execute_script(FIELD_EDGES, "csv-template", 1)
    assert len(edges["shown"]) == 9
    # Without the marks the Arabic name, the VAT number and the branch form
    # one right-to-left run and read backwards: the check can tell.
    assert not in_column_order(edges["plain"]), edges
    assert in_column_order(edges["shown"]), edges

    row = "مؤسسة الترتيب,310122393500003,فرع الخبر,POS-9-310122393500003,1-ORD|2-POS|3-0001,1100,RRRD2929,Retail,SA"
    paste(home, "csv-text", f"organization_name,vat_number,organization_unit,common_name,serial,invoice_types,address,business_category,country\n{row}\n")
    box = home.find_element(By.ID, "csv-text")
    assert box.get_attribute("dir") == "ltr"
    edges = home.execute_script(FIELD_EDGES, "csv-text", 1)
    assert in_column_order(edges["shown"]) and not in_column_order(edges["plain"]), edges
    # The marks are for the eye only: the check reads the row as pasted.
    home.find_element(By.ID, "csv-check").click()
    result = home.find_element(By.ID, "csv-result")
    assert "السليم منها 1" in result.text, result.text
    home.execute_script("arguments[0].scrollIntoView()", template)
    home.save_screenshot(str(OUTPUT / "arabic-csv-boxes.png"))


def png_rows(png: bytes) -> tuple[int, int, list[bytes], int]:
    """Width, height, unfiltered rows and bytes per pixel of an 8-bit,
    non-interlaced RGB(A) PNG (what WebKit's screenshots are)."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", png[16:29])
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 4 if colour == 6 else 3
    data, at = b"", 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        if kind == b"IDAT":
            data += png[at + 8 : at + 8 + length]
        at += 12 + length
    raw, stride, rows, previous = zlib.decompress(data), width * channels, [], bytes(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows, channels


def ink_bottom(shot: tuple, box: dict) -> int:
    """The lowest row of dark pixels inside `box` (CSS px = screenshot px here)."""
    width, height, rows, channels = shot
    left, right = int(box["left"]), min(width, int(box["right"]) + 1)
    bottom = None
    for y in range(max(0, int(box["top"])), min(height, int(box["bottom"]) + 1)):
        row = rows[y]
        if any(row[x * channels] < 110 for x in range(left, right)):
            bottom = y
    assert bottom is not None, f"no ink in {box}"
    return bottom


# Each word of a line of the page in its own layout box (a Range per word).
WORD_BOXES = """
const paragraph = document.createElement('p');
paragraph.id = 'tanween-probe';
paragraph.lang = 'ar';
paragraph.dir = 'rtl';
paragraph.style.cssText = 'font-size: 32px; line-height: 2; background: #fff; color: #000; padding: 0 16px';
paragraph.textContent = arguments[0];
document.querySelector('main, body').prepend(paragraph);
paragraph.scrollIntoView();
const node = paragraph.firstChild;
const boxes = [];
let start = 0;
for (const word of arguments[0].split(' ')) {
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, start + word.length);
  const r = range.getBoundingClientRect();
  boxes.push({ word, left: r.left, right: r.right, top: r.top, bottom: r.bottom });
  start += word.length + 1;
}
return boxes;
"""


def word_bottoms(driver, line: str) -> dict[str, int]:
    boxes = driver.execute_script(WORD_BOXES, line)
    driver.execute_async_script("const done = arguments[0]; document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(done)))")
    shot = png_rows(driver.get_screenshot_as_png())
    driver.execute_script("document.getElementById('tanween-probe').remove()")
    return {box["word"]: ink_bottom(shot, box) for box in boxes}


def test_tanween_on_lam_alef_stays_on_the_line(home):
    """WebKitGTK applies the vertical offset that IBM Plex Sans Arabic's
    `mark` feature gives a fathatan on the lam-alef ligature (0.45 em as
    HarfBuzz shapes it) to the whole word: in running text «كاملًا» floats
    half a line up, and so does «كاملاً» (mark after the alef). The app's
    texts write these words without the tanween, as print often does; this
    measures both against «لا», which sits on the line with no descender."""
    to_arabic(home)
    floating = word_bottoms(home, "الربط كاملًا لا")
    assert floating["لا"] - floating["كاملًا"] > 8, f"the WebKitGTK fault no longer shows ({floating}): the tanween could come back"
    fixed = word_bottoms(home, "الربط كاملا لا")
    assert abs(fixed["لا"] - fixed["كاملا"]) <= 2, fixed
    # The app's own sentence, as the onboarding screen shows it.
    home.find_element(By.ID, "open-onboarding").click()
    sentence = home.find_element(By.CSS_SELECTOR, "#rehearsal-offer p").text
    assert "الربط كاملا." in sentence and not FINAL_MARK.search(body_text(home)), sentence
    home.save_screenshot(str(OUTPUT / "arabic-tanween.png"))


def test_no_text_of_the_app_has_a_mark_on_a_words_last_letter():
    sources = [REPO / "ui/src/i18n/ar.json", *REPO.glob("crates/*/src/**/*.rs"), *REPO.glob("src-tauri/src/**/*.rs")]
    found = [f"{path.relative_to(REPO)}:{n}" for path in sources for n, line in enumerate(path.read_text().splitlines(), 1) if FINAL_MARK.search(line)]
    assert found == [], found
