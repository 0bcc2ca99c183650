"""Fixes, duty and devices through the API, as a surveyor's phone sends them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# Futian, Shenzhen, in WGS-84 (what a phone's GPS reports).
FUTIAN = (22.5431, 114.0579)
METRES_PER_DEGREE_LAT = 111_195.0


def iso(instant: datetime) -> str:
    """An instant as the phone sends it."""
    return instant.astimezone(timezone.utc).isoformat()


class TrackingFactory:
    """Builds fixes relative to the test clock and posts them for signed-in surveyors."""

    def __init__(self, client, clock) -> None:
        self.client = client
        self.clock = clock

    def at(self, **delta: float) -> datetime:
        """The test clock's now, moved by a timedelta's keywords."""
        return self.clock.now() + timedelta(**delta)

    def fix(self, at: datetime, lat: float = FUTIAN[0], lon: float = FUTIAN[1], accuracy: float = 8.0,
            **extra) -> dict:
        """One fix as our app sends it."""
        return {"device_time": iso(at), "lat": lat, "lon": lon, "accuracy": accuracy, **extra}

    def drive(self, start: datetime, count: int, *, every_s: float = 10.0, speed_mps: float = 10.0,
              origin: tuple[float, float] = FUTIAN, **extra) -> list[dict]:
        """A surveyor driving north at a steady speed, one fix every few seconds."""
        step = speed_mps * every_s / METRES_PER_DEGREE_LAT
        return [self.fix(start + timedelta(seconds=i * every_s), origin[0] + i * step, origin[1], **extra)
                for i in range(count)]

    def sign_in_again(self, signed, password: str = "correct horse") -> None:
        """Give a signed-in user a fresh token (after the test clock outran the old one)."""
        response = self.client.post("/api/v1/auth/token", json={"username": signed.user.username,
                                                                 "password": password})
        assert response.status_code == 201, response.json
        signed.token = response.json["access_token"]

    def duty(self, signed, on: bool, at: datetime | None = None):
        """Go on or off duty through the API."""
        response = self.client.put("/api/v1/me/duty", headers=signed.headers,
                                   json={"on_duty": on, "device_time": iso(at or self.clock.now())})
        assert response.status_code == 200, response.json
        return response

    def post(self, signed, fixes, **body):
        """Post a batch of fixes through the API."""
        return self.client.post("/api/v1/positions", headers=signed.headers, json={"fixes": fixes, **body})

    def device(self, signed, protocol: str = "osmand", name: str | None = None, **body) -> tuple[int, str]:
        """Register a device through the API; return its id and token."""
        response = self.client.post("/api/v1/devices", headers=signed.headers,
                                    json={"name": name or f"{protocol} phone", "protocol": protocol, **body})
        assert response.status_code == 201, response.json
        return response.json["id"], response.json["token"]
