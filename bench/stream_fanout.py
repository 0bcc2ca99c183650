"""Stream fan-out: 200 coordinators on the live stream while phones post fixes at full rate.

Deployed as the README says for several workers: gunicorn with 2 gthread workers (threads above the
number of streams), FIELD_API_REDIS_URL set (each worker publishes the positions it stores to Redis and
listens there) and one `field-api worker` process relaying the outbox. Every client is a coordinator of
the branch the phones belong to, opening `GET /api/v1/live/stream` with a single-use ticket from
`POST /api/v1/live/tickets`, as a browser does; the clients are raw sockets read by one selector loop in
a process of their own, so their CPU share can be reported.

Two layouts per database: the streams on the same gunicorn workers as ingestion, and the streams on a
gunicorn of their own (one worker), as the README's capacity plan deploys them (any process can serve
any stream, Redis carries the events between them); both pools share this machine's 2 cores.

Ingestion is bench/ingest_http.py's (the same fleet, loadgen and 500-fix batches) in four back-to-back
phases, without the clients, with them, with them, without them (ABBA, so a drift of this shared
machine's load hits both sides alike). Delivery latency is from the moment a batch's 200 answer reached
the phone (the batch is committed and announced before that answer is written) to the moment each
client read the `positions` event carrying the batch's newest fix; every expected (surveyor, fix time)
is looked for at every client, so a missed event shows.
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import common, fleet, ingest_http

TICKETS = "/api/v1/live/tickets"
STREAM = "/api/v1/live/stream"
SEAL = "bench-seal-" + "y" * 40
REDIS_URL = os.environ.get("FIELD_API_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
CONNECT_TIMEOUT_S = 120.0
DRAIN_LIMIT_S = 30.0


@dataclass(frozen=True)
class Sizes:
    """The clients, the phones and their batches; every phase posts `batches` batches per phone."""

    clients: int = 200
    phones: int = 200
    batch: int = 500
    batches: int = 1
    rounds: int = 4  # ABBA rounds: without, with, with, without, each phase `batches` batches per phone
    warmup: int = 8
    processes: int = 2
    threads: int = 3
    quiet_s: float = 1.0  # a phase's last events are in when no client has read anything for this long
    settle_s: float = 60.0  # how long to wait for `field-api worker` to have started (its imports take seconds)

    @classmethod
    def quick(cls) -> "Sizes":
        return cls(clients=50, phones=40, warmup=2)

    @classmethod
    def smoke(cls) -> "Sizes":
        return cls(clients=3, phones=2, batch=20, rounds=1, warmup=1, processes=1, threads=1, quiet_s=0.3,
                   settle_s=0.0)


# -- the clients ----------------------------------------------------------------------------------------


@dataclass
class _Client:
    index: int
    sock: socket.socket | None = None
    chunks: list[tuple[float, bytes]] = field(default_factory=list)
    head: bytes = b""
    ready: bool = False
    closed_at: float | None = None
    error: str | None = None


def _open(port: int, tickets: http.client.HTTPConnection, token: str, client: _Client) -> None:
    """Trade the coordinator's token for a ticket and open the stream with it, as the live map page does."""
    tickets.request("POST", TICKETS, b"", {"Authorization": f"Bearer {token}", "Content-Length": "0"})
    response = tickets.getresponse()
    body = response.read()
    if response.status != 201:
        client.error = f"ticket: {response.status} {body[:200]!r}"
        return
    ticket = json.loads(body)["ticket"]
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"GET {STREAM}?ticket={ticket}&branch={fleet.BRANCH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n".encode())
    sock.setblocking(False)
    client.sock = sock


def _read(selector: selectors.BaseSelector, client: _Client) -> int:
    """Read what one socket has; returns the bytes read (0 when it closed)."""
    try:
        data = client.sock.recv(262_144)
    except BlockingIOError:
        return -1
    except OSError as error:
        data, client.error = b"", repr(error)
    now = time.time()
    if not data:
        client.closed_at = now
        selector.unregister(client.sock)
        return 0
    client.chunks.append((now, data))
    if not client.ready:
        client.head += data
        client.ready = b"event: ready" in client.head
    return len(data)


