"""mathdl explore in a real headless Chromium (Playwright, the system's browser): draw a digit and see the network's
reading, train the playground live, browse a study — on a laptop's screen (1280 × 800) and a phone's (390 × 844):
nothing wider than the screen, every tab and button visible and tappable; and a fresh install's first Start, which
says that the training loops are compiling.

Without Chromium (or Playwright) these tests are skipped, with the line that says how to install them; with CI=true
a missing browser is a failure. MATHDL_SCREENSHOTS=DIR saves a screenshot of each view into DIR (docs/explore);
MATHDL_SCREENSHOT_DIRS (directories separated by the path separator) serves those run and study directories
instead of the tests' small ones, for pictures of real results.
"""
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

from mathdl.explore.app import create_app

from explore_support import Served, digits_run, one_stroke, zero_stroke, drawn  # noqa: F401

INSTALL = ("the browser tests need Chromium and Playwright: apt-get install -y chromium (Debian's package, "
           "/usr/bin/chromium) and pip install playwright; or set MATHDL_CHROMIUM to a Chromium executable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    for candidate in (os.environ.get("MATHDL_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


if not in_ci() and (chromium_path() is None or importlib.util.find_spec("playwright") is None):
    pytest.skip(INSTALL, allow_module_level=True)  # one line for the module; under CI the fixture fails instead


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A headless Chromium with a fresh profile, or a skip (a failure under CI=true) saying how to get one."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    executable = chromium_path()
    if sync_playwright is None or executable is None:
        if in_ci():
            pytest.fail(f"CI must run the browser tests: {INSTALL}")
        pytest.skip(INSTALL)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path_factory.mktemp("chromium-profile")),
                                                       executable_path=executable, headless=True, args=FLAGS,
                                                       viewport=VIEWPORT)
        yield context
        context.close()


@pytest.fixture(scope="module")
def site(digits_run, presented):
    shown = os.environ.get("MATHDL_SCREENSHOT_DIRS")
    dirs = shown.split(os.pathsep) if shown else [digits_run[0], presented[0].dir]  # the study with its video
    with Served(create_app(dirs, data=digits_run[1])) as served:
        yield served


@pytest.fixture
def page(browser, site):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(30_000)
    yield page
    page.close()
    assert not errors, errors  # no JavaScript error on the page


def fits_the_screen(page) -> None:
    """No horizontal scrolling: the page is no wider than the window."""
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page is {width} px wide in a window of {inner} px"


def tappable(page, selector: str) -> int:
    """Every element of ``selector`` that is shown lies inside the window's width and, scrolled into view, is
    the element a tap on its centre reaches (nothing lies over it); how many there are."""
    found = page.evaluate("""(selector) => {
        const out = [];
        for (const el of document.querySelectorAll(selector)) {
            if (!el.offsetParent) continue;  // not shown
            el.scrollIntoView({ block: "center", inline: "nearest" });
            const r = el.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + r.height / 2;
            const hit = document.elementFromPoint(x, y);
            out.push({ text: el.textContent.trim().slice(0, 20), left: r.left, right: r.right,
                       reached: !!hit && (hit === el || el.contains(hit)) });
        }
        return out;
    }""", selector)
    width = page.evaluate("window.innerWidth")
    for element in found:
        assert element["left"] >= 0 and element["right"] <= width, (selector, element, width)
        assert element["reached"], (selector, element)
    return len(found)


