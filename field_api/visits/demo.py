"""Demo clients and visits: met, missed and excused items, and a thank-you letter sent and one overdue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from field_api.access import actor_for
from field_api.accounts.models import User
from field_api.clients import service as clients
from field_api.clients.models import Client
from field_api.visits import checklists, service, tasks
from field_api.visits.derivation import VisitRules
from field_api.visits.models import ClientTask, Visit
from schemas.geo import to_canonical

NAMESPACE = uuid.UUID("6f1d3c1e-5b1a-4a8e-9a57-2f1f0c0de406")
CARD = {"item": "business_card", "result": "done", "sub_checks": {
    "company_standard_design": True, "clean_and_flat": True, "both_hands_text_facing_client": True, "greeting": True}}
HANDBOOK_EXCUSED = {"item": "service_handbook", "result": "excluded", "exclusion": "client_does_not_need_it"}

# key, owner, name, kind, contact, phone, address, (lat, lon) in GCJ-02 as a map SDK geocodes them
CLIENTS = [
    ("trade", "ft.sales1", "深圳市福田贸易有限公司", "enterprise", "王经理", "0755-83000001", "福田区福华一路88号",
     (22.5406, 114.0605)),
    ("hospital", "ft.sales1", "福田区第一人民医院", "institution", "赵主任", "0755-83000002", "福田区深南中路3025号",
     (22.5455, 114.0835)),
    ("li", "ft.sales1", "李先生", "other", "李明", "13900001111", "福田区景田北路", (22.5560, 114.0430)),
    ("factory", "ba.sales1", "宝安电子制造厂", "enterprise", "陈厂长", "0755-27000003", "宝安区西乡大道",
     (22.5760, 113.8680)),
]

# key, owner, client, days ago, purpose, status, answers, objections, notes
VISITS = [
    ("trade-1", "ft.sales1", "trade", 40, "prospecting", "submitted", [CARD], [], "初次拜访,递交名片 (card met)"),
    ("trade-2", "ft.sales1", "trade", 33, "product_presentation", "submitted",
     [{"item": "product_presentation", "result": "done", "sub_checks": {
         "benefits_tied_to_needs": True, "proof_offered": True, "objections_handled": True,
         "price_at_right_moment": False}}],
     [{"category": "tactical", "text": "保费比别家贵", "resolution": "说明服务价值与价格天平"}],
     "过早报价 (price quoted too early: missed)"),
    ("trade-3", "ft.sales1", "trade", 25, "application", "submitted",
     [{"item": "application_form", "result": "excluded", "exclusion": "client_supplied_wrong_information"}], [],
     "客户提供的标的信息有误 (excused)"),
    ("trade-4", "ft.sales1", "trade", 12, "policy_delivery", "submitted",
     [HANDBOOK_EXCUSED, {"item": "policy_envelope", "result": "done"}], [], "送达保单 (envelope met, handbook excused)"),
    ("hospital-1", "ft.sales1", "hospital", 20, "prospecting", "submitted",
     [{"item": "business_card", "result": "excluded", "exclusion": "client_declined_card"}],
     [{"category": "emotional", "text": "对保险公司有顾虑", "resolution": None}], "客户明确不接受名片 (excused)"),
    ("li-1", "ft.sales1", "li", 6, "prospecting", "submitted", [{"item": "business_card", "result": "not_done"}], [],
     "忘带名片 (card missed)"),
    ("li-2", "ft.sales1", "li", 1, "product_presentation", "draft", [], [], "草稿 (draft)"),
    ("factory-1", "ba.sales1", "factory", 15, "policy_delivery", "submitted",
     [CARD, {"item": "policy_envelope", "result": "not_done"}, HANDBOOK_EXCUSED], [],
     "未使用保单封套 (envelope missed); thank-you letter overdue"),
]


def _id(key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, key)


def seed(session: Session, *, config: Any, now: datetime) -> Iterator[str]:
    """Create the demo clients and visits that are missing and describe them; running twice changes nothing."""
    checklists.ensure_standard(session, now=now)
    rules = VisitRules.from_config(config)
    users = {u.username: u for u in session.scalars(sa.select(User).where(User.username.in_(
        {owner for _, owner, *_ in CLIENTS})))}
    actors = {name: actor_for(session, user, device="seed-demo") for name, user in users.items()}
    for key, owner, name, kind, contact, phone, address, (lat, lon) in CLIENTS:
        if session.get(Client, _id(key)) is None:
            lat, lon = to_canonical(lat, lon, "gcj02")
            clients.put_client(session, actor=actors[owner], now=now, rules=rules, client_id=_id(key), if_match=None,
                               data={"name": name, "kind": kind, "contact_person": contact, "contact_phone": phone,
                                     "address": address, "location": {"lat": lat, "lon": lon}})
    for key, owner, client_key, days, purpose, status, answers, objections, notes in VISITS:
        if session.get(Visit, _id(key)) is None:
            client = session.get(Client, _id(client_key))
            at = now - timedelta(days=days, hours=2)
            fix = {"lat": client.lat + 0.0003, "lon": client.lon + 0.0002, "accuracy_m": 15.0}
            service.put_visit(session, actor=actors[owner], now=now, rules=rules, visit_id=_id(key), if_match=None,
                              data={"client_id": client.id, "checklist": None, "purpose": purpose, "status": status,
                                    "check_in": {**fix, "at": at},
                                    "check_out": {**fix, "at": at + timedelta(minutes=40)},
                                    "answers": answers, "objections": objections, "notes": notes, "photos": [],
                                    "amends": None, "amendment_reason": None})
    letter = session.scalar(sa.select(ClientTask).where(ClientTask.visit_id == _id("trade-4")))
    if letter is not None and letter.done_on is None:
        tasks.record_done(session, actor=actors["ft.sales1"], now=now, task_id=letter.id,
                          done_on=letter.due_on - timedelta(days=5), via="post")
    yield f"sales visits: {len(CLIENTS)} clients, {len(VISITS)} visits (met, missed and excused items), " \
          "a thank-you letter sent on time and one overdue"
