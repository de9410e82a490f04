"""Ctrl-C and SIGTERM during a command: stop cleanly once, stop at once the second time.

The first SIGINT or SIGTERM raises :class:`leaflets.errors.Interrupted` in the
main thread. The build unwinds from there: workers are killed, temporary
files and folders removed, the cache saved with what finished, and the
command prints one line and exits ``128 + signum`` (130, 143). Outputs are
only ever renamed into place complete, so nothing half-written can appear.
A second signal while that cleanup runs exits at once (``os._exit``); any
temporary file it leaves is removed by the next run.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from types import FrameType
from typing import Iterator, NoReturn

from leaflets.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_status(signum: int) -> int:
    return 128 + signum


def exit_interrupted(signum: int) -> NoReturn:
    """Leave now with ``128 + signum``, once the run has cleaned up and said what it did.

    ``os._exit`` after flushing: a further signal during the interpreter's
    own shutdown (which resets the handlers) could otherwise kill the process
    with a different status, and there is nothing left to clean up.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(exit_status(signum))


def _exit_now(signum: int, _frame: FrameType | None) -> None:
    os._exit(exit_status(signum))


def _interrupt(signum: int, _frame: FrameType | None) -> None:
    for number in SIGNALS:
        signal.signal(number, _exit_now)
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn the first SIGINT/SIGTERM into :class:`Interrupted` inside the block; restore the handlers after."""
    previous = {number: signal.getsignal(number) for number in SIGNALS}
    for number in SIGNALS:
        signal.signal(number, _interrupt)
    try:
        yield
    except Interrupted:
        raise  # keep exiting at once on a further signal while the command reports and exits
    finally:
        if signal.getsignal(signal.SIGINT) is not _exit_now:
            for number, handler in previous.items():
                signal.signal(number, handler)
