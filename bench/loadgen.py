"""A light load generator: pre-encoded bodies over keep-alive connections, a few threads in a few processes.

Each thread owns a set of surveyors and posts their batches in order (batch 0 of each, then batch 1 ...),
so one phone never has two requests in flight, as a real phone does not. Every process measures its own
CPU time, so the report can say how much of the 2 cores the generator itself took.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

# (token, [body, ...]) per surveyor
Plan = list[tuple[str, list[bytes]]]


@dataclass
class LoadResult:
    """What the generator saw: per-request latencies, statuses, the counts the server answered, CPU used."""

    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    accepted: int = 0
    duplicate: int = 0
    off_duty: int = 0
    rejected: int = 0
    started: float = float("inf")
    ended: float = 0.0
    generator_cpu_s: float = 0.0
    errors: list[str] = field(default_factory=list)
    # (token, batch index, wall-clock send, wall-clock answer) of every 200: when each batch was accepted
    answered: list[tuple[str, int, float, float]] = field(default_factory=list)

    def merge(self, other: "LoadResult") -> None:
        self.latencies_s += other.latencies_s
        self.statuses.update(other.statuses)
        for name in ("accepted", "duplicate", "off_duty", "rejected", "generator_cpu_s"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.started, self.ended = min(self.started, other.started), max(self.ended, other.ended)
        self.errors += other.errors[:5]
        self.answered += other.answered

    @property
    def wall_s(self) -> float:
        return max(self.ended - self.started, 1e-9)


def _thread(port: int, path: str, plan: Plan, out: LoadResult, lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    local = LoadResult()
    rounds = max((len(bodies) for _, bodies in plan), default=0)
    for batch in range(rounds):
        for token, bodies in plan:
            if batch >= len(bodies):
                continue
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            sent, start = time.time(), time.perf_counter()
            try:
                connection.request("POST", path, bodies[batch], headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                local.statuses["connection-error"] += 1
                local.errors.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            local.latencies_s.append(time.perf_counter() - start)
            local.statuses[response.status] += 1
            if response.status == 200:
                local.answered.append((token, batch, sent, time.time()))
                counts = json.loads(payload)
                local.accepted += counts["accepted"]
                local.duplicate += counts["duplicate"]
                local.off_duty += counts["off_duty"]
                local.rejected += len(counts["rejected"])
            elif len(local.errors) < 5:
                local.errors.append(f"{response.status}: {payload[:300]!r}")
    connection.close()
    with lock:
        out.merge(local)


def _process(port: int, path: str, make_plan: Callable[[int], Plan], slot: int, threads: int,
             barrier, queue) -> None:
    plan = make_plan(slot)  # bodies are encoded here, before the clock starts
    parts = [plan[i::threads] for i in range(threads)]
    result, lock = LoadResult(), threading.Lock()
    workers = [threading.Thread(target=_thread, args=(port, path, part, result, lock)) for part in parts if part]
    barrier.wait()
    cpu, result.started = time.process_time(), time.time()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    result.ended = time.time()
    result.generator_cpu_s = time.process_time() - cpu
    queue.put(result)


def run(port: int, path: str, make_plan: Callable[[int], Plan], *, processes: int = 2,
        threads: int = 3) -> LoadResult:
    """Post every process's plan (make_plan(slot) builds slot's share) and gather the results."""
    context = mp.get_context("fork")
    barrier, queue = context.Barrier(processes + 1), context.Queue()
    procs = [context.Process(target=_process, args=(port, path, make_plan, slot, threads, barrier, queue))
             for slot in range(processes)]
    for p in procs:
        p.start()
    barrier.wait()
    total = LoadResult()
    for _ in procs:
        total.merge(queue.get())
    for p in procs:
        p.join()
    return total
