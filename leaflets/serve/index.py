"""The counter's search index: SQLite FTS5 over every entry's title, generic name and text.

SQLite comes with Python, FTS5 ranks with bm25 and folds accents in its
tokenizer (``unicode61 remove_diacritics 2``: "acido" finds "Ácido"), so a
search is one query on a real database. ``unicode61`` splits words at spaces
only, so text in scripts written without them (Chinese, Japanese, Thai...) is
indexed one character (grapheme cluster) per word, and a word typed in them
is searched as a phrase of its characters: "头痛" is found in the middle of a
sentence (:func:`leaflets.source.scripts.spaced`). Combining marks are word
characters (``categories``), so a Thai vowel sign or a Devanagari matra is
part of the word it is written in rather than a place where words split.

The index lives in a file beside the build cache and remembers each entry's
size, modification time and hash: at start-up only entries whose size or
time changed are read again, and only those whose bytes changed are parsed
again, so starting on an unchanged corpus takes well under a second.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from leaflets.parallel import die_with_parent
from leaflets.source.discover import EntrySource
from leaflets.source.entry import load_entry
from leaflets.source.language import entry_language
from leaflets.source.scripts import spaced
from leaflets.source.sections import normalise

INDEX_FILENAME = ".leaflets-search.sqlite"
SCHEMA_VERSION = "4"
RESULT_LIMIT = 20
MAX_QUERY_TOKENS = 8

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    rowid INTEGER PRIMARY KEY,
    path TEXT UNIQUE NOT NULL,
    id TEXT NOT NULL,
    relative TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    folded_title TEXT NOT NULL,
    lang TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS names USING fts5(
    title, generic,
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'",
    prefix = '1 2 3'
);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(
    body,
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
);
"""

MAX_PHRASE_CHARACTERS = 32
"""Characters of an unspaced word searched as a phrase; what is typed past them is not searched."""
_MARKUP = re.compile(r"[#*_`>|\[\]()<>]+")

TITLE_WEIGHT, GENERIC_WEIGHT = 10.0, 5.0
"""bm25 column weights of the names table, for entries found by their generic name."""


@dataclass(frozen=True)
class Hit:
    """One search result: the entry's id (its path below the folder given, without .md)."""

    id: str
    title: str
    lang: str
    """The language its front matter or file name declares; "" when neither does (it is in the project's language)."""


@dataclass(frozen=True)
class SyncStats:
    entries: int
    parsed: int
    removed: int


def entry_id(relative: Path | PurePosixPath) -> str:
    """``a/abacavir.md`` -> ``a/abacavir``: the id in URLs, never joined to a path on disk."""
    return PurePosixPath(*Path(relative).parts).with_suffix("").as_posix()


