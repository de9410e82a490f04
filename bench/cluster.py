"""--dask against a local --jobs 2 build, the parts of a cluster build, scaling on paper, and shards.

    .venv/bin/python bench/cluster.py [--corpus ../shared/corpus] [--entries 64] [--skip-shards]

In one run on this machine:

1. the first ``--entries`` entries of bench/sample-200.txt built with ``leaflets
   build --jobs 2`` (the floor) and with ``--dask`` on a cluster of two one-thread
   workers started here (``dask scheduler`` + 2 x ``dask worker --nthreads 1``),
   taking turns, each ``--repeat`` times, medians compared (target: within 1.3x);
2. the parts a bigger cluster would be made of: CPU per entry (the local build's
   processes), bytes sent per entry (pickled parcels) and back (PDF bytes), the
   scheduler's cost per task (a burst of empty tasks: wall time and the scheduler
   process's CPU), and the client's cost per output file written (atomic write);
3. from those, a table for 10, 100 and 1,000 workers: the tasks per second and files
   per second each would need, against what the scheduler and the client can do,
   and the batch size that keeps the scheduler under half its capacity;
4. the 200 sample entries built as three shards into one folder and as one full
   build: byte-for-byte equal or not.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SAMPLE = REPO / "bench" / "sample-200.txt"
BIN = Path(sys.executable).parent
EPOCH = "1767225600"


def sample(corpus: Path, count: int) -> list[Path]:
    lines = [line.strip() for line in SAMPLE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [corpus / line for line in lines[:count]]


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of the command and its children, exit status."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{result.stderr[-2000:]}")
    return wall, cpu, result.returncode


class Cluster:
    """A scheduler and two one-thread workers as processes on loopback."""

    def __init__(self, folder: Path) -> None:
        info = folder / "scheduler.json"
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        self.log = open(folder / "cluster.log", "wb")  # noqa: SIM115
        self.scheduler = subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)], env=env, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT)
        while not info.exists():
            time.sleep(0.2)
        self.address = json.loads(info.read_text())["address"]
        self.workers = [subprocess.Popen(
            [str(BIN / "dask"), "worker", self.address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
            env=env, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT) for _ in range(2)]
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(2, timeout=120)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


def noop(batch: int) -> int:
    return batch


def scheduler_cost(cluster: Cluster, tasks: int = 2000) -> tuple[float, float]:
    """Tasks per second through the scheduler (empty tasks), and the scheduler's CPU per task."""
    import psutil
    from distributed import Client, wait

    scheduler = psutil.Process(cluster.scheduler.pid)
    with Client(cluster.address, timeout=30) as client:
        client.submit(noop, -1, pure=False).result()
        cpu_before = sum(scheduler.cpu_times()[:2])
        started = time.perf_counter()
        futures = [client.submit(noop, n, pure=False) for n in range(tasks)]
        wait(futures)
        wall = time.perf_counter() - started
        cpu = sum(scheduler.cpu_times()[:2]) - cpu_before
    return tasks / wall, cpu / tasks


def bytes_per_entry(entries: list[Path], outputs: Path) -> tuple[float, float]:
    """Mean pickled parcel size sent, and mean PDF size returned."""
    from leaflets.cluster.bundle import parcel_entry
    from leaflets.source.discover import EntrySource

    sent = [len(pickle.dumps(parcel_entry(EntrySource(Path(p.name), p), REPO, None))) for p in entries]
    back = [p.stat().st_size for p in outputs.rglob("*.pdf")]
    return statistics.mean(sent), statistics.mean(back)


def write_cost(outputs: Path, folder: Path) -> float:
    """Seconds the client spends writing one output atomically (temporary file, fsync, rename)."""
    from leaflets.build.output import atomic_write

    pdfs = [p.read_bytes() for p in outputs.rglob("*.pdf")]
    started = time.perf_counter()
    for number, data in enumerate(pdfs):
        atomic_write(folder / f"{number}.pdf", data)
    return (time.perf_counter() - started) / len(pdfs)


