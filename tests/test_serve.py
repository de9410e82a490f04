"""`leaflets serve`, the counter: the real server in a subprocess, over the example entries and a slice of the corpus.

Patient data must leave no trace: the last test greps every file the server
could have written (project, cache, its temp folder, its log) for the names
typed in the earlier tests, PDFs decompressed.
"""

from __future__ import annotations

import concurrent.futures
import http.client
import io
import json
import os
import shutil
import tempfile
import textwrap
import time
import urllib.parse
from pathlib import Path

import pdfplumber
import pikepdf
import pytest
from servehelp import (
    FOOTER_WORD,
    REPO,
    Server,
    files_containing,
    metadata_bytes,
    page_texts,
    start_server,
)

CORPUS = REPO.parent / "shared" / "corpus"
CORPUS_SLICE = CORPUS / "p"
PATIENT = "Zebedee Quillfeather"
PATIENT_WORDS = [PATIENT, "Quillfeather", "Xanthe Marchbanks", "Ottoline Vexbridge", "Prescriber Hollowmere",
                 "Note Brindlewick", "Perpetua Lindqvist-Obasi"] + [f"Patient{i} Tumblethorn" for i in range(8)]
"""Everything typed into patient fields in this module; none may be found on disk afterwards."""


def _entry(title: str, body: str) -> str:
    return f"---\ntitle: {title}\nreviewed: 2025-06-01\n---\n\n# {title}\n\n{body}\n"


GOOD_BODY = textwrap.dedent("""\
    ### Usage
    Folic acid helps the body make healthy red blood cells. It is taken before and during pregnancy.

    ### Dosage
    Take one tablet a day with water.

    ### Side Effects
    Side effects are rare. Some people feel sick or bloated.

    ### Precautions
    Tell your pharmacist about other medicines you take.
    """)


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> Server:
    if not CORPUS_SLICE.is_dir():
        pytest.skip(f"corpus not present at {CORPUS} (it lives in ../shared beside the repository)")
    base = tmp_path_factory.mktemp("counter")
    project = base / "project"
    own = project / "own"
    own.mkdir(parents=True)
    (project / "leaflets.toml").write_text(
        'organisation = "Riverside Pharmacy"\nbase_url = "https://leaflets.example.org/riverside"\n', encoding="utf-8")
    (own / "acido-folico.md").write_text(_entry("Ácido fólico", GOOD_BODY), encoding="utf-8")
    (own / "broken.md").write_text(_entry("Brokenmedicine", "Please specify the full name of the medicine."),
                                   encoding="utf-8")
    server = start_server(project, [REPO / "entries", CORPUS_SLICE, own], base / "cache", base / "tmp",
                          base / "server.log")
    yield server
    server.stop()


def search(server: Server, text: str) -> list[dict[str, str]]:
    status, headers, body = server.get("/api/search?q=" + urllib.parse.quote(text))
    assert status == 200 and headers["content-type"].startswith("application/json")
    return json.loads(body)["results"]


def test_search_finds_by_prefix_with_title_matches_first(counter: Server) -> None:
    results = search(counter, "parac")
    titles = [result["title"] for result in results]
    assert titles[0] == "Paracetamol", titles
    assert all(set(result) == {"id", "title", "lang", "url"} for result in results)
    assert results[0]["url"] == "/leaflet/" + results[0]["id"]
    # Every title containing the word comes before any entry that only mentions it in its text.
    in_title = ["ibuprofen" in result["title"].lower() for result in search(counter, "ibuprofen")]
    assert True in in_title and False in in_title
    assert in_title == sorted(in_title, reverse=True)
    # Prefixes as typed, one letter at a time, keep finding the entry.
    for prefix in ("m", "me", "met", "metf", "metfo"):
        assert "Metformin" in [result["title"] for result in search(counter, prefix)][:20] or prefix in ("m", "me")
    assert search(counter, "metfo")[0]["title"] == "Metformin"


def test_search_folds_accents_and_case(counter: Server) -> None:
    for query in ("acido", "ÁCIDO", "ácido", "fólico", "folic", "acido fol"):
        assert "Ácido fólico" in [result["title"] for result in search(counter, query)], query


def test_search_treats_query_syntax_as_text(counter: Server) -> None:
    for query in ('"', "*", "NEAR(", "a OR", "title:x", "-", "'; DROP TABLE files; --"):
        search(counter, query)  # answers 200 with JSON, whatever it finds
    assert search(counter, "") == []


def test_home_page_lists_results_without_javascript(counter: Server) -> None:
    status, _, body = counter.get("/?q=parac")
    assert status == 200
    assert b'<input type="search" id="q" name="q"' in body
    assert b'href="/leaflet/' in body and b"Paracetamol" in body


def test_security_headers(counter: Server) -> None:
    for path in ("/", "/leaflet/paracetamol", "/api/search?q=a", "/leaflet/nope"):
        _, headers, _ = counter.get(path)
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
    _, _, body = counter.get("/leaflet/paracetamol")
    assert b"<script>" not in body and b" on" + b"click=" not in body  # no inline scripts or handlers