def _readers(port: int, tokens: list[str], quiet_s: float, conn) -> None:
    """The clients' process: open every stream, say when all are ready, read until told to stop, report."""
    selector = selectors.DefaultSelector()
    clients = [_Client(i) for i in range(len(tokens))]
    tickets = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for client, token in zip(clients, tokens):
        try:
            _open(port, tickets, token, client)
        except (OSError, http.client.HTTPException) as error:
            client.error = f"open: {error!r}"
            tickets.close()
            tickets = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if client.sock is not None:
            selector.register(client.sock, selectors.EVENT_READ, client)
    tickets.close()
    selector.register(conn, selectors.EVENT_READ, None)
    announced = False
    draining_since: float | None = None
    last_data = time.monotonic()
    while True:
        timeout = 0.1 if draining_since is not None else 1.0
        for key, _ in selector.select(timeout):
            if key.data is None:
                command = conn.recv()
                if command == "drain":
                    draining_since = time.monotonic()
                continue
            if _read(selector, key.data) > 0:
                last_data = time.monotonic()
        if not announced and all(c.ready or c.sock is None or c.closed_at is not None for c in clients):
            conn.send(("ready", sum(c.ready for c in clients)))
            announced = True
        if draining_since is not None:
            now = time.monotonic()
            if now - last_data >= quiet_s or now - draining_since > DRAIN_LIMIT_S:
                break
    stopped = time.time()
    for client in clients:
        if client.sock is not None:
            client.sock.close()
    conn.send(("done", stopped, [_parse(c) for c in clients]))
    conn.close()


def _events(client: _Client):
    """The client's bytes as (read time, event name, data): HTTP head, chunked encoding and SSE undone."""
    buffer, body, status, chunked = b"", b"", None, False
    for at, data in client.chunks:
        buffer += data
        if status is None:
            head, sep, rest = buffer.partition(b"\r\n\r\n")
            if not sep:
                continue
            status = int(head.split(b" ", 2)[1])
            chunked = b"transfer-encoding: chunked" in head.lower()
            buffer = rest
            yield at, "status", status
        if chunked:
            while (line_end := buffer.find(b"\r\n")) >= 0:
                size = int(buffer[:line_end].split(b";")[0], 16)
                if len(buffer) < line_end + 2 + size + 2:
                    break
                body += buffer[line_end + 2:line_end + 2 + size]
                buffer = buffer[line_end + 4 + size:]
        else:
            body, buffer = body + buffer, b""
        while (end := body.find(b"\n\n")) >= 0:
            raw, body = body[:end].decode(), body[end + 2:]
            name, data = "message", []
            for line in raw.split("\n"):
                key, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if key == "event":
                    name = value
                elif key == "data":
                    data.append(value)
            if data:
                yield at, name, json.loads("\n".join(data))


def _parse(client: _Client) -> dict[str, Any]:
    """What one client received: event counts, every position (surveyor, fix time in ms, read time), changes."""
    counts: Counter = Counter()
    positions, changes, status, process = [], [], None, None
    for at, name, data in _events(client):
        if name == "status":
            status = data
            continue
        counts[name] += 1
        if name == "ready":
            process = data["process"]
        elif name == "positions":
            positions += [(p["surveyor_id"], _ms(p["fix_time"]), at) for p in data]
        elif name == "change":
            changes.append((data["topic"], _ms(data["at"]) / 1000, at))
    return {"index": client.index, "status": status, "process": process, "counts": dict(counts),
            "positions": positions, "changes": changes, "closed_at": client.closed_at, "error": client.error}


def _ms(instant: str | datetime) -> int:
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return round(instant.timestamp() * 1000)