def fold(text: str) -> str:
    """Lower case without accents, as the tokenizer sees it, for "title starts with" ranking."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def query_words(text: str) -> list[str]:
    """The words typed, as the tokenizer cuts them: runs of letters, digits and combining marks.

    Python's ``\\w`` leaves out combining marks, which would cut "ที่" or
    "पैरासिटामोल" apart where the index keeps them whole.
    """
    words: list[str] = []
    current = ""
    for char in text + " ":
        if unicodedata.category(char)[0] in "LNM" or unicodedata.category(char) == "Co":
            current += char
            continue
        if any(unicodedata.category(letter)[0] != "M" for letter in current):
            words.append(current)  # marks alone (an accent typed first) are no word: the tokenizer drops them
        current = ""
    return words[:MAX_QUERY_TOKENS]


def match_expression(text: str, column: str | None = None) -> str | None:
    """An FTS5 query: every word the user typed as a prefix, all required; None when no word.

    Words are quoted, so FTS5 syntax typed into the box (``AND``, ``*``, ``"``,
    ``NEAR``) is searched for as text, never interpreted. A word in a script
    written without spaces becomes a phrase of its characters, the last one a
    prefix, as the index holds them (``"头 痛"*``).
    """
    words = query_words(text)
    if not words:
        return None
    prefix = f"{column} : " if column else ""
    phrases = (" ".join(spaced(word).split()[:MAX_PHRASE_CHARACTERS]) for word in words)
    return " AND ".join(f'{prefix}"{phrase}"*' for phrase in phrases)


class SearchIndex:
    """The FTS5 index of one set of entries; safe to share between threads (one lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.db = self._open(path)

    def _open(self, path: Path | str) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        try:
            version = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError:
            version = None
        if version != (SCHEMA_VERSION,):
            db.close()
            if str(path) != ":memory:":
                Path(path).unlink(missing_ok=True)
            db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            db.executescript("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS search; DROP TABLE IF EXISTS names;"
                            " DROP TABLE IF EXISTS texts; DROP TABLE IF EXISTS meta;")
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        return db

    def close(self) -> None:
        with self._lock:
            self.db.close()

    def sync(self, sources: Sequence[EntrySource], jobs: int = 1) -> SyncStats:
        """Make the index hold exactly ``sources``, reading only what changed since last time.

        Entries to parse are split over ``jobs`` processes when there are many
        (the first start on a corpus).
        """
        wanted = {_key(source.path): source for source in sources}
        with self._lock:
            known = {
                path: (size, mtime_ns, sha, relative)
                for path, size, mtime_ns, sha, relative in self.db.execute(
                    "SELECT path, size, mtime_ns, sha256, relative FROM files")
            }
            gone = [path for path in known if path not in wanted]
            self.db.execute("BEGIN")
            try:
                for path in gone:
                    self._delete(path)
                parsed = self._refresh(wanted, known, jobs)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return SyncStats(len(wanted), parsed, len(gone))

    def apply(self, changed: Iterable[EntrySource], removed: Iterable[Path]) -> int:
        """Update the index for entries that changed or appeared, and drop removed ones (``--watch``)."""
        sources = {_key(source.path): source for source in changed}
        with self._lock:
            self.db.execute("BEGIN")
            try:
                for path in removed:
                    self._delete(_key(path))
                known: dict[str, tuple[int, int, str, str]] = {}
                for key in sources:
                    row = self.db.execute("SELECT size, mtime_ns, sha256, relative FROM files WHERE path = ?", (key,)).fetchone()
                    if row is not None:
                        known[key] = row
                count = self._refresh(sources, known, 1)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        return count

    def _refresh(self, sources: dict[str, EntrySource], known: dict[str, tuple[int, int, str, str]], jobs: int) -> int:
        """Re-read entries whose size or time changed and re-parse those whose bytes changed; returns how many.

        An entry now given through another folder keeps its text but gets the id that folder gives it.
        """
        stale: list[tuple[str, EntrySource, os.stat_result, str]] = []
        for key, source in sources.items():
            before = known.get(key)
            if before is not None and before[3] != source.relative.as_posix():
                self.db.execute("UPDATE files SET id = ?, relative = ? WHERE path = ?",
                                (entry_id(source.relative), source.relative.as_posix(), key))
            try:
                stat = os.stat(key)
                if before is not None and before[0] == stat.st_size and before[1] == stat.st_mtime_ns:
                    continue
                sha = hashlib.sha256(Path(key).read_bytes()).hexdigest()
            except OSError:
                self._delete(key)
                continue
            if before is not None and before[2] == sha:
                self.db.execute("UPDATE files SET size = ?, mtime_ns = ? WHERE path = ?", (stat.st_size, stat.st_mtime_ns, key))
                continue
            stale.append((key, source, stat, sha))
        for (key, source, stat, sha), (title, lang, generic, body) in zip(stale, _parse_all([s[1] for s in stale], jobs)):
            self._delete(key)
            cursor = self.db.execute(
                "INSERT INTO files (path, id, relative, size, mtime_ns, sha256, title, folded_title, lang)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, entry_id(source.relative), source.relative.as_posix(), stat.st_size, stat.st_mtime_ns, sha,
                 title, fold(title), lang),
            )
            self.db.execute("INSERT INTO names (rowid, title, generic) VALUES (?, ?, ?)",
                            (cursor.lastrowid, spaced(title), generic))
            self.db.execute("INSERT INTO texts (rowid, body) VALUES (?, ?)", (cursor.lastrowid, body))
        return len(stale)

    def _delete(self, key: str) -> None:
        row = self.db.execute("SELECT rowid FROM files WHERE path = ?", (key,)).fetchone()
        if row is not None:
            self.db.execute("DELETE FROM names WHERE rowid = ?", row)
            self.db.execute("DELETE FROM texts WHERE rowid = ?", row)
            self.db.execute("DELETE FROM files WHERE rowid = ?", row)

    def search(self, text: str, limit: int = RESULT_LIMIT) -> list[Hit]:
        """Entries matching every word typed (as prefixes): title matches first, then generic names, then text.

        Within title matches, titles that start with the first word come
        first, shorter titles before longer ones ("para" puts Paracetamol
        before Paracetamol + Caffeine and before Codeine + Paracetamol);
        generic-name and text matches follow by bm25. Titles and generic
        names have prefix indexes (every prefix of one to three letters is
        looked up directly); the text, which is most of what is indexed, has
        none: it is searched only when titles give fewer than ``limit``
        results, for words rare enough to scan quickly.
        """
        anywhere = match_expression(text)
        if anywhere is None:
            return []
        first = fold(query_words(text)[0])
        tiers = [
            ("names", match_expression(text, "title"),
             "substr(f.folded_title, 1, ?) = ? DESC, length(f.title), f.title", (len(first), first)),
            ("names", anywhere, f"bm25(names, {TITLE_WEIGHT}, {GENERIC_WEIGHT}), f.title", ()),
            ("texts", anywhere, "bm25(texts), f.title", ()),
        ]
        rows: list[tuple[str, str, str]] = []
        seen: set[str] = set()
        with self._lock:
            for table, expression, order, parameters in tiers:
                if len(rows) >= limit:
                    break
                found = self.db.execute(
                    f"SELECT f.id, f.title, f.lang FROM {table} JOIN files f ON f.rowid = {table}.rowid"
                    f" WHERE {table} MATCH ? ORDER BY {order} LIMIT ?",
                    (expression, *parameters, limit + len(rows)),
                ).fetchall()
                for row in found:
                    if row[0] not in seen and len(rows) < limit:
                        seen.add(row[0])
                        rows.append(row)
        return [Hit(*row) for row in rows]

    def catalogue(self) -> dict[str, Hit]:
        """Every indexed entry by id."""
        with self._lock:
            return {row[0]: Hit(*row) for row in self.db.execute("SELECT id, title, lang FROM files")}

    def count(self) -> int:
        with self._lock:
            return int(self.db.execute("SELECT count(*) FROM files").fetchone()[0])


