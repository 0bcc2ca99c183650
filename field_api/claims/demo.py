"""Demo claim forms: a complete, sealed one for DEMO-0001 and an incomplete transfer claim for DEMO-0002."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from field_api.access import actor_for
from field_api.accounts.models import User
from field_api.claims import attachments, seals, service
from field_api.claims.models import AttachmentKind, ClaimForm
from field_api.claims.rules import ClaimRules
from field_api.dispatch.models import Case, Dispatch
from geo.datum import Datum

NAMESPACE = uuid.UUID("0c1a1f0e-7d2b-4c55-9a8e-3c1a1f0e7d2b")

# key, surveyor, report, insured (kind, name), payment, amount, account, files (kind, colour), seal
FORMS = [
    ("complete", "ft.surveyor1", "DEMO-0001", ("person", "陈莉 Chen Li"), "other", "8000",
     "在福田区市民中心路口等红灯时被后车追尾,后保险杠及尾灯受损,无人员受伤。",
     [(AttachmentKind.PARTY_SIGNATURE, "white"), (AttachmentKind.SCENE, "gray"),
      (AttachmentKind.VEHICLE_DAMAGE, "maroon")], True),
    ("incomplete", "ba.surveyor1", "DEMO-0002", ("organization", "深圳市宝安物流有限公司"), "transfer", "45000",
     "公司货车在机场路段倒车时撞上护栏,车头受损。",
     [(AttachmentKind.PARTY_SIGNATURE, "white"), (AttachmentKind.SCENE, "gray"),
      (AttachmentKind.VEHICLE_DAMAGE, "navy"), (AttachmentKind.ID_COPY, "lightyellow")], False),
]


def _image(kind: AttachmentKind, colour: str, key: str) -> bytes:
    """A small picture standing in for a photo or a scanned document (PNG for signatures)."""
    image = Image.new("RGB", (320, 200), colour)
    draw = ImageDraw.Draw(image)
    draw.line([(20, 150), (120, 120), (200, 160), (300, 110)], fill="black", width=4)
    draw.text((12, 12), f"{key} {kind.value}", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG" if kind is AttachmentKind.PARTY_SIGNATURE else "JPEG")
    return buffer.getvalue()


def seed(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Create the demo claim forms that are missing; running twice changes nothing."""
    rules = ClaimRules.from_config(config)
    for key, username, report, (insured_kind, insured_name), payment, amount, account, files, sealed in FORMS:
        form_id = uuid.uuid5(NAMESPACE, key)
        if session.get(ClaimForm, form_id) is not None:
            continue
        surveyor = session.scalar(sa.select(User).where(User.username == username))
        dispatch = session.scalar(sa.select(Dispatch).join(Case).where(Case.report_number == report,
                                                                       Dispatch.surveyor_id == surveyor.id))
        if dispatch is None:
            continue
        actor = actor_for(session, surveyor, device="seed-demo")
        for kind, colour in files:
            signer = {"name": "陈莉" if key == "complete" else "王经理", "role": "party", "signed_at": now}
            upload = attachments.Upload(stream=io.BytesIO(_image(kind, colour, key)), filename=f"{kind.value}.img",
                                        kind=kind, device_time=now - timedelta(minutes=10),
                                        signer=signer if kind is AttachmentKind.PARTY_SIGNATURE else None)
            attachments.add_attachment(session, actor=actor, now=now, rules=rules, canonical=Datum(config["DATUM"]),
                                       form_id=form_id, upload=upload)
        data = {"dispatch_id": dispatch.id, "account": account,
                "party": {"name": signer["name"], "phone": "13500000000", "id_number": None},
                "insured": {"kind": insured_kind, "name": insured_name}, "amount": Decimal(amount),
                "payment_method": payment, "date": now.date(), "notice_handed_at": now - timedelta(minutes=5),
                "notes": None, "attachments": [], "corrects": None}
        service.put_form(session, actor=actor, now=now, rules=rules, form_id=form_id, data=data, if_match=None)
        if sealed:
            seals.seal_form(session, actor=actor, now=now, rules=rules, form_id=form_id)
    yield ("claim forms: DEMO-0001 complete and sealed (ft.surveyor1); DEMO-0002 an organization's transfer claim "
           "missing its company seal, bankbook copy and signed receipt (ba.surveyor1)")
