"""A simulation run: sign in the virtual surveyors, send each to a site, and post their fixes as phones do.

Everything goes through the HTTP API of a server on this machine: users are created by a manager,
reports and dispatches by a coordinator, and each surveyor's phone goes on duty, posts a batch of
fixes every few seconds (each taken a second or so apart), calls the customer, checks in on
arrival, completes the survey after a while on site and is sent to the next report.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import shapely.geometry
from shapely.prepared import prep

from field_api.fleet.api import Api, ApiError
from field_api.fleet.motion import VirtualSurveyor, point_near

PASSWORD_SUFFIX = "-sim"  # simulated accounts only ever live on a local demo or benchmark server
CONTACT_AFTER_S = (30, 150)
ON_SITE_S = (60, 240)
FIRST_POST_SPREAD = 1.0  # phones do not all post at the same instant
SIGN_IN_CONCURRENCY = 4


@dataclass(frozen=True)
class Settings:
    """What to simulate, against which server, for how long."""

    url: str
    branch: str
    surveyors: int
    speed_kmh: float
    duration_s: float = 120.0
    max_batches: int | None = None
    interval_s: float = 5.0
    fix_every_s: float = 1.0
    manager: str = "sz.manager"
    manager_password: str = "sz.manager-demo"
    center: tuple[float, float] = (22.5431, 114.0579)
    concurrency: int = 16
    seed: int | None = None


@dataclass
class Progress:
    """What the run has done so far."""

    started: float = field(default_factory=time.monotonic)
    on_duty: int = 0
    batches: int = 0
    fixes: int = 0
    accepted: int = 0
    dispatches: int = 0
    arrivals: int = 0
    completed: int = 0
    errors: int = 0
    last_error: str = ""

    def line(self) -> str:
        """One line for the terminal."""
        elapsed = time.monotonic() - self.started
        rate = self.batches / elapsed if elapsed > 0 else 0.0
        text = (f"{elapsed:6.0f}s  on duty {self.on_duty}  batches {self.batches} ({rate:.1f}/s)  "
                f"fixes {self.fixes} (stored {self.accepted})  dispatches {self.dispatches}  "
                f"arrivals {self.arrivals}  completed {self.completed}  errors {self.errors}")
        return text + (f"  last error: {self.last_error}" if self.last_error else "")


def password_of(username: str) -> str:
    """A simulated account's password."""
    return username + PASSWORD_SUFFIX


class Area:
    """Where sites are: inside the branch's zones, or a disc around a centre when it has none."""

    def __init__(self, rng: random.Random, zones: dict | None, center: tuple[float, float]) -> None:
        self.rng, self.center = rng, center
        self.shape = None
        if zones and zones.get("features"):
            self.shape = shapely.geometry.shape({"type": "GeometryCollection", "geometries": [
                f["geometry"] for f in zones["features"]]}).buffer(0)
            self._inside = prep(self.shape)

    def contains(self, lat: float, lon: float) -> bool:
        return self.shape is None or self._inside.contains(shapely.geometry.Point(lon, lat))

    def site(self) -> tuple[float, float]:
        """A random site in the area."""
        if self.shape is None:
            return point_near(self.rng, *self.center, 0, 10_000)
        min_lon, min_lat, max_lon, max_lat = self.shape.bounds
        for _ in range(1000):
            lat, lon = self.rng.uniform(min_lat, max_lat), self.rng.uniform(min_lon, max_lon)
            if self.contains(lat, lon):
                return lat, lon
        return self.center

    def start_near(self, lat: float, lon: float) -> tuple[float, float]:
        """Where a surveyor starts: a few kilometres from the site, on land if the zones say where land is."""
        for _ in range(50):
            point = point_near(self.rng, lat, lon, 2_000, 8_000)
            if self.contains(*point):
                return point
        return point_near(self.rng, lat, lon, 500, 2_000)


@dataclass
class Phone:
    """One virtual surveyor's phone and where it stands in its job."""

    username: str
    user_id: int
    token: str
    car: VirtualSurveyor
    last_step: float
    dispatch_id: int | None = None
    site: tuple[float, float] | None = None
    contact_due: float | None = None
    leave_at: float | None = None
    fixes: list[dict] = field(default_factory=list)