class Readers:
    """The clients' process, driven from the benchmark: start (all streams ready), then drain and collect."""

    def __init__(self, port: int, tokens: list[str], quiet_s: float) -> None:
        context = mp.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_readers, args=(port, tokens, quiet_s, child), daemon=True)
        self.started = time.time()
        self.process.start()
        child.close()
        if not self.conn.poll(CONNECT_TIMEOUT_S):
            self.process.kill()
            raise RuntimeError(f"the {len(tokens)} streams were not all ready after {CONNECT_TIMEOUT_S:.0f} s")
        _, self.ready = self.conn.recv()
        self.connect_s = time.time() - self.started

    def cpu_s(self) -> float:
        return common.process_cpu_s(self.process.pid)

    def stop(self) -> tuple[float, list[dict[str, Any]]]:
        """Read until quiet, close every stream; (when reading stopped, each client's record)."""
        self.conn.send("drain")
        _, stopped, records = self.conn.recv()
        self.process.join(timeout=30)
        return stopped, records


# -- the server side ------------------------------------------------------------------------------------


def seed_coordinators(session, *, count: int, now: datetime) -> list[str]:
    """Coordinators of the fleet's branch, each with a bearer token (inserted in bulk, like the fleet)."""
    from field_api.accounts.models import Role

    _, tokens = fleet.users(session, role=Role.COORDINATOR, count=count, now=now)
    session.commit()
    return tokens


class _Worker:
    """`field-api worker` as its own process (clocks, and the outbox relayed to Redis), as deployed."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        with open(log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-c", "from field_api.cli import main; main(['worker'])"],
                                            cwd=common.REPO, env={**os.environ, **env}, stdout=out, stderr=out)

    def __enter__(self) -> "_Worker":
        return self

    def settle(self, limit_s: float) -> None:
        """Wait until the worker idles (started, and its first ticks of the seeded clocks done)."""
        deadline, before = time.monotonic() + limit_s, common.process_cpu_s(self.process.pid)
        while time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.5)
            now = common.process_cpu_s(self.process.pid)
            if now - before < 0.02:
                return
            before = now

    def __exit__(self, *exc) -> None:
        common.terminate(self.process)


def _latest_ms(t0: datetime, offset: int, batch: int, size: int) -> int:
    """The fix time of a batch's newest fix: the position its live event carries."""
    return _ms(t0 + timedelta(seconds=(offset + (batch + 1) * size - 1) * fleet.EVERY_S))


def _phase(port: int, master: int, people, t0, offset: int, sizes: Sizes, meters: dict[str, int]) -> dict[str, Any]:
    """One phase of ingestion; the other processes' CPU over it (the clients, the worker, Redis)."""
    answered: list = []
    before = {name: common.process_cpu_s(pid) for name, pid in meters.items()}
    stats = ingest_http._http(port, master, ingest_http.PATH, people, t0, sizes.batch, sizes.batches, offset, sizes,
                              answered=answered)
    cores = os.cpu_count() or 1
    for name, pid in meters.items():
        stats[f"{name}_cpu_share"] = (common.process_cpu_s(pid) - before[name]) / (stats["wall_s"] * cores)
    by_token = {s.token: s.user_id for s in people}
    stats["accepted_at"] = {(by_token[token], _latest_ms(t0, offset, batch, sizes.batch)): (sent, done)
                            for token, batch, sent, done in answered}
    stats["offset"] = offset
    return stats


def _combined(phases: list[dict[str, Any]]) -> dict[str, Any]:
    """Two phases as one: fixes/s over their wall time, percentiles over all their requests."""
    wall = sum(p["wall_s"] for p in phases)
    latencies = [done - sent for p in phases for sent, done in p["accepted_at"].values()]
    out = {"requests": sum(p["requests"] for p in phases), "accepted": sum(p["accepted"] for p in phases),
           "errors": sum(p["errors"] for p in phases), "wall_s": wall,
           "fixes_per_s": sum(p["accepted"] for p in phases) / wall,
           "p50_ms": common.percentile(latencies, 50) * 1000, "p99_ms": common.percentile(latencies, 99) * 1000}
    for key in phases[0]:
        if key.endswith("_cpu_share"):
            out[key] = sum(p[key] * p["wall_s"] for p in phases) / wall
    # CPU time the server side spent per 1,000 accepted fixes: steadier than fixes/s on a shared machine
    cores = os.cpu_count() or 1
    out["server_cpu_ms_per_1k"] = 1e6 * cores * sum(p["server_cpu_share"] * p["wall_s"] for p in phases) / max(
        out["accepted"], 1)
    out["redis_cpu_ms_per_1k"] = 1e6 * cores * sum(p["redis_cpu_share"] * p["wall_s"] for p in phases) / max(
        out["accepted"], 1)
    return out


