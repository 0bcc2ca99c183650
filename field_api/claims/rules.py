"""The settings claim forms run by, read once per request from the app's configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ClaimRules:
    """Where files go, their limits, the photo checks, the seal key and the receipt's numbers."""

    media_root: str
    max_bytes: int
    max_pixels: int
    site_radius_m: float
    before_dispatch_h: float
    seal_key: str
    enquiry_phone: str
    centre_authority: Decimal

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> ClaimRules:
        """Read the rules from the app's configuration."""
        return cls(media_root=config["MEDIA_ROOT"], max_bytes=int(config["PHOTO_MAX_BYTES"]),
                   max_pixels=int(config["IMAGE_MAX_PIXELS"]), site_radius_m=float(config["PHOTO_SITE_RADIUS_M"]),
                   before_dispatch_h=float(config["PHOTO_BEFORE_DISPATCH_H"]), seal_key=str(config["SEAL_KEY"]),
                   enquiry_phone=str(config["CLAIMS_ENQUIRY_PHONE"]),
                   centre_authority=Decimal(str(config["PROPERTY_CENTRE_AUTHORITY_CNY"])))
