"""Printing a patient's copy without a dialog: the PDF goes to CUPS' ``lp`` on its standard input.

The copy is never written to a file by leaflets: ``lp`` reads it from a pipe
and hands it to the print server. The job is named after the medicine only,
since print servers keep job names in their history.
"""

from __future__ import annotations

import re
import subprocess

TIMEOUT_SECONDS = 30
_PRINTER_NAME = re.compile(r"[^\s/#\-][^\s/#]{0,126}")
"""CUPS printer names: printable, no spaces, '/' or '#'; no leading '-', so a name is never read as an option."""


class PrintError(Exception):
    """The printer is not usable or ``lp`` refused the job; the message is for the person at the counter's log."""


def valid_printer_name(name: str) -> bool:
    return bool(_PRINTER_NAME.fullmatch(name))


def send_to_printer(pdf: bytes, printer: str, job_title: str) -> str:
    """Queue ``pdf`` on ``printer``; returns what ``lp`` said (the job id line)."""
    if not valid_printer_name(printer):
        raise PrintError(f"'{printer}' is not a printer name")
    command = ["lp", "-d", printer, "-t", job_title, "-"]
    try:
        done = subprocess.run(command, input=pdf, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except FileNotFoundError:
        raise PrintError("the lp command is not installed (Debian: cups-bsd or cups-client)") from None
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrintError(f"lp did not finish: {exc}") from None
    if done.returncode != 0:
        raise PrintError(done.stderr.decode("utf-8", "replace").strip() or f"lp exited with status {done.returncode}")
    return done.stdout.decode("utf-8", "replace").strip()
