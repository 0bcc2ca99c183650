"""Photo uploads (item 7): 12-megapixel phone JPEGs posted to the claim-form attachment endpoint by 50 clients.

Photos as phones make them: 4000x3000 JPEGs of 3-5 MB (a gradient with sensor-like noise, so they do not
compress away) with EXIF (camera, capture time with offset, GPS). A few distinct pictures are encoded once;
each upload gets a unique comment segment so every upload is new bytes (hashed, stored, and given its own
attachment row) while the client stays light. Each client is a surveyor posting `scene` photos of a form
the phone has not sent yet (the attachment is stored ahead of its form), one request in flight per client,
over keep-alive connections, to gunicorn with 2 workers.

Baseline in the same run: the raw disk write rate of the same bytes (each photo written to a file in the
media folder's file system and fsynced, as the store does), by one writer and by as many as the server has
threads.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench import common

WIDTH, HEIGHT = 4000, 3000
BOUNDARY = "----field-api-bench-boundary"
WORKERS, THREADS = 2, 4


def photo(seed: int, width: int = WIDTH, height: int = HEIGHT, quality: int = 90) -> bytes:
    """A phone-like JPEG: smooth scene plus sensor noise, with EXIF time and GPS."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([(x / width) * 180 + 40 * np.sin(y / (37 + seed)), (y / height) * 160 + 30 * np.cos(x / 53),
                     90 + 60 * np.sin((x + y) / (211 + seed))], axis=-1)
    noise = rng.normal(0, 9, size=(height, width, 3)).astype(np.float32)
    pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
    image = Image.fromarray(pixels, "RGB")
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0132] = "Huawei", "P60", "2026:07:01 10:00:00"
    exif.get_ifd(0x8769).update({0x9003: "2026:07:01 10:00:00", 0x9011: "+08:00"})
    exif.get_ifd(0x8825).update({1: "N", 2: (22.0, 33.0, 0.0), 3: "E", 4: (114.0, 3.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, exif=exif.tobytes())
    return out.getvalue()


def unique(jpeg: bytes, n: int) -> bytes:
    """The same picture as other bytes: a JPEG comment segment right after the start-of-image marker."""
    text = f"bench upload {n}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(text) + 2).to_bytes(2, "big") + text + jpeg[2:]


def multipart(jpeg: bytes) -> bytes:
    """The request body: kind, device time and the file."""
    def field(name: str, value: str) -> bytes:
        return (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()

    return (field("kind", "scene") + field("device_time", "2026-07-01T02:00:00Z")
            + f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_0001.jpg\"\r\n"
              "Content-Type: image/jpeg\r\n\r\n".encode() + jpeg + f"\r\n--{BOUNDARY}--\r\n".encode())


def disk_baseline(photos: list[bytes], directory: Path, writers: int) -> dict[str, float]:
    """Write (and fsync) every photo to its own file, with `writers` threads; photos/s and MB/s."""
    directory.mkdir(parents=True, exist_ok=True)

    def write(pair: tuple[int, bytes]) -> None:
        path = directory / f"raw-{writers}-{pair[0]}"
        with open(path, "wb") as out:
            out.write(pair[1])
            out.flush()
            os.fsync(out.fileno())

    started = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, enumerate(photos)))
    wall = time.perf_counter() - started
    for path in directory.glob(f"raw-{writers}-*"):
        path.unlink()
    return {"photos_per_s": len(photos) / wall, "mb_per_s": sum(map(len, photos)) / wall / 1e6, "wall_s": wall}


def _client(port: int, token: str, bodies: list[bytes], out: dict[str, Any], lock: threading.Lock) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    latencies, statuses, errors = [], {}, []
    for body in bodies:
        headers = {"Authorization": f"Bearer {token}",
                   "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        started = time.perf_counter()
        try:
            connection.request("POST", f"/api/v1/claim-forms/{uuid.uuid4()}/attachments", body, headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as error:
            statuses["connection-error"] = statuses.get("connection-error", 0) + 1
            errors.append(repr(error))
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
            continue
        latencies.append(time.perf_counter() - started)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.status != 201:
            errors.append(f"{response.status}: {payload[:300]!r}")
    with lock:
        out["latencies"] += latencies
        for status, count in statuses.items():
            out["statuses"][status] = out["statuses"].get(status, 0) + count
        out["errors"] += errors[:3]


def main(quick: bool = False, smoke: bool = False, postgres_url: str | None = None) -> dict[str, Any]:
    """Post the photos through gunicorn (SQLite, and PostgreSQL when given); print and write the results."""
    from bench import fleet, ingest_http
    from field_api.extensions import db

    clients, per_client, distinct = (4, 1, 2) if smoke else (50, 2, 4) if quick else (50, 4, 6)
    size = (800, 600) if smoke else (WIDTH, HEIGHT)
    started = time.perf_counter()
    pictures = [photo(seed, *size) for seed in range(distinct)]
    uploads = [unique(pictures[n % distinct], n) for n in range(clients * per_client)]
    bodies = [multipart(u) for u in uploads]
    made_s = time.perf_counter() - started
    workdir = Path(tempfile.mkdtemp(prefix="field-api-bench-"))
    media = workdir / "media"
    baseline_one = disk_baseline(uploads, media / "baseline", 1)
    baseline_many = disk_baseline(uploads, media / "baseline", WORKERS * THREADS)
    urls = [f"sqlite:///{workdir / 'photos.sqlite3'}"] + ([postgres_url] if postgres_url else [])
    results = []
    for url in urls:
        app = ingest_http._prepare(url)
        with app.app_context():
            the_fleet = fleet.seed(db.session, surveyors=clients, dispatches=0, now=datetime.now(timezone.utc))
            db.session.remove()
            db.engine.dispose()
        tokens = [s.token for s in the_fleet.surveyors]
        env = {"FIELD_API_DATABASE_URL": url, "FIELD_API_SECRET_KEY": ingest_http.SECRET,
               "FIELD_API_MEDIA_ROOT": str(media / url.split(":", 1)[0]), "FIELD_API_RATELIMIT_ENABLED": "false"}
        load_before = list(os.getloadavg())
        with common.gunicorn("wsgi:app", env, workers=WORKERS, threads=THREADS,
                             log=workdir / "gunicorn.log") as (port, master):
            workers = common.children(master)
            cpu_before = sum(common.process_cpu_s(p) for p in workers)
            generator_before = time.process_time()
            out: dict[str, Any] = {"latencies": [], "statuses": {}, "errors": []}
            lock = threading.Lock()
            threads = [threading.Thread(target=_client, args=(port, tokens[i], bodies[i::clients], out, lock))
                       for i in range(clients)]
            wall_started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - wall_started
            server_cpu = sum(common.process_cpu_s(p) for p in workers) - cpu_before
            generator_cpu = time.process_time() - generator_before
            rss = [common.peak_rss_mb(p) for p in workers]
        stored = out["statuses"].get(201, 0)
        results.append({
            "database": url.split(":", 1)[0], "clients": clients, "uploads": len(bodies), "stored": stored,
            "errors": len(bodies) - stored, "error_samples": out["errors"][:5], "statuses": out["statuses"],
            "wall_s": wall, "photos_per_s": stored / wall, "mb_per_s": sum(map(len, uploads)) / wall / 1e6,
            "p50_ms": statistics.median(out["latencies"]) * 1000 if out["latencies"] else 0.0,
            "p99_ms": common.percentile(out["latencies"], 99) * 1000,
            "worker_peak_rss_mb": rss, "server_cpu_share": server_cpu / (wall * (os.cpu_count() or 1)),
            "server_cpu_s_per_photo": server_cpu / max(stored, 1),
            "generator_cpu_share": generator_cpu / (wall * (os.cpu_count() or 1)),
            "load_average_before": load_before, "load_average_after": list(os.getloadavg())})
    sizes_mb = [len(u) / 1e6 for u in uploads]
    rows = [["raw disk write + fsync, 1 writer", "-", round(baseline_one["photos_per_s"], 1),
             round(baseline_one["mb_per_s"], 1), "-", "-", "-", "-", 1.0],
            [f"raw disk write + fsync, {WORKERS * THREADS} writers", "-", round(baseline_many["photos_per_s"], 1),
             round(baseline_many["mb_per_s"], 1), "-", "-", "-", "-",
             baseline_many["photos_per_s"] / baseline_one["photos_per_s"]]]
    for r in results:
        rows.append([f"POST attachments ({r['database']})", r["errors"], round(r["photos_per_s"], 2),
                     round(r["mb_per_s"], 1), round(r["p50_ms"]), round(r["p99_ms"]),
                     " / ".join(f"{m:.0f}" for m in r["worker_peak_rss_mb"]),
                     f"{r['server_cpu_s_per_photo']:.2f}", r["photos_per_s"] / baseline_one["photos_per_s"]])
    print(f"photos: {len(uploads)} uploads of {min(sizes_mb):.1f}-{max(sizes_mb):.1f} MB "
          f"({size[0]}x{size[1]}, {distinct} distinct pictures, made in {made_s:.0f} s), {clients} clients")
    print(common.table("Photo uploads vs the raw disk write of the same bytes",
                       ["scenario", "errors", "photos/s", "MB/s", "p50 ms", "p99 ms", "worker peak RSS MB",
                        "worker CPU s/photo", "vs raw (1 writer)"], rows))
    result = {"photo_mb": [min(sizes_mb), max(sizes_mb)], "size": size, "baseline_one_writer": baseline_one,
              "baseline_many_writers": baseline_many, "results": results}
    path = common.write_result("photo_upload" + ("_quick" if quick or smoke else ""), result)
    print(f"  written to {common.shown(path)}")
    return result
