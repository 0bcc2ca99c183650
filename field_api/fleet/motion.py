"""How a virtual surveyor moves: straight to the site, with speed changes, stops, GPS jitter and a draining battery.

No road data: a straight line at city speeds is enough for the live map and for load. Pure and seeded,
so a run is repeatable.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime

from geo.distance import haversine_m

METRES_PER_DEGREE = 111_195.0
ACCELERATION_MPS2 = 2.0
BRAKING_MPS2 = 3.5
STOPS_PER_S = 1 / 90  # a red light or a jam about every minute and a half
SPEED_CHANGES_PER_S = 1 / 30
BATTERY_PER_S = 0.5 / (10 * 3600)  # half a charge over a ten-hour shift


@dataclass
class Trip:
    """A straight drive from where the surveyor was to a site."""

    from_lat: float
    from_lon: float
    to_lat: float
    to_lon: float
    length_m: float
    travelled_m: float = 0.0


class VirtualSurveyor:
    """A phone in a car: moves second by second and reports fixes as a phone's GPS would."""

    def __init__(self, *, rng: random.Random, lat: float, lon: float, cruise_kmh: float) -> None:
        self.rng = rng
        self.lat, self.lon = lat, lon
        self.cruise_mps = cruise_kmh / 3.6
        self.target_mps = self.cruise_mps
        self.speed_mps = 0.0
        self.heading_deg = 0.0
        self.stopped_s = 0.0
        self.battery = rng.uniform(0.55, 1.0)
        self.trip: Trip | None = None

    def drive_to(self, lat: float, lon: float) -> None:
        """Set off towards a site."""
        self.trip = Trip(self.lat, self.lon, lat, lon, max(haversine_m(self.lat, self.lon, lat, lon), 1.0))
        self.heading_deg = math.degrees(math.atan2((lon - self.lon) * math.cos(math.radians(self.lat)),
                                                   lat - self.lat)) % 360

    @property
    def arrived(self) -> bool:
        """Whether the surveyor has reached the site of the current trip."""
        return self.trip is not None and self.trip.travelled_m >= self.trip.length_m

    def advance(self, seconds: float) -> None:
        """Move on by up to a second: brake for stops, change speed now and then, follow the straight line."""
        self.battery = max(0.05, self.battery - BATTERY_PER_S * seconds)
        if self.trip is None or self.arrived:
            self.speed_mps = 0.0
            return
        if self.stopped_s > 0:
            self.stopped_s -= seconds
            self.speed_mps = max(0.0, self.speed_mps - BRAKING_MPS2 * seconds)
        else:
            if self.rng.random() < STOPS_PER_S * seconds:
                self.stopped_s = self.rng.uniform(10, 45)
            if self.rng.random() < SPEED_CHANGES_PER_S * seconds:
                self.target_mps = self.cruise_mps * self.rng.uniform(0.5, 1.25)
            if self.speed_mps < self.target_mps:
                self.speed_mps = min(self.target_mps, self.speed_mps + ACCELERATION_MPS2 * seconds)
            else:
                self.speed_mps = max(self.target_mps, self.speed_mps - BRAKING_MPS2 * seconds)
        trip = self.trip
        trip.travelled_m = min(trip.length_m, trip.travelled_m + self.speed_mps * seconds)
        share = trip.travelled_m / trip.length_m
        self.lat = trip.from_lat + (trip.to_lat - trip.from_lat) * share
        self.lon = trip.from_lon + (trip.to_lon - trip.from_lon) * share

    def fix(self, at: datetime) -> dict:
        """A fix as the phone reports it (WGS-84): the true position off by a jitter that matches its accuracy."""
        accuracy = self.rng.uniform(4, 15) if self.rng.random() < 0.9 else self.rng.uniform(20, 60)
        north, east = self.rng.gauss(0, accuracy / 2), self.rng.gauss(0, accuracy / 2)
        return {"device_time": at.isoformat(), "accuracy": round(accuracy, 1),
                "lat": round(self.lat + north / METRES_PER_DEGREE, 7),
                "lon": round(self.lon + east / (METRES_PER_DEGREE * math.cos(math.radians(self.lat))), 7),
                "speed": round(self.speed_mps, 2), "heading": round(self.heading_deg, 1),
                "battery": round(self.battery, 3), "provider": "gps"}


def point_near(rng: random.Random, lat: float, lon: float, min_m: float, max_m: float) -> tuple[float, float]:
    """A random point between two distances from a centre."""
    distance = rng.uniform(min_m, max_m)
    bearing = rng.uniform(0, 2 * math.pi)
    return (lat + distance * math.cos(bearing) / METRES_PER_DEGREE,
            lon + distance * math.sin(bearing) / (METRES_PER_DEGREE * math.cos(math.radians(lat))))