def test_leaflet_page_shows_pages_options_and_form(counter: Server) -> None:
    status, _, body = counter.get("/leaflet/paracetamol")
    assert status == 200
    text = body.decode()
    for needle in ('name="patient_name"', 'name="directions"', 'name="prescriber"', 'name="note"', 'name="date"',
                   'name="paper"', 'name="large_print"', 'name="lang"', "For this patient", "Download PDF",
                   'method="post"', "/leaflet/paracetamol/page-1.png"):
        assert needle in text, needle
    pages = len(page_texts(counter.get("/leaflet/paracetamol.pdf")[2]))
    assert pages >= 2 and f"/leaflet/paracetamol/page-{pages}.png" in text  # every page shown
    assert f"/leaflet/paracetamol/page-{pages + 1}.png" not in text
    status, _, body = counter.get("/leaflet/paracetamol")  # again, now from the build cache
    assert f"/leaflet/paracetamol/page-{pages}.png".encode() in body
    status, headers, image = counter.get("/leaflet/paracetamol/page-1.png?paper=a4")
    assert status == 200 and headers["content-type"] == "image/png" and image.startswith(b"\x89PNG")
    assert counter.get("/leaflet/paracetamol/page-99.png")[0] == 404


def test_plain_pdf_comes_from_the_build_cache(counter: Server) -> None:
    status, headers, data = counter.get("/leaflet/metformin.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf" and data.startswith(b"%PDF")
    cached = counter.cache / "metformin.pdf"
    assert cached.read_bytes() == data
    record = json.loads((counter.cache / ".leaflets-cache.json").read_text())
    assert "metformin.pdf" in record["outputs"]
    stamp = cached.stat().st_mtime_ns
    assert counter.get("/leaflet/metformin.pdf")[2] == data
    assert cached.stat().st_mtime_ns == stamp  # served, not rendered and written again


def test_a_leaflet_built_by_leaflets_build_is_served_as_it_is(counter: Server) -> None:
    """serve and build share the cache: same output names, same keys."""
    import subprocess

    from servehelp import LEAFLETS

    built = subprocess.run([str(LEAFLETS), "build", str(REPO / "entries"), "--out", str(counter.cache), "--project",
                            str(counter.project), "--quiet"], capture_output=True, text=True, check=False, timeout=600)
    assert built.returncode == 0, built.stderr
    target = counter.cache / "amoxicillin-clavulanic-acid.pdf"
    stamp = target.stat().st_mtime_ns
    status, _, data = counter.get("/leaflet/amoxicillin-clavulanic-acid.pdf")
    assert status == 200 and data == target.read_bytes() and target.stat().st_mtime_ns == stamp
    again = subprocess.run([str(LEAFLETS), "build", str(REPO / "entries"), "--out", str(counter.cache), "--project",
                            str(counter.project)], capture_output=True, text=True, check=False, timeout=600)
    examples = len(list((REPO / "entries").glob("*.md")))
    assert f"0 built, {examples} up to date" in again.stderr


def test_patient_copy_prints_what_was_typed_on_page_one_only(counter: Server) -> None:
    directions = "Take 2 tablets every 6 hours, gulpwise\nwith food {{ 7*7 }} <b>bold</b> {% if x %}"
    status, headers, data = counter.post("/leaflet/paracetamol.pdf", {
        "patient_name": PATIENT, "directions": directions, "prescriber": "Prescriber Hollowmere",
        "note": "Note Brindlewick", "date": "2026-03-04", "paper": "a4", "lang": "en",
    })
    assert status == 200, data[:500]
    assert headers["content-type"] == "application/pdf"
    assert headers["cache-control"] == "no-store"
    assert PATIENT.split()[1] not in headers["content-disposition"]
    assert 'filename="paracetamol.pdf"' in headers["content-disposition"]
    texts = page_texts(data)
    assert len(texts) >= 2
    first = texts[0]
    assert "Filled in by the pharmacy".upper() in first.upper()
    assert PATIENT in first and "Prescriber Hollowmere" in first and "Note Brindlewick" in first
    assert "4 March 2026" in first
    assert "{{ 7*7 }} <b>bold</b> {% if x %}" in first  # template syntax and HTML printed as typed
    assert all(PATIENT not in text for text in texts[1:])
    assert all(FOOTER_WORD in text for text in texts), "the footer is on every page"
    meta = metadata_bytes(data)
    assert b"Quillfeather" not in meta and b"Paracetamol" in meta  # the title stays the medicine
    assert qr_codes(data) == ["https://leaflets.example.org/riverside/paracetamol.html"]  # the QR code neither
    assert "Take 2 tablets every 6 hours, gulpwise\nwith food" in first  # line breaks kept
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        words = pdf.pages[0].extract_words(extra_attrs=["size"])
    assert [w["size"] for w in words if w["text"] == "gulpwise"][0] >= 12  # directions at 12 pt or more


def test_typed_text_keeps_its_own_direction_in_a_leaflet_that_runs_the_other_way(counter: Server) -> None:
    """English directions in an Arabic leaflet (and an Arabic name) print as typed: "2 x 500 mg", not "x 500 mg 2"."""
    directions = "2 x 500 mg\n1/2 tablet at 08:00 - 20:00\n\nTake 2 tablets (500 mg) every 6 hours."
    status, _, data = counter.post("/leaflet/paracetamol.ar.pdf", {
        "patient_name": "Brindle Quillfeather", "directions": directions, "prescriber": "د. سلمى حداد",
    })
    assert status == 200, data[:500]
    with pdfplumber.open(io.BytesIO(data)) as pdf:  # pdfplumber gives visual order, left to right
        # Digits come from another font, a little off the Arabic baseline: a wider y tolerance keeps a line whole.
        lines = pdf.pages[0].extract_text(y_tolerance=6, x_tolerance=1.5).splitlines()
    for typed in ("2 x 500 mg", "1/2 tablet at 08:00 - 20:00", "Take 2 tablets (500 mg) every 6 hours.", "Brindle Quillfeather"):
        assert any(typed in line for line in lines), (typed, lines[:12])


def qr_codes(data: bytes) -> list[str]:
    import pypdfium2
    from pyzbar.pyzbar import decode

    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=150 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return [code.data.decode() for code in decode(image)]


def test_large_print_patient_copy(counter: Server) -> None:
    status, _, data = counter.post("/leaflet/metformin.pdf", {
        "patient_name": "Xanthe Marchbanks", "directions": "Two daily, gulpwise", "large_print": "1", "paper": "a5"})
    assert status == 200
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        assert round(pdf.pages[0].width) == 420  # A5
        words = pdf.pages[0].extract_words(extra_attrs=["size"])
    assert [w["size"] for w in words if w["text"] == "gulpwise"][0] >= 18
    assert all(FOOTER_WORD in text for text in page_texts(data))


def test_patient_box_sits_above_the_title(counter: Server) -> None:
    _, _, data = counter.post("/leaflet/ibuprofen.pdf", {"patient_name": "Xanthe Marchbanks", "directions": "One daily"})
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        words = pdf.pages[0].extract_words(extra_attrs=["size"])
    title = max((w for w in words if w["text"] == "Ibuprofen"), key=lambda w: w["size"])
    name = next(w for w in words if w["text"] == "Marchbanks")
    assert title["size"] >= 20 and name["top"] < title["top"]


def test_patient_fields_are_refused_in_a_url(counter: Server) -> None:
    for path in ("/leaflet/paracetamol.pdf?patient_name=Ottoline+Vexbridge",
                 "/leaflet/paracetamol?directions=two+daily", "/?patient_name=Ottoline+Vexbridge"):
        status, _, body = counter.get(path)
        assert status in (400, 405), path
        assert b"never in a web address" in body


def test_bad_fields_get_a_message_a_person_understands(counter: Server) -> None:
    status, _, body = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "x" * 501})
    assert status == 400 and b"The name is too long: at most 500 characters fit" in body
    status, _, body = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "Ann", "directions": "a\x07b"})
    assert status == 400 and b"The directions contains a character that cannot be printed" in body
    status, _, body = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "Ann\u202eevil"})
    assert status == 400 and b"cannot be printed" in body
    status, _, body = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "Ann", "date": "next tuesday"})
    assert status == 400 and b"is not a date" in body
    status, _, body = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "Ann", "paper": "a0"})
    assert status == 400 and b"not one of the choices" in body
    status, _, body = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "Ann", "note": "n" * 70_000})
    assert status == 413 and b"The form is too long" in body
    status, _, _ = counter.post("/leaflet/paracetamol.pdf", {"patient_name": "Ann", "directions": "a\r\nb"})
    assert status == 200  # line breaks in a text area are what was typed


