"""The counter in a real browser: Debian's chromium, headless, driven by Playwright.

Type part of a name, pick the result with the keyboard, fill in the patient
form, download the PDF and read it back. The browser is the system's
(/usr/bin/chromium, from scripts/install-system-deps.sh); Playwright's own
browser download is never used. With LEAFLETS_UPDATE_SCREENSHOTS=1 the three
pages' screenshots are copied to docs/screenshots/ for the README.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from servehelp import FOOTER_WORD, REPO, Server, page_texts, start_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
NAME = "Marigold Ashdown-Pellinore"


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Server:
    base = tmp_path_factory.mktemp("browser")
    project = base / "project"
    project.mkdir()
    (project / "leaflets.toml").write_text(
        'organisation = "Riverside Pharmacy"\ncontact = "12 Mill Lane, Riverside · 01234 567890"\n', encoding="utf-8")
    corpus = REPO.parent / "shared" / "corpus" / "m"
    paths = [REPO / "entries"] + ([corpus] if corpus.is_dir() else [])
    server = start_server(project, paths, base / "cache", base / "tmp", base / "server.log")
    yield server
    server.stop()


def test_find_fill_in_and_download_with_the_keyboard(counter: Server, tmp_path: Path) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium; see scripts/install-system-deps.sh)")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS,
            accept_downloads=True, downloads_path=str(tmp_path / "downloads"),
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(counter.url + "/")
            search = page.locator("#q")
            search.press_sequentially("metfo", delay=40)
            page.wait_for_function(
                "() => [...document.querySelectorAll('#results li')].some(li => li.textContent.trim() === 'Metformin')")
            titles = page.locator("#results li").all_text_contents()
            target = [title.strip() for title in titles].index("Metformin")
            # Down past the first result and back up, then down to Metformin: the keyboard alone.
            search.press("ArrowDown")
            search.press("ArrowUp")
            for _ in range(target):
                search.press("ArrowDown")
            assert page.locator("#results li[aria-selected=true]").text_content().strip() == "Metformin"
            page.screenshot(path=str(shots / "search.png"))
            search.press("Enter")
            page.wait_for_url("**/leaflet/metformin")
            page.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
            assert page.locator(".preview img").count() >= 1
            page.screenshot(path=str(shots / "leaflet.png"))

            page.fill("#patient_name", NAME)
            page.fill("#directions", "Take ONE tablet twice a day\nwith breakfast and evening meal")
            page.fill("#prescriber", "Dr A. Okafor")
            page.fill("#note", "Start with a low dose for the first week.")
            page.locator("#patient-form").screenshot(path=str(shots / "patient-form.png"))
            with page.expect_download() as download_info:
                page.click("#download")
            download = download_info.value
            assert download.suggested_filename == "metformin.pdf"
            data = Path(download.path()).read_bytes()
            download.delete()  # the browser's copy of the patient's leaflet
            assert not errors, errors  # no script errors, no CSP violations reported
        finally:
            context.close()
    texts = page_texts(data)
    assert NAME in texts[0] and "Take ONE tablet twice a day\nwith breakfast and evening meal" in texts[0]
    assert all(NAME not in text for text in texts[1:])
    assert all(FOOTER_WORD in text for text in texts), "the footer is on every page"
    if os.environ.get("LEAFLETS_UPDATE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for shot in shots.iterdir():
            shutil.copyfile(shot, SCREENSHOTS / shot.name)


def test_pick_a_language_and_a_second_one_on_the_page(counter: Server, tmp_path: Path) -> None:
    """The options apply on change (counter.js); a new language that was the second one clears it, so no 400."""
    playwright_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium; see scripts/install-system-deps.sh)")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.goto(counter.url + "/leaflet/paracetamol")
            page.select_option("select[name=bilingual]", "es")
            page.wait_for_url("**bilingual=es**")
            assert page.locator("select[name=lang]").input_value() == "en"
            page.select_option("select[name=lang]", "es")
            page.wait_for_url("**lang=es**")
            assert "bilingual=es" not in page.url
            assert page.locator("select[name=lang]").input_value() == "es"
            assert page.locator("select[name=bilingual]").input_value() == ""
            assert page.locator("#patient-form input[name=lang]").input_value() == "es"
            page.wait_for_function("() => [...document.images].every(image => image.complete && image.naturalWidth > 0)")
            assert page.locator(".preview img").count() >= 1 and not errors, errors
        finally:
            browser.close()
