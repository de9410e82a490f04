"""Which entries one of N processes takes, for batch schedulers (Kubernetes, Slurm, CI matrices).

An entry's shard is a stable hash (SHA-256, not Python's salted ``hash``) of
its path relative to the folder it was found in, so every process agrees
without talking to the others, a shard's set does not change when unrelated
entries are added, and the same entry always lands in the same shard.

Each shard keeps its own cache file in the shared output folder, so shards
running at once never overwrite each other's record of what they built;
:class:`leaflets.build.cache.OutputCache` reads all of them together.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath

_SHARD = re.compile(r"^\s*(?:(?P<index>[0-9]+)\s*/\s*)?(?P<count>[0-9]+)\s*$")

INDEX_VARIABLES = ("JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID")
"""Where ``--shard N`` finds this process's index: Kubernetes Indexed Jobs, then Slurm job arrays."""


class ShardError(ValueError):
    """A ``--shard`` value that names no shard; the message is one line for the user."""


@dataclass(frozen=True)
class Shard:
    """The ``index``-th (from 0) of ``count`` parts."""

    index: int
    count: int

    def holds(self, relative: PurePath) -> bool:
        """True when the entry at ``relative`` (below its input root) belongs to this shard."""
        return shard_of(relative, self.count) == self.index

    @property
    def cache_suffix(self) -> str:
        """Put into the cache file's name: ``.leaflets-cache.shard-1-of-3.json``."""
        return f"shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(relative: PurePath, count: int) -> int:
    """The shard (0 to count-1) of the entry at ``relative``; the same on every machine and Python."""
    digest = hashlib.sha256(relative.as_posix().encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str, environ: Mapping[str, str] | None = None) -> Shard:
    """``"I/N"``, or ``"N"`` with I from the scheduler's environment; :class:`ShardError` otherwise."""
    environ = os.environ if environ is None else environ
    match = _SHARD.match(text)
    if match is None:
        raise ShardError(f"--shard must be I/N or N (e.g. 0/3 or 3), not {text!r}")
    count = int(match.group("count"))
    if count < 1:
        raise ShardError(f"--shard {text}: the number of shards must be at least 1")
    if match.group("index") is not None:
        index = int(match.group("index"))
    else:
        index = _index_from_environment(text, environ)
    if index >= count:
        raise ShardError(f"--shard {text}: shard index {index} must be below the number of shards {count} (counted from 0)")
    return Shard(index, count)


def _index_from_environment(text: str, environ: Mapping[str, str]) -> int:
    """JOB_COMPLETION_INDEX as it is; SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN (arrays may start at 1)."""
    if "JOB_COMPLETION_INDEX" in environ:
        return _whole_number("JOB_COMPLETION_INDEX", environ["JOB_COMPLETION_INDEX"], text)
    if "SLURM_ARRAY_TASK_ID" in environ:
        task = _whole_number("SLURM_ARRAY_TASK_ID", environ["SLURM_ARRAY_TASK_ID"], text)
        first = _whole_number("SLURM_ARRAY_TASK_MIN", environ.get("SLURM_ARRAY_TASK_MIN", "0"), text)
        if task < first:
            raise ShardError(f"--shard {text}: SLURM_ARRAY_TASK_ID {task} is below SLURM_ARRAY_TASK_MIN {first}")
        return task - first
    raise ShardError(
        f"--shard {text}: give the index as I/{text.strip()}, or run where JOB_COMPLETION_INDEX "
        "(Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm) is set"
    )


def _whole_number(name: str, value: str, text: str) -> int:
    if not value.strip().isdigit():
        raise ShardError(f"--shard {text}: {name} must be a whole number, not {value!r}")
    return int(value.strip())