def test_unknown_ids_and_path_tricks_are_404_and_read_nothing(counter: Server) -> None:
    secret = counter.project / "leaflets.toml"
    for path in ("/leaflet/no-such-medicine", "/leaflet/no-such-medicine.pdf", "/leaflet/../leaflets.toml",
                 "/leaflet/%2e%2e/%2e%2e/etc/passwd", "/leaflet/..%2F..%2Fetc%2Fpasswd", "/leaflet//etc/passwd",
                 "/leaflet/p%2Fparacetamol", "/leaflet/p%2fparacetamol.pdf", "/leaflet/%2Fetc%2Fpasswd.pdf",
                 "/leaflet/..\\..\\leaflets.toml", "/leaflet/" + str(secret), "/leaflet/p/../paracetamol.pdf",
                 "/leaflet/paracetamol/page-1.png/../../x"):
        status, _, body = counter.get(path)
        assert status == 404, path
        assert b"Riverside" not in body and b"root:" not in body
        assert b"No such leaflet" in body
    assert counter.get("/leaflet/paracetamol-caffeine-phenazone.pdf")[0] == 200  # a real id still works


def test_a_leaflet_that_fails_to_render_gets_a_500_page_naming_it(counter: Server) -> None:
    status, _, body = counter.get("/leaflet/broken")
    assert status == 500
    assert b"Brokenmedicine" in body and b"broken.md" in body
    status, _, body = counter.post("/leaflet/broken.pdf", {"patient_name": "Ottoline Vexbridge"})
    assert status == 500 and b"Brokenmedicine" in body and b"Vexbridge" not in body
    assert counter.get("/api/search?q=para")[0] == 200  # still up
    assert counter.process.poll() is None


