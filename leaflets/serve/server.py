"""Running the counter: the index and workers first, then uvicorn, until Ctrl-C.

Logging is set up so that nothing typed at the counter can reach a log:
uvicorn's access log shows the method, the path without its query string and
the status; request bodies are never logged by anyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.config
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from leaflets.project.project import Project
from leaflets.serve.app import create_app
from leaflets.serve.counter import Counter
from leaflets.serve.watch import watch


class PathOnly(logging.Filter):
    """Drops the query string from uvicorn's access log lines (``GET /leaflet/x?...`` -> ``GET /leaflet/x``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3:
            args = list(record.args)
            path = args[2]
            if isinstance(path, str):
                args[2] = path.split("?", 1)[0]
                record.args = tuple(args)
        return True


def log_config() -> dict[str, Any]:
    config = {**uvicorn.config.LOGGING_CONFIG}
    config["filters"] = {"path_only": {"()": PathOnly}}
    config["handlers"] = {name: {**handler} for name, handler in config["handlers"].items()}
    config["handlers"]["access"]["filters"] = ["path_only"]
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    config["loggers"] = {**config["loggers"], "leaflets.serve": {"handlers": ["default"], "level": "INFO", "propagate": False}}
    return config


def serve(paths: list[Path], project: Project, cache_dir: Path, host: str, port: int, jobs: int, watching: bool) -> None:
    """Start the counter and serve until interrupted."""
    logging.config.dictConfig(log_config())
    log = logging.getLogger("leaflets.serve")
    roots = paths or [project.entries_dir]
    started = time.perf_counter()
    counter, stats = Counter.start(project, roots, cache_dir, jobs, watching)
    log.info("%d entries indexed in %.1f s (%d read again, %d removed)", stats.entries, time.perf_counter() - started,
             stats.parsed, stats.removed)
    counter.pool.wait_ready()

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(watch(counter, stop)) if watching else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task

    app = create_app(counter, lifespan)
    shown = f"[{host}]" if ":" in host else host
    print(f"leaflets serve: http://{shown}:{port}/ ({len(counter.sources)} leaflets; Ctrl-C to stop)", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_config=log_config(), timeout_graceful_shutdown=3,
                            server_header=False, proxy_headers=False)
    try:
        uvicorn.Server(config).run()
    finally:
        counter.close()
    sys.stdout.flush()
