"""The claim rules on their own: what a form needs (C1) and the time commitments by tier (C9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from field_api.claims import completeness, payout
from field_api.claims.models import AttachmentKind, InsuredKind, PaymentMethod
from field_api.dispatch.models import Line

AUTHORITY = Decimal(1_000_000)


@pytest.mark.parametrize("amount, vip, days", [
    ("4999.99", False, 0), ("5000", False, 3), ("5000", True, 2), ("29999.99", False, 3), ("30000", False, 5),
    ("30000", True, 4), ("99999.99", True, 4), ("100000", False, 10), ("100000", True, 9),
])
def test_motor_claim_review_takes_the_working_days_of_its_tier(amount, vip, days):
    rule = payout.commitment(line=Line.MOTOR, vip=vip, amount=Decimal(amount), centre_authority=AUTHORITY)
    assert rule.working_days == days


@pytest.mark.parametrize("amount, vip, days", [
    ("100000", True, 1), ("100000.01", True, 3), ("500000", True, 3), ("500000.01", True, 5),
    ("10000", False, 1), ("10000.01", False, 3), ("200000", False, 3), ("200000.01", False, 6),
    ("1000000.01", False, 7),
])
def test_property_claims_add_up_their_stages(amount, vip, days):
    rule = payout.commitment(line=Line.PROPERTY, vip=vip, amount=Decimal(amount), centre_authority=AUTHORITY)
    assert rule.working_days == days


def test_working_days_skip_the_spring_festival_and_count_its_make_up_days():
    # Spring Festival 2026: 15-23 February off; Saturday 14 and Saturday 28 February are working days.
    assert payout.add_working_days(date(2026, 2, 13), 1) == (date(2026, 2, 14), payout.CALENDAR)
    assert payout.add_working_days(date(2026, 2, 14), 1) == (date(2026, 2, 24), payout.CALENDAR)


def test_a_year_the_calendar_does_not_know_falls_back_to_weekends_only():
    day, calendar = payout.add_working_days(date(2031, 1, 2), 3)  # a Thursday
    assert (day, calendar) == (date(2031, 1, 7), payout.WEEKENDS_ONLY)


def test_the_missing_list_is_complete_when_everything_is_supplied():
    supplied = set(AttachmentKind)
    assert completeness.missing(line=Line.MOTOR, insured_kind=InsuredKind.ORGANIZATION,
                                payment_method=PaymentMethod.TRANSFER, account="经过", party_phone="135",
                                has_date=True, supplied=supplied) == []


def test_a_blank_account_counts_as_missing():
    assert completeness.missing(line=Line.PROPERTY, insured_kind=InsuredKind.PERSON,
                                payment_method=PaymentMethod.OTHER, account="   ", party_phone="135",
                                has_date=True, supplied={AttachmentKind.PARTY_SIGNATURE, AttachmentKind.SCENE}) \
        == ["account"]