def _delivery(cycles: list[tuple[list[dict[str, Any]], dict[tuple[int, int], tuple[float, float]]]],
              clients: int) -> dict[str, Any]:
    """Latency of every expected position at every client, and what each client missed or got twice.

    A cycle is the clients' records from one connection and the positions posted while they were connected.
    """
    from_answer, from_send, change_latency = [], [], []
    received: Counter = Counter({i: 0 for i in range(clients)})
    missed, duplicates, other = 0, 0, 0
    counts: Counter = Counter()
    records = [record for cycle, _ in cycles for record in cycle]
    for record, expected in ((record, expected) for cycle, expected in cycles for record in cycle):
        counts.update(record["counts"])
        seen: set[tuple[int, int]] = set()
        for surveyor_id, fix_ms, at in record["positions"]:
            key = (surveyor_id, fix_ms)
            if key not in expected:
                other += 1
                continue
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            sent, answered = expected[key]
            from_answer.append(at - answered)
            from_send.append(at - sent)
        received[record["index"]] += len(seen)
        missed += len(expected) - len(seen)
        change_latency += [at - created for _, created, at in record["changes"]]
    ms = 1000.0
    return {
        "clients": clients, "connections": len(cycles),
        "streams_open": min(sum(1 for r in cycle if r["status"] == 200) for cycle, _ in cycles),
        "streams_per_worker": [dict(Counter(str(r["process"]) for r in cycle)) for cycle, _ in cycles],
        "expected_per_client": sum(len(expected) for _, expected in cycles),
        "received_per_client_min": min(received.values(), default=0),
        "received_per_client_mean": sum(received.values()) / max(len(received), 1),
        "missed": missed, "duplicates": duplicates, "unexpected_positions": other,
        "events": dict(counts), "closed_early": sum(1 for r in records if r["closed_at"] is not None),
        "errors": [r["error"] for r in records if r["error"]][:5],
        "latency_from_answer_ms": {"p50": common.percentile(from_answer, 50) * ms,
                                   "p99": common.percentile(from_answer, 99) * ms,
                                   "max": max(from_answer, default=0.0) * ms,
                                   "min": min(from_answer, default=0.0) * ms, "samples": len(from_answer)},
        "latency_from_send_ms": {"p50": common.percentile(from_send, 50) * ms,
                                 "p99": common.percentile(from_send, 99) * ms,
                                 "max": max(from_send, default=0.0) * ms},
        "change_latency_ms": {"p50": common.percentile(change_latency, 50) * ms,
                              "p99": common.percentile(change_latency, 99) * ms, "samples": len(change_latency)},
    }


@contextmanager
def _stream_pool(env: dict[str, str], threads: int, log: Path, *, apart: bool, ingestion: tuple[int, int]):
    """Where the clients open their streams: the ingestion pool itself, or a gunicorn of its own (one worker)."""
    if not apart:
        yield ingestion
        return
    with common.gunicorn("wsgi:app", env, workers=1, threads=threads, log=log) as pool:
        yield pool


