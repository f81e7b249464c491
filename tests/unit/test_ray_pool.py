"""The worker pool waits for killed workers' processes to exit before anyone tidies up."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("ray")

from app.cluster.pool import Slot, WorkerPlan, WorkerPool  # noqa: E402


def _pool_with(pids: list[int], host: str | None = None) -> WorkerPool:
    pool = WorkerPool("unused.safetensors", WorkerPlan(1, 0.0, 1.0, 1, "cpu"))
    for n, pid in enumerate(pids, 1):
        pool.slots.append(Slot(n, actor=None, ready_ref=None, state="dead",
                               info={"host": host or socket.gethostname(), "pid": pid}))
    return pool


def test_wait_gone_returns_once_the_local_worker_processes_have_exited():
    procs = [subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({d})"]) for d in (0.3, 0.6)]
    pool = _pool_with([p.pid for p in procs])
    start = time.monotonic()
    # Popen's child stays a zombie until reaped; the pool must treat that as gone too
    assert pool.wait_gone(timeout=20) is True
    assert 0.25 < time.monotonic() - start < 15
    for p in procs:
        p.wait()


def test_wait_gone_gives_up_on_a_process_that_keeps_running():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert _pool_with([proc.pid]).wait_gone(timeout=0.3) is False
    finally:
        proc.kill()
        proc.wait()


def test_workers_on_other_nodes_are_not_waited_for():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        start = time.monotonic()
        assert _pool_with([proc.pid], host="another-node").wait_gone(timeout=5) is True
        assert time.monotonic() - start < 1
    finally:
        proc.kill()
        proc.wait()
