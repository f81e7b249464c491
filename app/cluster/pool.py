"""The pool of Ray worker actors: how many, with which share of the cluster, and
what happens when one dies.

Actors are created with ``max_restarts=0``: a dead worker is replaced by the pool
(a fresh actor, which Ray may place on another node) so that the scheduler knows
exactly which images were lost with it and can retry them itself.
"""

from __future__ import annotations

import os
import re
import socket
import time
from dataclasses import dataclass, field
from typing import Any

import ray

from app.cluster.ray_worker import SegmentWorker


class RayEngineError(Exception):
    """The cluster cannot do the run (no GPUs, no worker could start, storage not
    shared); a usage-level problem, exit code 2."""


@dataclass(frozen=True)
class WorkerPlan:
    workers: int
    num_gpus: float  # per worker
    num_cpus: float  # per worker (what Ray reserves)
    threads: int | None  # torch threads per worker; None: the library default
    device: str  # what the worker asks the engine for, inside its Ray share

    def describe(self) -> str:
        where = (f"{self.num_gpus:g} GPU each" if self.num_gpus else
                 f"CPU, {self.threads} thread{'s' if self.threads != 1 else ''} each")
        return f"{self.workers} Ray worker{'s' if self.workers != 1 else ''} ({where})"


def plan_workers(device: str, workers: int | None, gpus_per_worker: float | None) -> WorkerPlan:
    """One worker per GPU (or per ``gpus_per_worker`` share) when the cluster has GPUs
    and the device allows them; otherwise CPU workers (default: one per node), each
    with an equal share of the cores."""
    total = ray.cluster_resources()
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    gpus, cpus = float(total.get("GPU", 0)), float(total.get("CPU", 0))
    max_node_cpus = max((float(n["Resources"].get("CPU", 0)) for n in nodes), default=cpus)
    if workers is not None and workers < 1:
        raise RayEngineError(f"--workers must be at least 1 (got {workers})")
    if gpus_per_worker is not None and gpus_per_worker < 0:
        raise RayEngineError(f"--gpus-per-worker must not be negative (got {gpus_per_worker:g})")
    wants_gpu = device == "auto" or device.startswith("cuda")
    if gpus_per_worker is None:
        gpus_per_worker = 1.0 if wants_gpu and gpus > 0 else 0.0
    if gpus_per_worker > 0:
        if not wants_gpu:
            raise RayEngineError(f"--gpus-per-worker {gpus_per_worker:g} asks for GPUs but --device is {device}")
        if gpus == 0:
            raise RayEngineError("the Ray cluster has no GPUs; use --gpus-per-worker 0 (CPU workers) "
                                 "or add GPU nodes")
        if gpus_per_worker > 1 and gpus_per_worker != int(gpus_per_worker):
            raise RayEngineError("--gpus-per-worker above 1 must be a whole number")
        count = workers or max(1, int(gpus // gpus_per_worker))
        # Ray sets CUDA_VISIBLE_DEVICES per actor, so "cuda" is the worker's own GPU
        return WorkerPlan(count, gpus_per_worker, 1, None, "cuda")
    if device.startswith("cuda"):
        raise RayEngineError(f"--device {device} asks for a GPU but no GPU share was requested "
                             "(--gpus-per-worker 0) or the cluster has none")
    count = workers or max(1, len(nodes))
    threads = max(1, min(int(max_node_cpus), int(cpus // count)))
    return WorkerPlan(count, 0, threads, threads, "cpu" if device == "auto" else device)


@dataclass(eq=False)
class Slot:
    """One worker actor and the images it holds."""
    number: int
    actor: Any
    ready_ref: Any
    state: str = "starting"  # starting -> ready -> dead
    info: dict[str, Any] = field(default_factory=dict)
    in_flight: int = 0
    done: int = 0  # images this worker finished
    isolated: bool = False  # holds a retried image alone (it may be what kills workers)

    def name(self) -> str:
        where = f" on {self.info['host']} (pid {self.info['pid']})" if self.info else ""
        return f"worker {self.number}{where}"


class WorkerPool:
    """Starts ``plan.workers`` actors and replaces the ones that die (up to
    ``max_replacements`` in all), keeping the reasons of every failure."""

    def __init__(self, weights: str, plan: WorkerPlan, precision: str = "fp32",
                 worker_env: dict[str, str] | None = None, max_replacements: int | None = None,
                 window_batch: int | None = None) -> None:
        self.weights, self.plan, self.precision = weights, plan, precision
        self.worker_env = dict(worker_env or {})
        self.window_batch = window_batch
        self.replacements_left = (2 * plan.workers + 2) if max_replacements is None else max_replacements
        self.slots: list[Slot] = []
        self.problems: list[str] = []  # why workers failed to start or were lost
        self.probes: list[str] = []
        self._actor_class: Any = ray.remote(SegmentWorker)

    def start(self, probes: list[str]) -> None:
        """Top the pool up to ``plan.workers``; every worker (old ones too) checks
        again that it sees ``probes``."""
        self.probes = list(probes)
        for slot in self.ready():
            slot.state, slot.ready_ref = "starting", slot.actor.ready.remote(self.probes)
        for _ in range(self.plan.workers - len(self.alive())):
            self._spawn()

    def wait_started(self, timeout: float) -> None:
        """Block until every starting worker is ready or dropped (or ``timeout`` s)."""
        deadline = time.monotonic() + timeout
        while self.starting_refs() and time.monotonic() < deadline:
            starting = self.starting_refs()
            done, _ = ray.wait(list(starting), num_returns=len(starting),
                               timeout=max(0.0, deadline - time.monotonic()))
            for ref in done:
                self.mark_ready(starting[ref])

    def _spawn(self) -> Slot:
        options: dict[str, Any] = {"num_cpus": self.plan.num_cpus, "num_gpus": self.plan.num_gpus,
                                   "max_concurrency": 2, "max_restarts": 0, "max_task_retries": 0}
        if self.worker_env:
            options["runtime_env"] = {"env_vars": self.worker_env}
        actor = self._actor_class.options(**options).remote(
            self.weights, self.plan.device, self.precision, self.plan.threads, os.getcwd(), self.window_batch)
        slot = Slot(len(self.slots) + 1, actor, actor.ready.remote(self.probes))
        self.slots.append(slot)
        return slot

    def alive(self) -> list[Slot]:
        return [s for s in self.slots if s.state != "dead"]

    def ready(self) -> list[Slot]:
        return [s for s in self.slots if s.state == "ready"]

    def starting_refs(self) -> dict[Any, Slot]:
        return {s.ready_ref: s for s in self.slots if s.state == "starting"}

    def mark_ready(self, slot: Slot) -> bool:
        """Collect a started worker; False (and the worker is dropped) if it failed to
        start or cannot see the shared storage."""
        try:
            slot.info = ray.get(slot.ready_ref)
        except ray.exceptions.RayError as exc:
            self._drop(slot, f"worker {slot.number} failed to start: {error_text(exc)}")
            return False
        if slot.info["missing"]:
            self._drop(slot, f"{slot.name()} cannot see {', '.join(slot.info['missing'])}: the inputs, "
                             "--out and --weights must be on storage every node sees under the same path")
            return False
        slot.state = "ready"
        return True

    def lose(self, slot: Slot, reason: str) -> None:
        """A ready worker died: drop it and start a replacement while the budget lasts."""
        if slot.state == "dead":
            return
        self._drop(slot, f"{slot.name()} was lost: {reason}")
        if self.replacements_left > 0:
            self.replacements_left -= 1
            self._spawn()

    def _drop(self, slot: Slot, problem: str) -> None:
        slot.state = "dead"
        self.problems.append(problem)
        _kill(slot.actor)

    def shutdown(self) -> None:
        for slot in self.slots:
            if slot.state != "dead":
                slot.state = "dead"
                _kill(slot.actor)

    def wait_gone(self, timeout: float = 10.0) -> bool:
        """Wait until the processes of the workers on this machine have exited.

        Ray reports an actor dead when it is told to kill it, which can be before its
        process has stopped; a process still alive could then create a file after the
        driver has tidied up. Workers on other nodes cannot be watched from here.
        True if every local worker process is gone."""
        here = socket.gethostname()
        pids = {int(s.info["pid"]) for s in self.slots if s.info.get("host") == here and "pid" in s.info}
        pids.discard(os.getpid())
        deadline = time.monotonic() + timeout
        while pids and time.monotonic() < deadline:
            pids = {pid for pid in pids if _process_exists(pid)}
            if pids:
                time.sleep(0.05)
        return not pids


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now holds that pid
        return True
    return _is_running(pid)


def _is_running(pid: int) -> bool:
    """A zombie (exited, not yet reaped by its parent) writes nothing any more."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc (not Linux): kill(pid, 0) succeeded, so it exists


def _kill(actor: Any) -> None:
    try:
        ray.kill(actor, no_restart=True)
    except Exception:  # noqa: BLE001 - already gone
        pass


def error_text(exc: BaseException) -> str:
    """One readable line for a Ray error: why the worker died, or the exception a
    task or a worker's start-up raised (without Ray's traceback decoration)."""
    text = str(exc)
    if isinstance(exc, ray.exceptions.RayActorError) and "creation task" not in text:
        why = re.search(r"The actor is dead because (.*?)(?:\s+Some common causes|$)", text, re.S)
        return ("the actor is dead because " + " ".join(why.group(1).split()) if why
                else text.strip().splitlines()[0] if text.strip() else type(exc).__name__)[:300]
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {cause}"
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else type(exc).__name__  # the exception line closes a traceback
