"""The expected payout date of article 10 C9: working days by line, VIP or ordinary customer and amount.

Working days follow the Chinese calendar (statutory holidays and make-up working days) from the
`chinesecalendar` package. For a year outside its data the rule falls back to weekends only
(Monday to Friday are working days) and says so, rather than guessing holidays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import chinese_calendar

from field_api.dispatch.models import Line

CALENDAR = "chinese_calendar"
WEEKENDS_ONLY = "weekends_only"


@dataclass(frozen=True)
class Commitment:
    """How many working days the standard allows, and which of its rows says so."""

    working_days: int
    rule_zh: str
    rule_en: str


def commitment(*, line: Line, vip: bool, amount: Decimal, centre_authority: Decimal) -> Commitment:
    """The C9 time commitment for a claim, once its documents are complete.

    Motor uses the claim-review tiers (核赔时效) with the boundaries < 5,000, 5,000-< 30,000,
    30,000-< 100,000 and >= 100,000; property adds up its stages (adjustment, review, approval).
    """
    if line is Line.MOTOR:
        tiers = [(Decimal(5000), 0, 0, "<5千 立等可取", "< 5,000: paid while you wait"),
                 (Decimal(30000), 2, 3, "5千-3万", "5,000-30,000"),
                 (Decimal(100000), 4, 5, "3万-10万", "30,000-100,000")]
        for bound, vip_days, ordinary_days, zh, en in tiers:
            if amount < bound:
                return _motor(vip, vip_days, ordinary_days, zh, en)
        return _motor(vip, 9, 10, "10万以上", ">= 100,000")
    if vip:
        if amount <= 100_000:
            return Commitment(1, "财产险VIP ≤10万: 理算核赔结案1个工作日", "property VIP <= 100,000: 1 working day")
        if amount <= 500_000:
            return Commitment(3, "财产险VIP 10万-50万: 理算2 + 核赔结案1", "property VIP 100,000-500,000: 2 + 1")
        return Commitment(5, "财产险VIP 50万以上: 理算3 + 核赔1 + 审批结案1", "property VIP > 500,000: 3 + 1 + 1")
    if amount <= 10_000:
        return Commitment(1, "财产险通常客户 ≤1万: 理算核赔结案1个工作日", "property ordinary <= 10,000: 1 working day")
    if amount <= 200_000:
        return Commitment(3, "财产险通常客户 1万-20万: 理算2 + 核赔结案1", "property ordinary 10,000-200,000: 2 + 1")
    if amount <= centre_authority:
        return Commitment(6, "财产险通常客户 20万-中心最高权限: 理算4 + 核赔1 + 审批结案1",
                          "property ordinary 200,000-centre authority: 4 + 1 + 1")
    return Commitment(7, "财产险通常客户 超中心权限: 理算4 + 核赔1 + 审批1 + 超权限审批1",
                      "property ordinary over the centre's authority: 4 + 1 + 1 + 1")


def _motor(vip: bool, vip_days: int, ordinary_days: int, zh: str, en: str) -> Commitment:
    days = vip_days if vip else ordinary_days
    who_zh, who_en = ("VIP", "VIP") if vip else ("通常客户", "ordinary")
    return Commitment(days, f"车险核赔时效 {who_zh} {zh}: {days}个工作日",
                      f"motor claim review, {who_en}, {en}: {days} working days")


def is_working_day(day: date) -> tuple[bool, str]:
    """Whether the day is a working day, and which calendar said so."""
    try:
        return chinese_calendar.is_workday(day), CALENDAR
    except NotImplementedError:
        return day.weekday() < 5, WEEKENDS_ONLY


def add_working_days(start: date, days: int) -> tuple[date, str]:
    """The date `days` working days after `start` (0: `start` itself), and the calendar used.

    The claims centre pays small claims on weekends and holidays too (C9 norms), so zero days is the same day.
    """
    day, counted, calendar = start, 0, CALENDAR
    while counted < days:
        day += timedelta(days=1)
        working, used = is_working_day(day)
        if used == WEEKENDS_ONLY:
            calendar = WEEKENDS_ONLY
        counted += working
    return day, calendar