def run_database(kind: str, url: str, sizes: Sizes, workdir: Path, log: Path, *, apart: bool = False) -> dict[str, Any]:
    """Seed, serve as deployed, and run the four phases on one database (streams `apart` on their own pool)."""
    import redis

    from field_api.extensions import db
    from field_api.live.transport import relay_cursor_key

    app = ingest_http._prepare(url)
    now = datetime.now(timezone.utc)
    with app.app_context():
        started = time.perf_counter()
        the_fleet = fleet.seed(db.session, surveyors=sizes.phones + sizes.warmup, dispatches=sizes.phones, now=now)
        tokens = seed_coordinators(db.session, count=sizes.clients, now=now)
        seed_s = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    people, t0 = the_fleet.surveyors[:sizes.phones], the_fleet.t0
    warm = the_fleet.surveyors[sizes.phones:]
    channel = f"bench_field_api:live:{uuid.uuid4().hex[:12]}"
    env = {"FIELD_API_ENV": "production", "FIELD_API_DATABASE_URL": url, "FIELD_API_SECRET_KEY": ingest_http.SECRET,
           "FIELD_API_SEAL_KEY": SEAL, "FIELD_API_REDIS_URL": REDIS_URL, "FIELD_API_LIVE_CHANNEL": channel,
           "FIELD_API_MEDIA_ROOT": str(workdir / "media"), "FIELD_API_MAP_TILES": ""}
    client = redis.Redis.from_url(REDIS_URL)
    meters = {"redis": int(client.info("server")["process_id"])}
    out: dict[str, Any] = {"database": f"{kind}, streams apart" if apart else kind, "streams_apart": apart,
                           "phones": sizes.phones, "batch": sizes.batch,
                           "open_dispatches": sizes.phones,
                           "clients": sizes.clients, "seed_s": seed_s, "channel": channel}
    step = sizes.batch * sizes.batches
    phases: list[tuple[str, dict[str, Any]]] = []
    cycles: list = []
    out["connect_s"] = []
    threads = sizes.clients + 8  # every stream holds a thread; room for all on either worker, and for the phones
    try:
        with _Worker(env, log) as worker, \
                common.gunicorn("wsgi:app", env, threads=4 if apart else threads, log=log) as (port, master), \
                _stream_pool(env, threads, log, apart=apart, ingestion=(port, master)) as (stream_port, streams):
            meters["worker"] = worker.process.pid
            if apart:
                meters["streams"] = common.children(streams)[0]
            settling = time.perf_counter()
            worker.settle(sizes.settle_s)
            out["worker_settle_s"] = time.perf_counter() - settling
            out["gunicorn_threads"] = 4 if apart else threads
            ingest_http._http(port, master, ingest_http.PATH, warm, t0, 50, 1, 80_000, sizes)
            for round_ in range(sizes.rounds):
                first = 4 * round_ * step
                phases.append(("without", _phase(port, master, people, t0, first, sizes, meters)))
                readers = Readers(stream_port, tokens, sizes.quiet_s)
                out["connect_s"].append(readers.connect_s)
                meters["clients"] = readers.process.pid
                time.sleep(sizes.quiet_s)  # the burst of ticket and stream requests is over
                with_1 = _phase(port, master, people, t0, first + step, sizes, meters)
                with_2 = _phase(port, master, people, t0, first + 2 * step, sizes, meters)
                phases += [("with", with_1), ("with", with_2)]
                _, records = readers.stop()
                cycles.append((records, {**with_1["accepted_at"], **with_2["accepted_at"]}))
                del meters["clients"]
                # the closed streams notice on their next write: let them, before the next phase
                ingest_http._http(port, master, ingest_http.PATH, warm, t0, 50, 1, 80_000 + 50 * (round_ + 1), sizes)
                time.sleep(sizes.quiet_s)
                phases.append(("without", _phase(port, master, people, t0, first + 3 * step, sizes, meters)))
    finally:
        client.delete(relay_cursor_key(channel))
        client.close()
    out["delivery"] = _delivery(cycles, sizes.clients)
    for key in ("without", "with"):
        out[key] = _combined([p for kind, p in phases if kind == key])
    out["drop"] = 1 - out["with"]["fixes_per_s"] / max(out["without"]["fixes_per_s"], 1e-9)
    out["cpu_growth"] = out["with"]["server_cpu_ms_per_1k"] / max(out["without"]["server_cpu_ms_per_1k"], 1e-9) - 1
    for _, phase in phases:
        del phase["accepted_at"]
    out["phases"] = [{"clients": kind == "with", **phase} for kind, phase in phases]
    return out


def _share(p: dict[str, Any], name: str) -> str:
    return f"{p[name + '_cpu_share']:.1%}" if name + "_cpu_share" in p else "-"


