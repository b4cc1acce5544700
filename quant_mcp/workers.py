"""``serve --transport http --stateless --workers N``: several processes on one socket, stopped
and measured as one service.

uvicorn's own supervisor (``uvicorn.supervisors.Multiprocess``) stops its workers with
uvicorn's plain stop (readiness never fails, streamed answers are cut after the grace time),
and each worker's ``/metrics`` would describe that worker alone. :class:`Workers` instead:

* runs each worker as uvicorn's child process (spawned, answering pings over a pipe so that a
  hung one can be told apart) serving a :class:`~quant_mcp.drain.DrainingServer`;
* on SIGTERM or Ctrl-C (what ``docker stop`` and Kubernetes send to PID 1) sends every worker
  SIGTERM: each drains as one process does (``/readyz`` 503 at once, in-flight work finishes
  for up to QUANT_DRAIN_SECONDS, standing streams end), and the service exits 0 once they all
  have; a second signal stops them at once (SIGKILL), and so does the drain time running out
  well past its end;
* replaces a worker that exits or hangs, never once the service is stopping; one that fails
  to start stops the service;
* gives the workers a private directory for their metrics (prometheus-client's multiprocess
  mode, see ``observability.metrics_registry``), so that ``/metrics`` from any worker, and
  QUANT_METRICS_PORT served by the supervisor, report the whole service; the live gauges of a
  worker that exited are dropped, and the directory is removed at the end.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import uvicorn
from prometheus_client.multiprocess import mark_process_dead
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

from quant_mcp.drain import DrainingServer
from quant_mcp.observability import MULTIPROCESS_DIR

log = logging.getLogger("quant_mcp.workers")

TICK_SECONDS = 0.1  # how soon the supervisor acts on a signal
CHECK_EVERY_TICKS = 5  # the workers' health is checked every 0.5 s (as uvicorn's supervisor does)
GRACE_AFTER_DRAIN_SECONDS = 5.0  # beyond the drain and uvicorn's own grace, before SIGKILL
METRICS_DIR_PREFIX = "quant-mcp-metrics-"  # then the supervisor's pid


class WorkerProcess(Process):
    """One worker: uvicorn's child process, serving with a :class:`DrainingServer`."""

    def target(self, sockets: list[socket.socket] | None = None) -> None:  # runs in the worker
        self._server = DrainingServer(self.config, worker=True)  # before uvicorn's ping thread reads it
        super().target(sockets)


@contextmanager
def shared_metrics_dir() -> Iterator[str]:
    """A private, empty directory for the workers' metrics, named in the environment they are
    spawned with (PROMETHEUS_MULTIPROC_DIR, read by prometheus-client when a worker imports
    it); the environment is restored and the directory removed afterwards. Its name carries the
    supervisor's pid, so that the directory of one killed before it could remove it (SIGKILL,
    the OOM killer) is removed by the next one started (several MiB of mapped files each)."""
    _remove_orphaned_metrics_dirs()
    path = tempfile.mkdtemp(prefix=f"{METRICS_DIR_PREFIX}{os.getpid()}-")
    previous = os.environ.get(MULTIPROCESS_DIR)
    os.environ[MULTIPROCESS_DIR] = path
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_DIR, None)
        else:
            os.environ[MULTIPROCESS_DIR] = previous
        shutil.rmtree(path, ignore_errors=True)


def _remove_orphaned_metrics_dirs() -> None:
    """Remove our metrics directories whose supervisor is no longer running."""
    for path in Path(tempfile.gettempdir()).glob(f"{METRICS_DIR_PREFIX}*-*"):
        pid = path.name.removeprefix(METRICS_DIR_PREFIX).split("-", 1)[0]
        if pid.isdigit() and path.stat().st_uid == os.getuid() and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


class Workers:
    """The supervisor of ``config.workers`` worker processes sharing ``sockets`` (see the module)."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], *, drain_seconds: float, metrics_dir: str | None = None
    ) -> None:
        self.config = config
        self.sockets = sockets
        self.stop_seconds = drain_seconds + (config.timeout_graceful_shutdown or 0) + GRACE_AFTER_DRAIN_SECONDS
        self.metrics_dir = metrics_dir
        self.processes: list[WorkerProcess] = []
        self.signals = 0  # SIGTERM and SIGINT received: the first drains, the second stops at once

    def run(self) -> int:
        """Serve until stopped: 0, or uvicorn's STARTUP_FAILURE (3) when a worker could not start."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            log.info("supervisor %d: starting %d workers", os.getpid(), self.config.workers)
            self.processes = [self._start() for _ in range(self.config.workers)]
            code = self._supervise()
            self._stop()
            return code
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        self.signals += 1  # only a count here (a signal handler); the loops act on it

    def _start(self) -> WorkerProcess:
        process = WorkerProcess(self.config, self.sockets)
        process.start()
        return process

    def _supervise(self) -> int:
        ticks = 0
        while not self.signals:
            time.sleep(TICK_SECONDS)
            ticks += 1
            if ticks % CHECK_EVERY_TICKS == 0 and not self.signals and not self._keep_alive():
                return STARTUP_FAILURE
        return 0

    def _keep_alive(self) -> bool:
        """Replace each worker that exited or does not answer; False if one failed to start."""
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or already gone
            process.join()
            self._forget(process)
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %s failed to start: stopping the service", process.pid)
                return False
            if self.signals:
                return True  # stopping: no replacement
            log.warning("worker %s exited (code %s): starting another", process.pid, process.exitcode)
            self.processes[index] = self._start()
        return True

    def _stop(self) -> None:
        """Drain every worker (SIGTERM) and wait for them; a second signal, or the drain time
        running out well past its end, stops them at once."""
        log.warning("supervisor %d: draining %d workers", os.getpid(), len(self.processes))
        for process in self.processes:
            process.terminate()
        deadline = time.monotonic() + self.stop_seconds
        forced = False
        while any(process.exitcode is None for process in self.processes):
            if not forced and (self.signals > 1 or time.monotonic() > deadline):
                log.warning("stopping the workers at once (%s)", "second signal" if self.signals > 1 else "drain time over")
                for process in self.processes:
                    if process.exitcode is None:
                        process.kill()
                forced = True
            time.sleep(TICK_SECONDS)
        for process in self.processes:
            process.join()
            self._forget(process)

    def _forget(self, process: WorkerProcess) -> None:
        """An exited worker's live gauges (in flight, draining, Redis up) leave the metrics."""
        if self.metrics_dir and process.pid is not None:
            mark_process_dead(process.pid, self.metrics_dir)