def scaling_table(cpu_per_entry: float, scheduler_cpu: float, write_s: float, sent: float, back: float,
                  batch: int) -> list[str]:
    """Workers each render 1/cpu_per_entry entries a second; the scheduler can run 1/scheduler_cpu tasks a
    second (kept at half that, for its other work); one client writes 1/write_s files a second."""
    tasks_per_s = 1 / scheduler_cpu
    rows = ["| workers | entries/s wanted | tasks/s at batch " + str(batch) + " | scheduler can | files/s one client can "
            "| client network in+out | limited by | batch that keeps the scheduler under half load |",
            "|---|---|---|---|---|---|---|---|"]
    files_per_s = 1 / write_s
    for workers in (10, 100, 1000):
        wanted = workers / cpu_per_entry
        tasks = wanted / batch
        limits = {"workers": wanted, "scheduler": tasks_per_s * batch * 0.5, "client writes": files_per_s}
        limit = min(limits, key=lambda name: limits[name])
        needed_batch = max(1, int(-(-wanted // (tasks_per_s * 0.5))))
        network = wanted * (sent + back) / 1e6
        rows.append(
            f"| {workers:,} | {wanted:,.0f} | {tasks:,.1f} | {tasks_per_s:,.0f} | {files_per_s:,.0f} | "
            f"{network:,.1f} MB/s | {limit} ({min(limits.values()):,.0f} entries/s) | {needed_batch} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--entries", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--skip-shards", action="store_true")
    args = parser.parse_args()
    entries = sample(args.corpus, args.entries)
    leaflets = str(BIN / "leaflets")
    from leaflets.cluster.client import BATCH_SIZE

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as temp:
        folder = Path(temp)
        print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
        cluster = Cluster(folder)
        try:
            local_runs, dask_runs = [], []
            for turn in range(args.repeat):
                local_runs.append(timed([leaflets, "build", *map(str, entries), "--out", str(folder / "local"),
                                         "-j", "2", "--force", "-q"]))
                dask_runs.append(timed([leaflets, "build", *map(str, entries), "--out", str(folder / "dask"),
                                        "--dask", cluster.address, "--force", "-q"]))
                print(f"turn {turn + 1}: local -j 2 {local_runs[-1][0]:.1f}s, --dask {dask_runs[-1][0]:.1f}s", flush=True)
            local_wall = statistics.median(run[0] for run in local_runs)
            dask_wall = statistics.median(run[0] for run in dask_runs)
            cpu_per_entry = statistics.median(run[1] for run in local_runs) / len(entries)
            same = all((folder / "local" / p.name).read_bytes() == p.read_bytes() for p in (folder / "dask").glob("*.pdf"))
            tasks_per_s, scheduler_cpu = scheduler_cost(cluster)
        finally:
            cluster.close()
        sent, back = bytes_per_entry(entries, folder / "local")
        write_s = write_cost(folder / "local", folder / "writes")
        print()
        print(f"| {len(entries)} entries | wall (median of {args.repeat}) | ratio |")
        print("|---|---|---|")
        print(f"| local `--jobs 2` (floor) | {local_wall:.1f} s | 1.00 |")
        print(f"| `--dask`, 2 workers x 1 thread | {dask_wall:.1f} s | {dask_wall / local_wall:.2f} (target <= 1.3) |")
        print(f"\nsame bytes: {same}")
        print(f"CPU per entry (local build, all processes): {cpu_per_entry * 1000:.0f} ms")
        print(f"bytes per entry: {sent / 1024:.1f} KiB sent (pickled parcel), {back / 1024:.1f} KiB back (PDF)")
        print(f"scheduler: {tasks_per_s:,.0f} empty tasks/s end to end, {scheduler_cpu * 1e3:.2f} ms scheduler CPU per task")
        print(f"client: {write_s * 1e3:.2f} ms per output written (atomic, fsync)")
        print()
        for row in scaling_table(cpu_per_entry, scheduler_cpu, write_s, sent, back, BATCH_SIZE):
            print(row)
        if not args.skip_shards:
            every = sample(args.corpus, 200)
            full, parts = folder / "full", folder / "shards"
            shard_walls = [timed([leaflets, "build", *map(str, every), "--out", str(parts), "--shard", f"{i}/3", "-q"])[0]
                           for i in range(3)]
            full_wall = timed([leaflets, "build", *map(str, every), "--out", str(full), "-q"])[0]
            a = {p.name: p.read_bytes() for p in full.glob("*.pdf")}
            b = {p.name: p.read_bytes() for p in parts.glob("*.pdf")}
            print(f"\nshards of the 200-entry sample: {len(b)} PDFs from 3 shards ({', '.join(f'{w:.0f}s' for w in shard_walls)}), "
                  f"{len(a)} from one full build ({full_wall:.0f}s): byte-for-byte equal: {a == b}")
        shutil.rmtree(folder / "writes", ignore_errors=True)


if __name__ == "__main__":
    main()