def screenshot(page, name: str, full_page: bool = True) -> None:
    folder = os.environ.get("MATHDL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=full_page)


def draw(page, stroke) -> None:
    """Drag the mouse along ``stroke`` (points on the 280-pixel pad) and wait for the last prediction."""
    page.locator("#pad").scroll_into_view_if_needed()
    box = page.locator("#pad").bounding_box()
    scale = box["width"] / 280
    at = lambda x, y: (box["x"] + x * scale, box["y"] + y * scale)  # noqa: E731
    page.mouse.move(*at(*stroke[0]))
    page.mouse.down()
    for x, y in stroke[1:]:
        page.mouse.move(*at(x, y), steps=3)
    page.mouse.up()
    page.wait_for_function("!mathdl.digit.busy")


def test_drawing_a_digit_shows_the_prediction_and_every_layer(page, site, digits_run):
    page.goto(f"{site.url}/#digit")
    page.wait_for_selector("#network option", state="attached")
    hidden = len(site.app.state.catalog.network("0").run().net.sizes) - 2
    draw(page, zero_stroke())
    page.wait_for_selector("#prediction .class")
    assert page.locator("#layers .layer canvas").count() == hidden
    assert page.locator("#bars .track").count() == 10 and page.locator("#units .unit").count() == 8
    real = digits_run[2] or bool(os.environ.get("MATHDL_SCREENSHOT_DIRS"))
    if real:
        assert page.inner_text("#prediction .class") == "0"
    page.locator("#reverse-classes button").first.click()
    page.wait_for_selector("#reverse-images figure")
    assert page.locator("#reverse-images figure").count() == 5  # the mean training image and the four methods
    assert page.locator("#reverse-images figcaption .judge").count() == 5  # the judge's reading under each
    screenshot(page, "digit")

    page.click("#pad-undo")
    page.wait_for_selector("#prediction .class", state="detached")
    draw(page, one_stroke())
    if real:
        assert page.inner_text("#prediction .class") == "1"
    page.click("#pad-clear")
    page.set_input_files("#pad-upload", files=[{"name": "zero.png", "mimeType": "image/png",
                                                "buffer": drawn([zero_stroke()])}])
    page.wait_for_selector("#prediction .class")
    page.wait_for_function("!mathdl.digit.busy")
    page.click("#equations-card summary")
    page.wait_for_selector("#equations table")
    assert "z⁽¹⁾ = W⁽¹⁾ a⁽⁰⁾ + b⁽¹⁾" in page.inner_text("#equations")


def server_rows(page) -> list[dict]:
    return page.evaluate("fetch(`/api/playground/${mathdl.playground.sid}`).then((r) => r.json()).then((s) => s.rows)")


def percent(page, selector: str) -> float:
    return float(page.inner_text(selector).rstrip("%"))


def test_the_playground_trains_xor_live_with_one_hidden_layer(page, site):
    page.goto(f"{site.url}/#playground")
    page.wait_for_function("document.getElementById('pg-network').textContent.startsWith('2-8-1')")
    page.click("#datasets button:text-is('xor')")
    page.click("#pg-run")
    page.wait_for_function("parseFloat(document.getElementById('pg-test').textContent) >= 95", timeout=45_000)
    page.click("#pg-run")  # pause
    page.wait_for_function("document.getElementById('pg-run').dataset.status === 'paused'")
    rows = server_rows(page)
    assert rows[-1]["test_accuracy"] >= 0.95 and percent(page, "#pg-test") == pytest.approx(100 * rows[-1]["test_accuracy"], abs=0.05)
    assert int(page.inner_text("#pg-epoch")) == rows[-1]["epoch"]
    assert page.locator("#neurons canvas").count() == 8
    if os.environ.get("MATHDL_SCREENSHOTS"):  # the picture: a boundary that has settled
        page.click("#pg-run")
        page.wait_for_function("Number(document.getElementById('pg-epoch').textContent) >= 80", timeout=45_000)
        page.click("#pg-run")
        page.wait_for_function("document.getElementById('pg-run').dataset.status === 'paused'")
    screenshot(page, "playground")


def test_a_perceptron_cannot_learn_xor(page, site):
    page.goto(f"{site.url}/#playground")
    page.wait_for_function("document.getElementById('pg-network').textContent.startsWith('2-8-1')")
    page.click("#layers-stepper button[data-delta='-1']")
    page.wait_for_function("document.getElementById('pg-network').textContent.startsWith('2-1 ')")
    page.select_option("#rate", "1000")
    page.wait_for_function("document.getElementById('rate').value === '1000'")
    page.click("#pg-run")
    page.wait_for_function("Number(document.getElementById('pg-epoch').textContent) >= 150", timeout=45_000)
    page.click("#pg-run")
    page.wait_for_function("document.getElementById('pg-run').dataset.status === 'paused'")
    rows = server_rows(page)
    assert len(rows) >= 150 and max(r["test_accuracy"] for r in rows) < 0.80
    assert percent(page, "#pg-test") < 80
    assert page.inner_text("#pg-line").startswith("boundary:") and "x₁" in page.inner_text("#pg-line")


def test_the_study_view_shows_the_eight_confusion_matrices(page, site):
    page.goto(f"{site.url}/#study")
    page.wait_for_selector(".matrix")
    assert page.locator(".matrix").count() == 8
    study_dir = next(iter(site.app.state.catalog.studies.values())).path
    summary = json.loads((study_dir / "summary.json").read_text())
    for config in summary["configurations"]:
        cells = page.locator(f".matrix[data-number='{config['number']}'] .confusion b").all_inner_texts()
        assert cells == [str(config[k]) for k in ("tp", "fn", "fp", "tn")]
    assert page.locator("#rates tbody tr").count() == 8
    assert page.locator("#mcnemar tbody tr").count() == len(summary["mcnemar"])
    assert page.locator("#files a").count() > 8 * 5
    plays_the_presentation(page, study_dir)
    fits_the_screen(page)
    assert tappable(page, ".tabs button") == 3
    page.set_viewport_size({"width": VIEWPORT["width"], "height": 1240})
    screenshot(page, "study", full_page=False)


def plays_the_presentation(page, study_dir) -> None:
    """The study's video is loaded (its length read from the MP4 by the browser) and plays, with the
    subtitles of presentation.vtt showing."""
    import av

    from mathdl.present.video import read_cues
    page.wait_for_function("document.getElementById('study-video').readyState >= 1")
    with av.open(str(study_dir / "presentation.mp4")) as container:
        length = container.duration / av.time_base
    assert abs(page.evaluate("document.getElementById('study-video').duration") - length) < 0.25
    cues = read_cues(study_dir / "presentation.mp4")
    page.wait_for_function("(t => t && t.mode === 'showing' && t.cues && t.cues.length > 0)"
                           "(document.getElementById('study-video').textTracks[0])")
    assert page.evaluate("document.getElementById('study-video').textTracks[0].cues.length") == len(cues)
    page.evaluate("v => { v.muted = true; return v.play(); }", page.locator("#study-video").element_handle())
    page.wait_for_function("document.getElementById('study-video').currentTime > 0.5")


# ---- a phone: 390 × 844 ----------------------------------------------------------------------------


@pytest.fixture
def phone(browser, site):
    page = browser.new_page()
    page.set_viewport_size(PHONE)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(30_000)
    yield page
    page.close()
    assert not errors, errors


def test_the_digit_view_on_a_phone(phone, site):
    phone.goto(f"{site.url}/#digit")
    phone.wait_for_selector("#network option", state="attached")
    assert tappable(phone, ".tabs button") == 3
    draw(phone, zero_stroke())
    phone.wait_for_selector("#prediction .class")
    fits_the_screen(phone)
    assert tappable(phone, "#pad-clear, #pad-undo, .pad-card .button") == 3
    assert tappable(phone, "#reverse-classes button") == 10
    phone.locator("#reverse-classes button").nth(3).click()
    phone.wait_for_selector("#reverse-images figure")
    fits_the_screen(phone)
    screenshot(phone, "phone-digit")


def test_the_playground_on_a_phone_has_the_plot_first_and_trains(phone, site):
    phone.goto(f"{site.url}/#playground")
    phone.wait_for_function("document.getElementById('pg-network').textContent.startsWith('2-8-1')")
    fits_the_screen(phone)
    plane, controls = phone.locator("#plane").bounding_box(), phone.locator(".controls").bounding_box()
    assert plane["y"] < controls["y"] and plane["x"] >= 0 and plane["x"] + plane["width"] <= PHONE["width"]
    assert tappable(phone, ".tabs button") == 3
    assert tappable(phone, "#pg-run, #pg-step, #pg-reset") == 3
    assert tappable(phone, "#datasets button") == 6 and tappable(phone, "#layers-stepper button, #cost button, #bp button") == 6
    phone.click("#pg-run")
    phone.wait_for_function("Number(document.getElementById('pg-epoch').textContent) >= 10", timeout=45_000)
    phone.click("#pg-run")
    phone.wait_for_function("document.getElementById('pg-run').dataset.status === 'paused'")
    fits_the_screen(phone)
    phone.evaluate("window.scrollTo(0, 0)")
    screenshot(phone, "phone-playground")


def test_the_study_on_a_phone_shows_one_matrix_a_row(phone, site):
    phone.goto(f"{site.url}/#study")
    phone.wait_for_selector(".matrix")
    fits_the_screen(phone)
    boxes = [phone.locator(".matrix").nth(i).bounding_box() for i in range(8)]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= PHONE["width"] for b in boxes)
    assert len({round(b["x"]) for b in boxes}) == 1  # one column
    assert tappable(phone, ".tabs button") == 3
    screenshot(phone, "phone-study")


