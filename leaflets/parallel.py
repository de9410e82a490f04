"""Spreading work over worker processes, each keeping one long-lived renderer.

Fonts and parsed stylesheets are expensive to set up and cheap to reuse, so each
worker builds its state once (``state_factory``) and then handles many items.
Results come back in input order whatever the scheduling, so reports and
errors read the same on every run.

It sits at the top of the package, beside ``errors`` and ``clock``, because
stages on both sides of the pipeline use it: ``check`` (batches of entries)
as much as ``build`` and ``booklet``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
State = TypeVar("State")

_worker_state: Any = None


def usable_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _initialise(state_factory: Callable[..., Any], factory_args: tuple[Any, ...]) -> None:
    global _worker_state
    _worker_state = state_factory(*factory_args)


def _run(task: Callable[[Any, Any], Any], item: Any) -> Any:
    return task(_worker_state, item)


def map_in_workers(
    task: Callable[[State, Item], Result],
    items: Iterable[Item],
    jobs: int,
    state_factory: Callable[..., State],
    factory_args: tuple[Any, ...] = (),
    items_per_worker: int | None = None,
) -> Iterator[Result]:
    """Yield ``task(state, item)`` for every item, in input order.

    No items, no state: an incremental build with nothing to do never loads
    the renderer. With ``jobs <= 1`` (or a single item) everything runs in
    this process, which keeps tracebacks and profiles simple; otherwise
    ``jobs`` processes each call ``state_factory(*factory_args)`` once.
    With ``items_per_worker``, each set of workers is given that many items
    per worker (a worker may take more when its neighbour is slower) and then
    replaced by fresh ones, so memory a long-lived renderer accumulates is
    given back. ``task`` and the items must pickle.
    """
    items = list(items)
    if not items:
        return
    if jobs <= 1 or len(items) <= 1:
        state = state_factory(*factory_args)
        for item in items:
            yield task(state, item)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    workers = min(jobs, len(items))
    per_pool = items_per_worker * workers if items_per_worker else len(items)
    for first in range(0, len(items), per_pool):
        batch = items[first : first + per_pool]
        with ProcessPoolExecutor(
            max_workers=min(workers, len(batch)),
            mp_context=context,
            initializer=_initialise,
            initargs=(state_factory, factory_args),
        ) as pool:
            yield from pool.map(_run, [task] * len(batch), batch, chunksize=1)
