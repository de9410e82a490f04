"""Worker processes: results in input order whatever the scheduling, and workers replaced as asked."""

from __future__ import annotations

import os
import time

from leaflets.parallel import map_in_workers


class Counter:
    def __init__(self, label: str) -> None:
        self.label = label
        self.handled = 0


def handle(state: Counter, item: int) -> tuple[int, int, int, str]:
    state.handled += 1
    time.sleep(0.01 * (item % 3))  # uneven work, so workers finish out of order
    return item, os.getpid(), state.handled, state.label


def test_results_come_in_input_order_from_several_workers() -> None:
    results = list(map_in_workers(handle, range(12), 2, Counter, ("x",)))
    assert [item for item, *_ in results] == list(range(12))
    assert len({pid for _, pid, _, _ in results}) == 2
    assert all(label == "x" for *_, label in results)


def test_workers_are_replaced_after_items_per_worker() -> None:
    results = list(map_in_workers(handle, range(14), 2, Counter, ("x",), items_per_worker=3))
    assert [item for item, *_ in results] == list(range(14))
    # 14 items in sets of 6 (3 per worker, 2 workers): three sets of fresh workers
    assert max(handled for _, _, handled, _ in results) <= 6
    assert len({pid for _, pid, _, _ in results}) >= 3
    first_set = {pid for item, pid, _, _ in results if item < 6}
    assert not first_set & {pid for item, pid, _, _ in results if item >= 6}


def test_one_job_runs_in_this_process_with_one_state() -> None:
    results = list(map_in_workers(handle, range(4), 1, Counter, ("x",), items_per_worker=2))
    assert {pid for _, pid, _, _ in results} == {os.getpid()}
    assert [handled for _, _, handled, _ in results] == [1, 2, 3, 4]


def test_no_items_no_state() -> None:
    def fail() -> None:
        raise AssertionError("state built for no work")

    assert list(map_in_workers(handle, [], 2, fail)) == []


def _no_state() -> None:
    return None


def _freeze_count(_state: None, _item: int) -> int:
    import gc

    return gc.get_freeze_count()


def test_one_job_keeps_the_loaded_heap_from_the_collector_while_it_works_and_gives_it_back() -> None:
    import gc

    before = gc.get_freeze_count()
    counts = list(map_in_workers(_freeze_count, [1, 2], 1, _no_state))
    assert all(count > before for count in counts)
    assert gc.get_freeze_count() == before
    stopped = map_in_workers(_freeze_count, [1, 2, 3], 1, _no_state)
    next(stopped)
    stopped.close()  # a consumer that stops early gives the heap back too
    assert gc.get_freeze_count() == before


def test_workers_keep_their_set_up_from_the_collector() -> None:
    counts = list(map_in_workers(_freeze_count, [1, 2, 3, 4], 2, _no_state))
    assert all(count > 0 for count in counts)