class Simulation:
    """One run of the fleet simulator."""

    def __init__(self, settings: Settings, *, report: Callable[[Progress], None] = lambda progress: None) -> None:
        self.settings = settings
        self.api = Api(settings.url)
        self.rng = random.Random(settings.seed)
        self.report = report
        self.progress = Progress()
        self.run_id = uuid.uuid4().hex[:6]
        self._lock = threading.Lock()
        self._cases = 0
        self.offset = timedelta(0)
        self.desk_token = ""
        self.area: Area | None = None

    # --- setting up --------------------------------------------------------------------------

    def _sign_in(self, username: str, password: str) -> dict:
        return self.api.call("POST", "/api/v1/auth/token", {"username": username, "password": password})

    def _ensure_user(self, manager_token: str, username: str, role: str, name: str) -> dict:
        try:
            self.api.call("POST", "/api/v1/users", {"username": username, "password": password_of(username),
                                                    "role": role, "branch_code": self.settings.branch,
                                                    "display_name": name}, manager_token)
        except ApiError as error:
            if error.status != 409:
                raise
        return self._sign_in(username, password_of(username))

    def server_now(self) -> datetime:
        """The server's time, as learned when the run started (phones keep decent time)."""
        return datetime.now(timezone.utc) + self.offset

    def set_up(self) -> list[Phone]:
        """Accounts, duty, the area and each phone's first (or still open) dispatch."""
        settings = self.settings
        manager = self._sign_in(settings.manager, settings.manager_password)["access_token"]
        prefix = f"sim.{settings.branch.lower()}"
        self.desk_token = self._ensure_user(manager, f"{prefix}.desk", "coordinator",
                                            "Simulated coordinator")["access_token"]
        snapshot = self.api.call("GET", f"/api/v1/live/map?branch={settings.branch}", token=self.desk_token)
        self.offset = datetime.fromisoformat(snapshot["generated_at"]) - datetime.now(timezone.utc)
        try:
            zones = self.api.call("GET", f"/api/v1/zones/{settings.branch}?crs=wgs84", token=self.desk_token)
        except ApiError:
            zones = None
        self.area = Area(self.rng, zones, settings.center)
        names = [f"{prefix}.{i:04d}" for i in range(1, settings.surveyors + 1)]
        # Sign-ins hash passwords on purpose slowly: a few at a time, or SQLite's writers queue too long.
        with ThreadPoolExecutor(max_workers=min(SIGN_IN_CONCURRENCY, settings.concurrency)) as signing:
            starting = [signing.submit(self._start_phone, manager, name, self.rng.random()) for name in names]
            while not all(future.done() for future in starting):
                self.report(self.progress)
                time.sleep(0.5)
        return [future.result() for future in starting]

    def _start_phone(self, manager_token: str, username: str, seed: float) -> Phone:
        number = username.rsplit(".", 1)[-1]
        answer = self._ensure_user(manager_token, username, "surveyor", f"Simulated surveyor {number}")
        token, user_id = answer["access_token"], answer["user"]["id"]
        self.api.call("PUT", "/api/v1/me/duty", {"on_duty": True, "device_time": self.server_now().isoformat()},
                      token)
        rng = random.Random(seed)
        open_ = self.api.call("GET", f"/api/v1/dispatches?surveyor_id={user_id}&state=open&crs=wgs84",
                              token=self.desk_token)
        with self._lock:
            site = self.area.site() if not open_ else (open_[0]["site"]["lat"], open_[0]["site"]["lon"])
            start = self.area.start_near(*site)
        car = VirtualSurveyor(rng=rng, lat=start[0], lon=start[1],
                              cruise_kmh=self.settings.speed_kmh * rng.uniform(0.8, 1.2))
        phone = Phone(username=username, user_id=user_id, token=token, car=car, last_step=time.monotonic())
        if open_:
            phone.dispatch_id, phone.site = open_[0]["id"], site
            phone.contact_due = None if open_[0]["contacted_at"] else time.monotonic() + rng.uniform(*CONTACT_AFTER_S)
            car.drive_to(*site)
        else:
            self._dispatch(phone, site)
        with self._lock:
            self.progress.on_duty += 1
        return phone

    def _dispatch(self, phone: Phone, site: tuple[float, float] | None = None) -> None:
        """A coordinator takes a new report near the area and sends this surveyor to it."""
        with self._lock:
            self._cases += 1
            number = f"SIM-{self.run_id}-{self._cases:05d}"
            site = site or self.area.site()
        case = self.api.call("POST", "/api/v1/cases", {
            "report_number": number, "reported_at": self.server_now().isoformat(), "line": "motor", "on_site": True,
            "location": {"lat": site[0], "lon": site[1], "crs": "wgs84"}, "customer_name": "Simulated customer",
            "plate_number": f"粤B{phone.car.rng.randrange(10000, 99999)}", "branch_code": self.settings.branch},
            self.desk_token)
        dispatch = self.api.call("POST", "/api/v1/dispatches", {"case_id": case["id"], "surveyor_id": phone.user_id},
                                 self.desk_token)
        phone.dispatch_id, phone.site, phone.leave_at = dispatch["id"], site, None
        phone.contact_due = time.monotonic() + phone.car.rng.uniform(*CONTACT_AFTER_S)
        phone.car.drive_to(*site)
        with self._lock:
            self.progress.dispatches += 1

    # --- running -----------------------------------------------------------------------------

    def _event(self, phone: Phone, kind: str, **body: Any) -> None:
        self.api.call("POST", f"/api/v1/dispatches/{phone.dispatch_id}/events",
                      {"kind": kind, "device_time": self.server_now().isoformat(), "event_id": str(uuid.uuid4()),
                       **body}, phone.token)

    def _drive(self, phone: Phone) -> None:
        """Move the car up to now, a fix every few seconds, and post them as one batch."""
        now = time.monotonic()
        elapsed = now - phone.last_step
        phone.last_step = now
        steps = max(1, round(elapsed / self.settings.fix_every_s))
        for step in range(steps):
            phone.car.advance(elapsed / steps)
            at = self.server_now() - timedelta(seconds=elapsed * (steps - step - 1) / steps)
            phone.fixes.append(phone.car.fix(at))
        batch, phone.fixes = phone.fixes, []
        result = self.api.call("POST", "/api/v1/positions", {"fixes": batch, "crs": "wgs84"}, phone.token)
        with self._lock:
            self.progress.batches += 1
            self.progress.fixes += len(batch)
            self.progress.accepted += result["accepted"]

    def _work(self, phone: Phone) -> None:
        """One turn of a phone: post its fixes, then whatever the job calls for."""
        self._drive(phone)
        now = time.monotonic()
        if phone.contact_due is not None and now >= phone.contact_due:
            self._event(phone, "contacted")
            phone.contact_due = None
        if phone.leave_at is None and phone.car.arrived:
            lat, lon = phone.site
            self._event(phone, "arrived", fix={"lat": lat, "lon": lon, "crs": "wgs84", "accuracy": 8})
            phone.leave_at = now + phone.car.rng.uniform(*ON_SITE_S)
            with self._lock:
                self.progress.arrivals += 1
        elif phone.leave_at is not None and now >= phone.leave_at:
            if phone.contact_due is not None:
                self._event(phone, "contacted")
                phone.contact_due = None
            self._event(phone, "completed", note="Simulated survey done.")
            with self._lock:
                self.progress.completed += 1
            self._dispatch(phone)

    def _turn(self, phone: Phone) -> None:
        try:
            self._work(phone)
        except (ApiError, OSError) as error:
            with self._lock:
                self.progress.errors += 1
                self.progress.last_error = f"{phone.username}: {error}"

    def run(self, stop: Callable[[], bool] = lambda: False) -> Progress:
        """Set up, then post until the duration or the batch count is reached (or `stop` says so)."""
        settings = self.settings
        with ThreadPoolExecutor(max_workers=settings.concurrency) as pool:
            phones = self.set_up()
            self.progress.started = time.monotonic()
            deadline = self.progress.started + settings.duration_s
            due = [(self.progress.started + self.rng.uniform(0, settings.interval_s * FIRST_POST_SPREAD), i)
                   for i in range(len(phones))]
            heapq.heapify(due)
            busy: dict[int, Future] = {}
            last_report = 0.0
            while not stop():
                now = time.monotonic()
                for index, future in list(busy.items()):
                    if future.done():
                        del busy[index]
                        heapq.heappush(due, (now + settings.interval_s * self.rng.uniform(0.8, 1.2), index))
                if now >= deadline or (settings.max_batches is not None
                                       and self.progress.batches + len(busy) >= settings.max_batches):
                    break
                while due and due[0][0] <= now and (settings.max_batches is None
                                                     or self.progress.batches + len(busy) < settings.max_batches):
                    _, index = heapq.heappop(due)
                    busy[index] = pool.submit(self._turn, phones[index])
                if now - last_report >= 1.0:
                    self.report(self.progress)
                    last_report = now
                time.sleep(0.02)
        self.report(self.progress)
        return self.progress