def test_eight_people_printing_at_once_all_get_their_copy(counter: Server) -> None:
    names = [f"Patient{i} Tumblethorn" for i in range(8)]
    ids = ["paracetamol", "ibuprofen", "metformin", "salbutamol-inhaler", "amoxicillin-clavulanic-acid",
           "paracetamol-caffeine-phenazone", "paracetamol", "ibuprofen"]

    def one(pair: tuple[str, str]) -> tuple[int, bytes]:
        name, identifier = pair
        status, _, data = counter.post(f"/leaflet/{identifier}.pdf", {"patient_name": name, "directions": "Twice daily"})
        return status, data

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, zip(names, ids)))
    for name, (status, data) in zip(names, answers):
        assert status == 200
        first = page_texts(data)[0]
        assert name in first and all(other not in first for other in names if other != name)


def _basket(counter: Server, identifiers: tuple[str, ...]) -> str:
    """The cookie of a basket holding ``identifiers``."""
    cookie = ""
    for identifier in identifiers:
        status, headers, _ = counter.request(
            "POST", "/basket", f"add={identifier}&back=/basket".encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        assert status == 303
        cookie = headers["set-cookie"].split(";", 1)[0]
    return cookie


def test_basket_makes_one_booklet(counter: Server) -> None:
    cookie = _basket(counter, ("metformin", "ibuprofen", "paracetamol.es"))
    status, _, body = counter.request("GET", "/basket", headers={"Cookie": cookie})
    assert b"Metformin" in body and b"Ibuprofen" in body and b"Paracetamol" in body
    status, headers, data = counter.request("GET", "/basket.pdf?paper=a4", headers={"Cookie": cookie})
    assert status == 200 and headers["content-type"] == "application/pdf"
    pages = page_texts(data)
    text = "\n".join(pages)
    assert "Metformin" in text and "Ibuprofen" in text and "Contents" in text
    assert "Paracetamol (in Spanish)" in pages[1] and "Efectos secundarios" in text  # the translation, in Spanish


def test_basket_of_translations_only(counter: Server) -> None:
    cookie = _basket(counter, ("paracetamol.es", "paracetamol.fr"))
    status, headers, data = counter.request("GET", "/basket.pdf?paper=a4", headers={"Cookie": cookie})
    assert status == 200 and headers["content-type"] == "application/pdf"
    contents = page_texts(data)[1]
    assert "Paracetamol (in Spanish)" in contents and "Paracétamol (in French)" in contents


def test_print_without_a_printer_says_so(counter: Server) -> None:
    status, _, body = counter.post("/leaflet/metformin.pdf", {"patient_name": "Xanthe Marchbanks", "action": "print"})
    assert status == 409 and b"No printer is set up" in body and b"Marchbanks" not in body
    assert b"Print on" not in counter.get("/leaflet/metformin")[2]  # no Print button without a printer
    assert counter.get("/events")[0] == 404  # reload events only with --watch


def test_posts_from_other_sites_are_refused(counter: Server) -> None:
    status, _, body = counter.request("POST", "/leaflet/paracetamol.pdf", b"patient_name=Xanthe+Marchbanks",
                                      {"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"})
    assert status == 403 and b"sent from another web site" in body
    status, _, _ = counter.request("POST", "/basket", b"add=metformin",
                                   {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "cross-site"})
    assert status == 403


def test_the_server_log_shows_paths_only(counter: Server) -> None:
    counter.get("/?q=searchtermvisible")
    time.sleep(0.3)
    log = counter.log.read_text(encoding="utf-8", errors="replace")
    assert '"POST /leaflet/paracetamol.pdf HTTP/1.1" 200' in log
    assert "searchtermvisible" not in log  # query strings are not logged either


# -- languages: an entry's translations and bilingual editions -----------------------------------------

TRANSLATIONS = {"es": "Español", "fr": "Français", "ar": "العربية", "hi": "हिन्दी", "zh-Hans": "简体中文"}


def options_of(body: bytes, name: str) -> list[tuple[str, bool, str]]:
    """(value, selected, label) of each option of the page's ``<select name=name>``."""
    import re

    select = re.search(rf'<select name="{name}">(.*?)</select>', body.decode(), re.S)
    assert select is not None, f"no <select name={name}>"
    return [(value, " selected" in attributes, label.strip())
            for value, attributes, label in re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', select[1])]


def test_leaflet_page_offers_each_translation_and_bilingual_editions(counter: Server) -> None:
    status, _, body = counter.get("/leaflet/paracetamol")
    assert status == 200
    languages = options_of(body, "lang")
    assert languages[0] == ("en", True, "English")
    assert {value: label for value, _, label in languages[1:]} == TRANSLATIONS  # each in its own name
    assert '<option value="es" lang="es">Español</option>' in body.decode()
    bilingual = options_of(body, "bilingual")
    assert bilingual[0] == ("", False, "One language only")  # the first, so the one shown
    assert ("es", False, "With Spanish alongside") in bilingual and len(bilingual) == 1 + len(TRANSLATIONS)
    # A translation's own page: its language chosen, English among the bilingual choices, Spanish not.
    _, _, body = counter.get("/leaflet/paracetamol.es")
    assert [value for value, selected, _ in options_of(body, "lang") if selected] == ["es"]
    partners = [value for value, _, _ in options_of(body, "bilingual")]
    assert "en" in partners and "es" not in partners
    # Picking a language on the page (a plain GET form) shows that translation: its title, its pages.
    _, _, body = counter.get("/leaflet/paracetamol?lang=ar&bilingual=en")
    assert "<h1>باراسيتامول</h1>" in body.decode()
    assert [value for value, selected, _ in options_of(body, "bilingual") if selected] == ["en"]
    assert b'name="bilingual" value="en"' in body  # the patient form sends the same choice
    # An entry with no translation: one language, no bilingual choice.
    _, _, body = counter.get("/leaflet/metformin")
    assert options_of(body, "lang") == [("en", True, "English")] and b'<select name="bilingual"' not in body


def test_plain_leaflet_in_a_translation(counter: Server) -> None:
    status, headers, data = counter.get("/leaflet/paracetamol.pdf?paper=a4&lang=es")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert 'filename="paracetamol.es.pdf"' in headers["content-disposition"]
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "es"
    text = "\n".join(page_texts(data))
    assert "Dosis" in text and "Nombre genérico" in text and "Dosage" not in text
    assert (counter.cache / "paracetamol.es.pdf").read_bytes() == data  # the name and cache a build uses
    status, headers, image = counter.get("/leaflet/paracetamol/page-1.png?lang=es")
    assert status == 200 and image.startswith(b"\x89PNG")
    assert image != counter.get("/leaflet/paracetamol/page-1.png")[2]  # the preview shows the translation


def test_bilingual_edition_follows_each_section_with_the_linked_entry(counter: Server) -> None:
    status, headers, data = counter.get("/leaflet/paracetamol.pdf?lang=es&bilingual=en")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert "paracetamol.es%2Ben.pdf" in headers["content-disposition"]
    text = " ".join(" ".join(page_texts(data)).split())
    assert text.index("Uso") < text.index("Usage") < text.index("Dosis") < text.index("Dosage")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert str(pdf.Root.Lang) == "es"
    assert (counter.cache / "paracetamol.es+en.pdf").read_bytes() == data  # as `build --bilingual en` names it


def test_patient_copy_in_a_translation_with_english_alongside(counter: Server) -> None:
    name = "Perpetua Lindqvist-Obasi"
    status, headers, data = counter.post("/leaflet/paracetamol.pdf", {
        "patient_name": name, "directions": "Deux comprimés", "lang": "fr", "bilingual": "en", "paper": "a4"})
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert headers["cache-control"] == "no-store" and "Lindqvist" not in headers["content-disposition"]
    assert 'filename="paracetamol.fr_en.pdf"' in headers["content-disposition"]
    texts = page_texts(data)
    assert name in texts[0] and all(name not in text for text in texts[1:])
    text = " ".join(" ".join(texts).split())
    assert "Nom générique" in text and "Generic name" in text and text.index("Nom générique") < text.index("Generic name")
    assert b"Lindqvist" not in metadata_bytes(data)
    assert not list(counter.cache.glob("*fr+en*"))  # a patient's copy is never written to the cache


def test_languages_and_bilingual_editions_not_offered_are_refused(counter: Server) -> None:
    refused = [
        ("GET", "/leaflet/paracetamol?lang=de", {}), ("GET", "/leaflet/paracetamol.pdf?lang=xx-Nope", {}),
        ("GET", "/leaflet/paracetamol/page-1.png?lang=de", {}), ("GET", "/leaflet/metformin.pdf?lang=es", {}),
        ("GET", "/leaflet/metformin.pdf?bilingual=es", {}), ("GET", "/leaflet/paracetamol.pdf?lang=es&bilingual=es", {}),
        ("GET", "/leaflet/paracetamol.pdf?bilingual=de", {}),
        ("POST", "/leaflet/paracetamol.pdf", {"patient_name": "Xanthe Marchbanks", "lang": "de"}),
        ("POST", "/leaflet/metformin.pdf", {"patient_name": "Xanthe Marchbanks", "bilingual": "en"}),
        ("POST", "/leaflet/paracetamol.pdf", {"patient_name": "Xanthe Marchbanks", "bilingual": "../../etc"}),
    ]
    for method, path, fields in refused:
        status, headers, body = counter.post(path, fields) if method == "POST" else counter.get(path)
        assert status == 400, (path, fields)
        assert headers["content-type"].startswith("text/html") and b"Marchbanks" not in body
        assert b"is not one of the choices offered" in body, body
    assert counter.get("/leaflet/paracetamol.pdf?lang=ES")[0] == 200  # tags match whatever their case
    assert not list(counter.cache.glob("metformin*+*")) and not list(counter.cache.glob("*.de*"))


def test_index_keeps_the_language_an_entry_declares(tmp_path: Path) -> None:
    """A file without a language suffix or front matter ``lang`` is in the project's language, whatever that is."""
    from leaflets.serve.index import SearchIndex
    from leaflets.serve.translations import bilingual_partners, group_families, siblings
    from leaflets.source.discover import find_entries

    folder = tmp_path / "entries"
    (folder / "sub").mkdir(parents=True)
    for name in ("zinc.md", "zinc.en.md", "zinc.fr.md", "sub/zinc.md", "vitamin.b12.md", "iron.md"):
        (folder / name).write_text(_entry(name, GOOD_BODY))
    (folder / "iron.md").write_text("---\nlang: de\n---\n\n# Eisen\n\n### Anwendung\nText.\n")
    sources = {source.relative.with_suffix("").as_posix(): source for source in find_entries([folder])}
    index = SearchIndex(":memory:")
    index.sync(list(sources.values()))
    declared = {identifier: hit.lang for identifier, hit in index.catalogue().items()}
    assert declared == {"zinc": "", "zinc.en": "en", "zinc.fr": "fr", "sub/zinc": "", "vitamin.b12": "", "iron": "de"}
    families = sorted(group_families(sources).values())
    assert families == [["iron"], ["sub/zinc"], ["vitamin.b12"], ["zinc", "zinc.en", "zinc.fr"]]
    family = siblings(["zinc", "zinc.en", "zinc.fr"], lambda i: declared[i] or "es", "zinc")  # a Spanish project
    assert [(s.id, s.lang) for s in family] == [("zinc", "es"), ("zinc.en", "en"), ("zinc.fr", "fr")]
    assert bilingual_partners(sources["zinc.fr"], "fr", family, "es") == ["es", "en"]
    assert bilingual_partners(sources["zinc"], "es", family, "es") == ["en", "fr"]


def test_bilingual_choice_is_worded_in_the_project_language(tmp_path: Path) -> None:
    """The page's template in a Spanish pharmacy (``lang = "es"``): the catalog words the choice, Babel names the language."""
    from types import SimpleNamespace

    from leaflets.project.project import Project
    from leaflets.serve.app import web_templates
    from leaflets.serve.patient import CopyOptions
    from leaflets.serve.translations import name_in, own_name

    (tmp_path / "leaflets.toml").write_text('lang = "es"\n', encoding="utf-8")
    templates = web_templates(SimpleNamespace(project=Project.load(tmp_path)))
    html = templates.env.get_template("serve/leaflet.html").render(
        id="zinc", family=["zinc", "zinc.en"], title="Zinc", source="zinc.md", url="/leaflet/zinc", papers=["a4"],
        options=CopyOptions("a4", False, "es", "en"), languages=[("es", own_name("es")), ("en", own_name("en"))],
        partners=[("en", name_in("en", "es"))], reader="es", printer="", today="2026-01-01", query="", in_basket=False,
        shown="zinc", pages=1, basket=[], watching=False)
    assert '<label lang="es">Bilingüe' in html and "Solo un idioma" in html
    assert '<option value="en" selected>Con el texto en inglés al lado</option>' in html
    assert '<option value="es" lang="es" selected>Español</option>' in html


def test_no_trace_of_patient_data_anywhere(counter: Server, tmp_path: Path) -> None:
    """After every request above: nothing the server could write holds what was typed."""
    counter.get("/leaflet/paracetamol.pdf")
    needles = [word.encode("utf-8") for word in PATIENT_WORDS] + [word.encode("utf-16-le") for word in PATIENT_WORDS]
    # The search does find a name in a patient's copy, whose text is compressed and subset-encoded.
    _, _, copy = counter.post("/leaflet/metformin.pdf", {"patient_name": PATIENT})
    (tmp_path / "control.pdf").write_bytes(copy)
    assert PATIENT.encode() not in copy and files_containing([tmp_path], needles)
    roots = [counter.project, counter.cache, counter.tmpdir, counter.log]
    assert files_containing(roots, needles) == []
    assert counter.process.poll() is None


# -- printing with CUPS: a private cupsd and the cups-pdf virtual printer -------------------------------

CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPSD = Path("/usr/sbin/cupsd")


@pytest.fixture(scope="module")
def cups(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """A cupsd of the test's own (config, spool, socket in a temp folder) with a cups-pdf printer 'counter-test'."""
    import os
    import subprocess

    missing = [str(p) for p in (CUPSD, CUPS_PDF_PPD, Path("/usr/lib/cups/backend/cups-pdf")) if not p.exists()]
    missing += [name for name in ("lp", "lpadmin", "lpstat") if shutil.which(name) is None]
    if missing:
        pytest.skip(f"CUPS or cups-pdf not installed ({', '.join(missing)}); run scripts/install-system-deps.sh")
    if os.geteuid() != 0:
        pytest.skip("cupsd runs the cups-pdf backend as root; this test needs root")
    # Not under pytest's temp folder: that is private to root, and CUPS filters run as the lp user.
    base = Path(tempfile.mkdtemp(prefix="leaflets-cups-", dir="/tmp"))
    for name in ("conf", "spool", "cache", "state", "log", "tmp"):
        (base / name).mkdir()
    base.chmod(0o755)
    (base / "tmp").chmod(0o1777)
    (base / "spool").chmod(0o710)
    socket_path = base / "cups.sock"
    (base / "conf" / "cupsd.conf").write_text(textwrap.dedent(f"""\
        Listen {socket_path}
        LogLevel info
        WebInterface No
        Browsing No
        PreserveJobFiles No
        PreserveJobHistory Yes
        DefaultAuthType None
        <Location />
          Order allow,deny
          Allow all
        </Location>
        <Location /admin>
          Order allow,deny
          Allow all
        </Location>
        """))
    (base / "conf" / "cups-files.conf").write_text(textwrap.dedent(f"""\
        ServerRoot {base / 'conf'}
        RequestRoot {base / 'spool'}
        CacheDir {base / 'cache'}
        StateDir {base / 'state'}
        TempDir {base / 'tmp'}
        AccessLog {base / 'log' / 'access_log'}
        ErrorLog {base / 'log' / 'error_log'}
        PageLog {base / 'log' / 'page_log'}
        SystemGroup root
        Group lp
        """))
    daemon = subprocess.Popen([str(CUPSD), "-f", "-c", str(base / "conf" / "cupsd.conf"),
                               "-s", str(base / "conf" / "cups-files.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {**os.environ, "CUPS_SERVER": str(socket_path)}
    try:
        deadline = time.monotonic() + 20
        while subprocess.run(["lpstat", "-r"], env=env, capture_output=True, check=False).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                pytest.skip(f"cupsd would not start here (exit status {daemon.poll()})")
            time.sleep(0.2)
        for _attempt in range(20):  # cupsd may answer lpstat a moment before it takes admin requests
            added = subprocess.run(["lpadmin", "-p", "counter-test", "-E", "-v", "cups-pdf:/", "-P", str(CUPS_PDF_PPD),
                                    "-o", "pdftops-renderer-default=pdftocairo"], env=env, capture_output=True, text=True, check=False)
            if added.returncode == 0:
                break
            time.sleep(0.5)
        assert added.returncode == 0, f"lpadmin failed: {added.stderr}"
        yield {"socket": socket_path, "spool": base / "spool", "base": base}
    finally:
        daemon.terminate()
        daemon.wait(timeout=20)
        shutil.rmtree(base, ignore_errors=True)


def _cups_pdf_output(job: str) -> Path:
    """cups-pdf writes into the submitting user's ~/PDF, the name ending in ``job_N.pdf``."""
    import os
    import pwd

    return Path(pwd.getpwuid(os.geteuid()).pw_dir) / "PDF"


def test_print_sends_the_patients_copy_to_cups_from_memory(cups: dict[str, Path], tmp_path: Path) -> None:
    import re

    project = tmp_path / "project"
    project.mkdir()
    (project / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\nprinter = "counter-test"\n')
    server = start_server(project, [REPO / "entries"], tmp_path / "cache", tmp_path / "tmp", tmp_path / "server.log",
                          env={"CUPS_SERVER": str(cups["socket"])})
    name = "Ottoline Vexbridge"
    try:
        status, _, body = server.get("/leaflet/metformin")
        assert b"Print on counter-test" in body
        status, _, body = server.post("/leaflet/metformin.pdf", {
            "patient_name": name, "directions": "One tablet with breakfast", "action": "print"})
        assert status == 200, body[:2000]
        assert b"Sent to the printer" in body and name.encode() not in body
        job = re.search(rb"counter-test-(\d+)", body)
        assert job is not None, body
        outputs = _cups_pdf_output(job.group(1).decode())
        deadline = time.monotonic() + 90
        printed: list[Path] = []
        texts: list[str] = []
        while time.monotonic() < deadline and not texts:
            printed = sorted(outputs.glob(f"*job_{job.group(1).decode()}.pdf")) if outputs.is_dir() else []
            try:
                texts = page_texts(printed[0].read_bytes()) if printed else []
            except Exception:  # noqa: BLE001 - still being written
                texts = []
            texts = texts if any(texts) else []
            time.sleep(0.5)
        assert printed and texts, f"cups-pdf wrote nothing readable to {outputs}"
        for path in printed:
            path.unlink()  # the virtual printer's paper
        assert name in texts[0] and "One tablet with breakfast" in texts[0]
        assert all(FOOTER_WORD in text for text in texts)
        assert "Vexbridge" not in printed[0].name  # the job, and so the file, is named for the medicine
        # The spool keeps no copy of the document (PreserveJobFiles No), and the job history not the name.
        time.sleep(1)
        assert not [p for p in cups["spool"].iterdir() if p.name.startswith("d")]
        assert files_containing([cups["spool"], server.project, server.cache, server.tmpdir, server.log],
                                [name.encode(), b"Vexbridge"]) == []
    finally:
        server.stop()


# -- --watch: the index and the previews follow the files ------------------------------------------------


class EventReader:
    """Reads the server-sent events of /events in a thread."""

    def __init__(self, server: Server) -> None:
        import queue
        import threading

        self.events: queue.Queue[list[str]] = queue.Queue()
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        self.connection.request("GET", "/events")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("content-type").startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        event = ""
        try:
            while True:
                line = self.response.fp.readline().decode()
                if not line:
                    return
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "changed":
                    self.events.put(json.loads(line.split(":", 1)[1]))
        except (OSError, AttributeError, ValueError):  # the test closed the connection
            return

    def wait_for(self, wanted: str, timeout: float = 30) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                ids = self.events.get(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - queue.Empty
                break
            if wanted in ids:
                return ids
        raise AssertionError(f"no change event naming {wanted!r}")

    def close(self) -> None:
        self.connection.close()


def test_watch_updates_index_and_previews_without_a_restart(tmp_path: Path) -> None:
    project = tmp_path / "project"
    entries = project / "entries"
    entries.mkdir(parents=True)
    (project / "leaflets.toml").write_text('organisation = "Riverside Pharmacy"\n')
    (entries / "alpha.md").write_text(_entry("Alphamycin", GOOD_BODY))
    (entries / "beta.md").write_text(_entry("Betacillin", GOOD_BODY))
    (project / "styles").mkdir()
    shutil.copyfile(REPO / "styles" / "leaflet.css", project / "styles" / "leaflet.css")
    server = start_server(project, [], tmp_path / "cache", tmp_path / "tmp", tmp_path / "server.log", ["--watch"])
    reader = EventReader(server)
    try:
        assert [r["title"] for r in search(server, "alpha")] == ["Alphamycin"]
        time.sleep(0.5)  # the watcher is up once the server answers; give inotify a moment
        (entries / "alpha.md").write_text(_entry("Alphamycin Forte", GOOD_BODY))
        reader.wait_for("alpha")
        assert [r["title"] for r in search(server, "forte")] == ["Alphamycin Forte"]
        (entries / "gamma.md").write_text(_entry("Gammazole", GOOD_BODY))
        reader.wait_for("gamma")
        assert [r["title"] for r in search(server, "gammaz")] == ["Gammazole"]
        assert server.get("/leaflet/gamma")[0] == 200
        (entries / "beta.md").unlink()
        reader.wait_for("beta")
        assert search(server, "betac") == []
        assert server.get("/leaflet/beta")[0] == 404
        assert "RIVERSIDE PHARMACY" in page_texts(server.get("/leaflet/alpha.pdf")[2])[0].upper()
        (project / "leaflets.toml").write_text('organisation = "Hillside Dispensary"\n')
        reader.wait_for("*")
        first = page_texts(server.get("/leaflet/alpha.pdf")[2])[0].upper()
        assert "HILLSIDE DISPENSARY" in first and "RIVERSIDE" not in first
        before = server.get("/leaflet/alpha.pdf")[2]
        with (project / "styles" / "leaflet.css").open("a") as css:
            css.write("\nh1 { font-size: 40pt; }\n")
        reader.wait_for("*")
        with pdfplumber.open(io.BytesIO(server.get("/leaflet/alpha.pdf")[2])) as pdf:
            sizes = [w["size"] for w in pdf.pages[0].extract_words(extra_attrs=["size"]) if w["text"] == "Alphamycin"]
        assert max(sizes) == pytest.approx(40, abs=0.5) and before != server.get("/leaflet/alpha.pdf")[2]
    finally:
        reader.close()
        server.stop()
    assert server.process.returncode == 0  # Ctrl-C stops it cleanly


# -- the index on its own (in this process) ---------------------------------------------------------------


def test_index_reads_again_only_what_changed(tmp_path: Path) -> None:
    from leaflets.serve.index import SearchIndex
    from leaflets.source.discover import find_entries

    folder = tmp_path / "entries"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "alpha.md").write_text(_entry("Alphamycin", GOOD_BODY))
    (folder / "beta.md").write_text(_entry("Betacillin", GOOD_BODY))
    path = tmp_path / "index.sqlite"
    assert SearchIndex(path).sync(find_entries([folder])).parsed == 2
    index = SearchIndex(path)
    assert index.sync(find_entries([folder])).parsed == 0  # nothing changed: nothing read
    os.utime(folder / "beta.md")  # touched, same bytes: read and hashed, not parsed
    assert index.sync(find_entries([folder])).parsed == 0
    (folder / "beta.md").write_text(_entry("Betacillin Forte", GOOD_BODY))
    (folder / "a" / "alpha.md").unlink()
    stats = index.sync(find_entries([folder]))
    assert (stats.parsed, stats.removed, stats.entries) == (1, 1, 1)
    assert [hit.title for hit in index.search("betac")] == ["Betacillin Forte"]
    assert index.search("alpha") == []
    (folder / "a" / "delta.md").write_text(_entry("Deltamethrin", GOOD_BODY))
    assert index.sync(find_entries([folder])).parsed == 1
    assert [hit.id for hit in index.search("deltam")] == ["a/delta"]
    # The same file given through another folder gets that folder's id, without being parsed again.
    assert index.sync(find_entries([folder / "a"])).parsed == 0
    assert [hit.id for hit in index.search("deltam")] == ["delta"]
    assert index.search("betac") == []


def test_a_damaged_index_file_is_rebuilt(tmp_path: Path) -> None:
    from leaflets.serve.index import SearchIndex
    from leaflets.source.discover import find_entries

    (tmp_path / "entries").mkdir()
    (tmp_path / "entries" / "alpha.md").write_text(_entry("Alphamycin", GOOD_BODY))
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    index = SearchIndex(path)
    assert index.sync(find_entries([tmp_path / "entries"])).parsed == 1
    assert [hit.title for hit in index.search("alpham")] == ["Alphamycin"]


def test_serve_command_refuses_bad_input_in_one_line(tmp_path: Path) -> None:
    import subprocess

    from servehelp import LEAFLETS

    missing = subprocess.run([str(LEAFLETS), "serve", str(tmp_path / "nowhere")], capture_output=True, text=True,
                             check=False, timeout=60)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    (tmp_path / "leaflets.toml").write_text('printer = "-o evil"\n')
    bad = subprocess.run([str(LEAFLETS), "serve", "--project", str(tmp_path)], capture_output=True, text=True,
                         check=False, timeout=60)
    assert bad.returncode == 1 and "key 'printer'" in bad.stderr and "Traceback" not in bad.stderr
    (tmp_path / "leaflets.toml").write_text("")
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    clash = subprocess.run([str(LEAFLETS), "serve", str(REPO / "entries"), "--project", str(tmp_path), "--cache",
                            str(tmp_path / "cache" / "sub")], capture_output=True, text=True, check=False, timeout=60)
    assert clash.returncode == 1 and "Traceback" not in clash.stderr and "cache" in clash.stderr
