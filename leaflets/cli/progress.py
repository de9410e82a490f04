"""What a build says while it runs: a progress bar on a terminal, one summary line in logs.

Errors and warnings are printed as they arrive, above the bar, so a terminal
shows every diagnostic and the bar never interleaves with them. When stderr is
not a terminal (CI, a log file) there is no bar, only the diagnostics and the
final summary.
"""

from __future__ import annotations

import shutil
import time
from typing import Callable, TextIO

from leaflets.build.results import BuildReport, EntryResult
from leaflets.errors import printable

BAR_WIDTH = 30
REDRAW_SECONDS = 0.1


class BuildProgress:
    """Receives a build's start, each result and its report, and writes them to ``stream``."""

    def __init__(self, stream: TextIO, quiet: bool = False, verbose: bool = False,
                 bar: bool | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.quiet = quiet
        self.verbose = verbose
        self.bar = (not quiet and stream.isatty()) if bar is None else bar
        self.clock = clock
        self.to_build = 0
        self.done = 0
        self.counts = {"built": 0, "up-to-date": 0, "failed": 0}
        self._started = clock()
        self._drawn_at = float("-inf")
        self._line_shown = False

    def start(self, entries: int, to_build: int) -> None:
        self.to_build = to_build
        self._started = self.clock()
        if self.verbose:
            self.say(f"{entries} entries, {entries - to_build} up to date, {to_build} to build")
        self._draw(force=True)

    def result(self, result: EntryResult) -> None:
        self.counts[result.status] += 1
        if result.status != "up-to-date":
            self.done += 1
        if result.error:
            self.say(result.error)
            if self.verbose and result.detail:
                self.say(result.detail.rstrip("\n"), lines=True)
        for warning in result.warnings:
            self.say(warning)
        if self.verbose and result.status == "built" and result.output is not None:
            self.say(f"built {result.output}")
        self._draw(force=self.done == self.to_build)

    def finish(self, report: BuildReport) -> None:
        self._clear()
        for warning in report.warnings:
            self.stream.write(printable(warning) + "\n")
        if not self.quiet:
            self.stream.write(report.summary() + "\n")
            self.stream.flush()

    def interrupted(self) -> None:
        """The one line a stopped run ends with: what was done before the signal."""
        self._clear()
        self.stream.write(
            f"interrupted: {self.counts['built']} built, {self.counts['up-to-date']} up to date, "
            f"{self.counts['failed']} failed\n"
        )
        self.stream.flush()

    def say(self, line: str, lines: bool = False) -> None:
        """Print one diagnostic line, above the bar when there is one, control characters escaped.

        ``lines`` keeps the newlines of a text of several lines (a traceback).
        """
        self._clear()
        parts = line.split("\n") if lines else [line]
        self.stream.write("\n".join(printable(part) for part in parts) + "\n")
        self.stream.flush()
        self._draw(force=True)

    def bar_line(self) -> str:
        """The progress line: a bar over the entries being built, counts, and the time left."""
        share = self.done / self.to_build if self.to_build else 1.0
        filled = int(round(share * BAR_WIDTH))
        counts = f"{self.done}/{self.to_build} built"
        if self.counts["up-to-date"]:
            counts += f", {self.counts['up-to-date']} up to date"
        if self.counts["failed"]:
            counts += f", {self.counts['failed']} failed"
        return f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {counts}  {self._time_left()}"

    def _time_left(self) -> str:
        elapsed = self.clock() - self._started
        if not self.done or self.done >= self.to_build:
            return f"{_clock(elapsed)} elapsed" if self.done else "starting"
        left = elapsed / self.done * (self.to_build - self.done)
        return f"{_clock(left)} left"

    def _draw(self, force: bool = False) -> None:
        if not self.bar or not self.to_build:
            return
        now = self.clock()
        if not force and now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        width = shutil.get_terminal_size((80, 20)).columns - 1
        self.stream.write("\r" + self.bar_line()[:width] + "\x1b[K")
        self.stream.flush()
        self._line_shown = True

    def _clear(self) -> None:
        if self._line_shown:
            self.stream.write("\r\x1b[K")
            self._line_shown = False


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