def report(results: list[dict[str, Any]]) -> str:
    """Two tables: ingestion by phase with and without the clients, and delivery to the clients."""
    rows = []
    for r in results:
        for number, p in enumerate(r["phases"], 1):
            label = f"{number} {'with' if p['clients'] else 'without'} clients"
            cpu_per_1k = 1e6 * (os.cpu_count() or 1) * p["server_cpu_share"] * p["wall_s"] / max(p["accepted"], 1)
            rows.append([r["database"], label, round(p["fixes_per_s"]), round(p["p50_ms"]), round(p["p99_ms"]),
                         p["errors"], f"{p['server_cpu_share']:.0%}", round(cpu_per_1k), _share(p, "generator"),
                         _share(p, "clients"), _share(p, "streams"), _share(p, "worker"), _share(p, "redis"), "-"])
        for key in ("without", "with"):
            p = r[key]
            versus = f"{-r['drop']:+.1%} fixes/s, {r['cpu_growth']:+.1%} CPU/fix" if key == "with" else "-"
            rows.append([r["database"], f"{key} clients (all)", round(p["fixes_per_s"]), round(p["p50_ms"]),
                         round(p["p99_ms"]), p["errors"], f"{p['server_cpu_share']:.0%}",
                         round(p["server_cpu_ms_per_1k"]), _share(p, "generator"), _share(p, "clients"),
                         _share(p, "streams"), _share(p, "worker"), _share(p, "redis"), versus])
    first = results[0]
    ingestion = common.table(
        f"Ingestion with and without {first['clients']} SSE clients (gunicorn 2 workers, Redis, "
        f"{first['phones']} phones x {first['batch']}-fix batches a phase)",
        ["db", "phase", "fixes/s", "p50 ms", "p99 ms", "errors", "server CPU", "server CPU ms/1k fixes",
         "generator CPU", "clients CPU", "stream pool CPU", "worker CPU", "redis CPU", "with vs without"], rows)
    rows = []
    for r in results:
        d = r["delivery"]
        a, s = d["latency_from_answer_ms"], d["latency_from_send_ms"]
        split = ", ".join("/".join(str(n) for n in sorted(c.values(), reverse=True)) for c in d["streams_per_worker"])
        rows.append([r["database"], f"{d['streams_open']}/{d['clients']}", split, d["expected_per_client"],
                     d["received_per_client_min"], d["missed"], d["duplicates"], d["events"].get("resync", 0),
                     round(a["p50"]), round(a["p99"]), round(a["max"]), round(s["p99"]), a["samples"],
                     round(d["events"].get("change", 0) / max(d["clients"], 1)),
                     round(d["change_latency_ms"]["p99"])])
    delivery = common.table(
        "Delivery to the clients: from the batch's 200 answer to the positions event read",
        ["db", "streams", "per worker", "expected/client", "min received", "missed", "dupes", "resyncs",
         "p50 ms", "p99 ms", "max ms", "p99 from send ms", "samples", "changes/client", "change p99 ms"], rows)
    return ingestion + "\n\n" + delivery


def main(*, quick: bool = False, smoke: bool = False, postgres_url: str | None = None,
         workdir: str | None = None) -> dict[str, Any] | None:
    """Run on PostgreSQL (when a URL is given) and SQLite; print and write the results."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        print(f"skipped: the live stream across workers needs Redis ({REDIS_URL}: {error}); "
              "set FIELD_API_BENCH_REDIS_URL")
        return None
    sizes = Sizes.smoke() if smoke else Sizes.quick() if quick else Sizes()
    work = Path(workdir or tempfile.mkdtemp(prefix="field-api-bench-"))
    log = work / "server.log"
    results = []
    databases = ([("postgresql", postgres_url)] if postgres_url else []) + [("sqlite", None)]
    for kind, url in databases:
        for apart in (False, True):
            results.append(run_database(kind, url or f"sqlite:///{work / f'bench-{apart}.sqlite3'}", sizes, work, log,
                                        apart=apart))
    print(report(results))
    result = {"sizes": sizes.__dict__, "redis": REDIS_URL, "results": results, "server_log": str(log)}
    path = common.write_result("stream_fanout" + ("_quick" if quick or smoke else ""), result)
    print(f"  written to {common.shown(path)}")
    return result
