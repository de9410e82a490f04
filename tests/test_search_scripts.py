"""The counter's search in scripts written without spaces: a word is found wherever it stands.

SQLite's ``unicode61`` tokenizer splits words at spaces only, so before the
index held unspaced text one character per word, "头痛" in the middle of a
sentence, the second generic name of an entry or the middle of a title were
never found. These tests index entries of their own in-process (no server).
"""

from __future__ import annotations

import sqlite3
import unicodedata
from pathlib import Path

import pytest

from leaflets.serve.index import SCHEMA_VERSION, SearchIndex, match_expression
from leaflets.source.discover import find_entries
from leaflets.source.scripts import clusters, spaced

ENTRIES = {
    "ibuprofen.zh-Hans.md": "---\ntitle: 布洛芬缓释胶囊\n---\n\n# 布洛芬缓释胶囊\n\n### 通用名\n布洛芬（又称异丁苯丙酸）\n\n"
                            "### 用途\n本品用于缓解偏头痛和关节疼痛，也可退热。\n",
    "loxoprofen.ja.md": "---\ntitle: ロキソプロフェンナトリウム錠\n---\n\n# ロキソプロフェンナトリウム錠\n\n"
                        "### 用途\n関節のいたみやずつうをやわらげるくすりです。\n",
    "ibuprofen.th.md": "---\ntitle: ไอบูโพรเฟน\n---\n\n# ไอบูโพรเฟน\n\n### การใช้\nยานี้ใช้บรรเทาอาการปวดศีรษะและปวดข้อ\n",
    "ibuprofen.ko.md": "---\ntitle: 이부프로펜정\n---\n\n# 이부프로펜정\n\n### 용도\n두통과관절통을 줄여 줍니다.\n",
    "headache-relief.md": "---\ntitle: Headache relief\n---\n\n# Headache relief\n\n### Usage\nSee 布洛芬 for a Chinese leaflet.\n",
    "folic.es.md": "---\ntitle: Ácido fólico\n---\n\n# Ácido fólico\n\n### Uso\nAyuda a formar glóbulos rojos.\n",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    folder = tmp_path_factory.mktemp("entries")
    for name, text in ENTRIES.items():
        (folder / name).write_text(text, encoding="utf-8")
    built = SearchIndex(":memory:")
    built.sync(find_entries([folder]))
    return built


def ids(index: SearchIndex, query: str) -> list[str]:
    return [hit.id for hit in index.search(query)]


@pytest.mark.parametrize(("query", "expected"), [
    ("头痛", ["ibuprofen.zh-Hans"]),  # two characters in the middle of a sentence (a trigram index misses these)
    ("关节疼痛", ["ibuprofen.zh-Hans"]),
    ("异丁苯丙酸", ["ibuprofen.zh-Hans"]),  # the other generic name, after an opening bracket
    ("缓释", ["ibuprofen.zh-Hans"]),  # the middle of the title
    ("プロフェン", ["loxoprofen.ja"]),  # Katakana in the middle of the title
    ("ずつう", ["loxoprofen.ja"]),  # Hiragana in the middle of a sentence
    ("関節 ずつう", ["loxoprofen.ja"]),  # two words: both required
    ("関節 頭痛", []),
    ("ปวดศีรษะ", ["ibuprofen.th"]),  # Thai, with its vowel signs, in the middle of a sentence
    ("โพรเฟน", ["ibuprofen.th"]),
    ("관절통", ["ibuprofen.ko"]),  # the middle of a Korean compound
    ("acido", ["folic.es"]),  # accents still fold
    ("GLOBULOS", ["folic.es"]),
])
def test_words_are_found_wherever_they_stand(index: SearchIndex, query: str, expected: list[str]) -> None:
    assert ids(index, query) == expected


def test_what_is_not_there_is_not_found(index: SearchIndex) -> None:
    assert ids(index, "头疼") == []  # both characters occur, but not together
    assert ids(index, "痛头") == []  # order counts
    assert ids(index, "ปวดท้อง") == []
    assert ids(index, "ท") == ["ibuprofen.th"] and ids(index, "ที่") == []  # a vowel sign is part of its letter


def test_titles_first_and_prefixes_as_you_type(index: SearchIndex) -> None:
    title = "布洛芬缓释胶囊"
    for length in range(1, len(title) + 1):
        assert ids(index, title[:length])[0] == "ibuprofen.zh-Hans", title[:length]
    # The Chinese title comes before the English entry that mentions the word in its text.
    assert ids(index, "布洛") == ["ibuprofen.zh-Hans", "headache-relief"]
    thai = "ไอบูโพรเฟน"
    for length in range(1, len(thai) + 1):
        if unicodedata.category(thai[length - 1])[0] != "M":  # typing stops after whole characters
            assert ids(index, thai[:length]) == ["ibuprofen.th"], thai[:length]


def test_query_syntax_stays_text() -> None:
    assert match_expression('头痛" OR "x') == '"头 痛"* AND "OR"* AND "x"*'
    assert match_expression("维生素C 500mg") == '"维 生 素 C"* AND "500mg"*'
    assert match_expression("、。！") is None and match_expression("\u0301 \u0e35") is None  # marks alone
    assert match_expression("ที่") == '"ที่"*'


def test_clusters_keep_marks_with_their_letters() -> None:
    assert clusters("ที่ดี") == ["ที่", "ดี"]
    assert clusters("कृष्ण") == ["कृ", "ष्ण"]  # the virama joins the conjunct
    assert clusters(unicodedata.normalize("NFD", "é")) == [unicodedata.normalize("NFD", "é")]
    assert spaced("用ibuprofen治头痛").split() == ["用", "ibuprofen", "治", "头", "痛"]
    assert spaced("Ácido fólico 500 mg") == "Ácido fólico 500 mg"


def test_an_index_of_the_previous_schema_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                         "INSERT INTO meta VALUES ('schema', '3');"
                         "CREATE TABLE files (path TEXT);")
    index = SearchIndex(path)
    assert index.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (SCHEMA_VERSION,)
    assert index.count() == 0
    index.close()


def test_the_quick_cut_misses_no_mark() -> None:
    """Runs without a possible mark are cut between every two characters: no character that joins the one
    before it may be missing from the class that sends a run the slow way."""
    import re

    from leaflets.source.scripts import _MAY_EXTEND, UNSPACED, extends_cluster

    unspaced = re.compile(f"[{UNSPACED}]")
    joining = [hex(code) for code in range(0x30000)
               if unspaced.match(chr(code)) and extends_cluster("a" + chr(code), 1) and not _MAY_EXTEND.match(chr(code))]
    assert joining == []
    assert spaced("ガ\u3099ー頭痛").split() == ["ガ\u3099", "ー", "頭", "痛"]