def _key(path: Path) -> str:
    """How the index names a file: its absolute path (no symlink resolving, which costs a look-up per folder)."""
    return os.path.abspath(path)


PARALLEL_FROM = 200
"""Parse in worker processes only when there are at least this many entries to read."""


PARSE_CHUNK = 64
"""Entries a worker parses per round trip: the texts are small, the round trips are not."""


def _parse_all(sources: list[EntrySource], jobs: int) -> Iterator[tuple[str, str, str, str]]:
    """Searchable text of each source, in order; in worker processes when there are many.

    Results stream back in order while the caller inserts them, so parsing
    and writing the index overlap.
    """
    if jobs <= 1 or len(sources) < PARALLEL_FROM:
        yield from map(_searchable, sources)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)) as pool:
        yield from pool.map(_searchable, sources, chunksize=PARSE_CHUNK)


def _searchable(source: EntrySource) -> tuple[str, str, str, str]:
    """Title, declared language ("" for the project's), generic name and plain section text of an entry.

    An entry that cannot be read or split is still indexed under its file
    name, so staff can find it and see why it does not print.
    """
    try:
        content = normalise(load_entry(source.path))
    except Exception:  # noqa: BLE001 - LeafletError, or anything else: one bad entry must not stop start-up
        return source.path.stem, "", "", ""
    generic = content.section("generic_name")
    body = "\n".join(section.markdown for section in content.sections if section.key != "generic_name")
    return (
        content.title,
        entry_language(content.entry.metadata, source.path, ""),
        spaced(_MARKUP.sub(" ", generic.markdown)) if generic else "",
        spaced(_MARKUP.sub(" ", body)),
    )