# ---- a fresh install's first Start -----------------------------------------------------------------


def test_a_first_start_on_a_cold_cache_says_the_loops_are_compiling(browser, digits_run, tmp_path):
    import subprocess
    import sys
    import time
    import socket as sockets
    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}  # nothing compiled yet
    server = subprocess.Popen([sys.executable, "-m", "mathdl", "explore", str(digits_run[0]), "--no-browser",
                               "--port", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env)
    page = browser.new_page()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/#playground")
                break
            except Exception:  # noqa: BLE001 - not listening yet
                assert time.monotonic() < deadline
                time.sleep(0.2)
        page.wait_for_function("document.getElementById('pg-network').textContent.startsWith('2-8-1')")
        page.click("#pg-run")
        page.wait_for_function("document.getElementById('pg-notice').textContent.startsWith('Compiling the training loops')")
        assert page.inner_text("#pg-run") == "❚❚ Pause" and "first use only" in page.inner_text("#pg-notice")
        t0 = time.monotonic()
        page.click("#pg-run")
        page.wait_for_function("document.getElementById('pg-run').textContent.includes('Start')")
        assert time.monotonic() - t0 < 1.0  # the click, the answer (within 200 ms: test_explore_api) and the redraw
        assert page.inner_text("#pg-notice").startswith("Paused while the training loops compile")
        screenshot(page, "compiling", full_page=False)
        page.click("#pg-run")
        page.wait_for_function("Number(document.getElementById('pg-epoch').textContent) >= 3", timeout=240_000)
        assert page.locator("#pg-notice").is_hidden()
    finally:
        page.close()
        server.terminate()
        server.communicate(timeout=30)
