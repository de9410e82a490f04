"""Spreading work over worker processes, each keeping one long-lived renderer.

Fonts and parsed stylesheets are expensive to set up and cheap to reuse, so each
worker builds its state once (``state_factory``) and then handles many items.
Results come back in input order whatever the scheduling, so reports and
errors read the same on every run (or, from :func:`map_unordered`, as they
finish, with their index).

Workers never outlive the run: each asks the kernel to kill it when its parent
dies (``PR_SET_PDEATHSIG`` on Linux), so a parent killed with SIGKILL leaves no
orphans; it ignores SIGINT (a Ctrl-C reaches the whole process group, and the
parent decides what stops), and when the parent stops early (an interruption,
an error, or a consumer that stops reading) it kills its workers and waits for
them before going on.

It sits at the top of the package, beside ``errors`` and ``clock``, because
stages on both sides of the pipeline use it: ``check`` (batches of entries)
as much as ``build`` and ``booklet``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
State = TypeVar("State")

_worker_state: Any = None
_active_pools: set[ProcessPoolExecutor] = set()
"""Pools whose workers may still be running, so an interrupted caller can stop them all."""


def usable_cpus() -> int:
    """CPUs this process may run on (respects affinity masks and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


PR_SET_PDEATHSIG = 1
WORKER_EXIT_SECONDS = 10.0


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when ``parent`` dies (Linux); exit now if it already has."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:
        os._exit(1)


def _initialise(parent: int, state_factory: Callable[..., Any], factory_args: tuple[Any, ...]) -> None:
    global _worker_state
    die_with_parent(parent)
    # A forked worker inherits the parent's handlers; its fate is the parent's decision.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_state = state_factory(*factory_args)
    gc.freeze()  # the worker's set-up lives as long as the worker: see settled_heap


@contextmanager
def settled_heap() -> Iterator[None]:
    """Keep the garbage collector off what is already loaded while the items are worked through.

    WeasyPrint, Jinja and the renderer's state are hundreds of thousands of
    objects that live for the whole run, and every full collection walks all
    of them again: about a tenth of a leaflet's CPU time goes to collections,
    and the larger the heap the more each one costs, a cost WeasyPrint alone
    in a bare process pays less of. ``gc.freeze`` moves what exists now out
    of the collector's sight; ``gc.unfreeze`` gives it back afterwards, so a
    long-lived caller (tests, a library user) loses nothing to it.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


STACK_ROOM_SLOTS = 8300
"""Local variable slots of :func:`with_stack_room`'s frame: 66 kB, so CPython gives it a 128 kB chunk of its own."""


def _roomy_caller() -> Callable[[Callable[[Any, Any], Any], Any, Any], Any]:
    """A function that calls ``task(state, item)`` from a frame of :data:`STACK_ROOM_SLOTS` local slots.

    CPython 3.11 keeps Python frames in 16 kB chunks of memory and frees a chunk
    (``munmap``) as soon as the call that opened it returns. Layout code that
    recurses up and down across a chunk's edge maps and unmaps it again each
    time: 59,000 times in one booklet worker over 33 entries (``strace``), 0.2 s
    of system time and page faults. A frame too big for the current chunk gets
    a new chunk of the next power of two above its size with the rest left
    free, so everything the task calls runs in that one roomy chunk.
    """
    names = [f"_slot{index}" for index in range(STACK_ROOM_SLOTS)]
    source = "def with_stack_room(task, state, item):\n    " + " = ".join(names) + " = None\n    return task(state, item)\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "<leaflets.parallel>", "exec"), namespace)  # noqa: S102 - generated above, no input in it
    return namespace["with_stack_room"]


with_stack_room = _roomy_caller()


def _run(task: Callable[[Any, Any], Any], item: Any) -> Any:
    return with_stack_room(task, _worker_state, item)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill every worker of ``pool`` now and wait until they are gone."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        try:
            process.kill()
        except (OSError, AttributeError, ValueError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        try:
            process.join(WORKER_EXIT_SECONDS)
        except (OSError, AssertionError, ValueError):
            pass


def stop_workers() -> None:
    """Kill the workers of every pool still running in this process (on an interruption)."""
    for pool in list(_active_pools):
        _stop(pool)
        _active_pools.discard(pool)


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
    for _index, result in _mapped(task, items, jobs, state_factory, factory_args, items_per_worker, ordered=True):
        yield result


def map_unordered(
    task: Callable[[State, Item], Result],
    items: Iterable[Item],
    jobs: int,
    state_factory: Callable[..., State],
    factory_args: tuple[Any, ...] = (),
    items_per_worker: int | None = None,
) -> Generator[tuple[int, Result], None, None]:
    """As :func:`map_in_workers`, but yield ``(index, result)`` as soon as each item is done."""
    yield from _mapped(task, items, jobs, state_factory, factory_args, items_per_worker, ordered=False)


def _mapped(
    task: Callable[[State, Item], Result], items: Iterable[Item], jobs: int, state_factory: Callable[..., State],
    factory_args: tuple[Any, ...], items_per_worker: int | None, ordered: bool,
) -> Generator[tuple[int, Result], None, None]:
    items = list(items)
    if not items:
        return
    if jobs <= 1 or len(items) <= 1:
        state = state_factory(*factory_args)
        with settled_heap():
            for index, item in enumerate(items):
                yield index, with_stack_room(task, state, item)
        return
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    workers = min(jobs, len(items))
    per_pool = items_per_worker * workers if items_per_worker else len(items)
    for first in range(0, len(items), per_pool):
        batch = items[first : first + per_pool]
        pool = ProcessPoolExecutor(
            max_workers=min(workers, len(batch)),
            mp_context=context,
            initializer=_initialise,
            initargs=(os.getpid(), state_factory, factory_args),
        )
        _active_pools.add(pool)
        try:
            futures = {pool.submit(_run, task, item): first + offset for offset, item in enumerate(batch)}
            if ordered:
                for future, index in futures.items():
                    yield index, future.result()
            else:
                pending: set[Future[Any]] = set(futures)
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in sorted(done, key=futures.__getitem__):
                        yield futures[future], future.result()
        except BaseException:
            _stop(pool)
            raise
        finally:
            _active_pools.discard(pool)
        pool.shutdown(wait=True)


_UNSET: Any = object()


class WorkerPool(Generic[State]):
    """Worker processes kept for several maps in turn, each building its state once.

    A run in stages (the booklet: entries, then cover and contents, then
    numbering) would otherwise start fresh workers for every stage, each
    loading fonts and stylesheets again for a fraction of a second's work.
    Workers start when the first map needs them and are stopped when the
    ``with`` block ends (killed at once if it ends by an exception). With
    ``jobs <= 1`` everything runs in this process, with one state.
    """

    def __init__(self, jobs: int, state_factory: Callable[..., State], factory_args: tuple[Any, ...] = ()) -> None:
        self.jobs = jobs
        self.state_factory = state_factory
        self.factory_args = factory_args
        self._state: Any = _UNSET
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "WorkerPool[State]":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close(stop=kind is not None)

    def map(self, task: Callable[[State, Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        """Yield ``task(state, item)`` for every item, in input order (items are all handed out at once)."""
        items = list(items)
        if not items:
            return
        if self.jobs <= 1:
            if self._state is _UNSET:
                self._state = self.state_factory(*self.factory_args)
            with settled_heap():
                for item in items:
                    yield with_stack_room(task, self._state, item)
            return
        if self._pool is None:
            context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=context, initializer=_initialise,
                initargs=(os.getpid(), self.state_factory, self.factory_args),
            )
            _active_pools.add(self._pool)
        futures = [self._pool.submit(_run, task, item) for item in items]
        try:
            for future in futures:
                yield future.result()
        except BaseException:
            self.close(stop=True)
            raise

    def close(self, stop: bool = False) -> None:
        """Let the workers finish and wait for them (``stop``: kill them now)."""
        pool, self._pool = self._pool, None
        self._state = _UNSET
        if pool is None:
            return
        _active_pools.discard(pool)
        if stop:
            _stop(pool)
        else:
            pool.shutdown(wait=True)
