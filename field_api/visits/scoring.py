"""The standard's rules for one visit, as pure functions: which items apply, and whether each was met."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MET, MISSED, EXCUSED, NOT_APPLICABLE = "met", "missed", "excused", "not_applicable"
DONE, NOT_DONE, EXCLUDED = "done", "not_done", "excluded"
FIRST_MEETING, EVERY_VISIT, POLICY_DELIVERY, AFTER_POLICY_DELIVERY = (
    "first_meeting", "every_visit", "policy_delivery", "after_policy_delivery")
TASK_TIMINGS = frozenset({AFTER_POLICY_DELIVERY})


@dataclass(frozen=True)
class ItemRule:
    """What one checklist item asks, reduced to what scoring needs."""

    code: str
    applies_at: str
    purposes: frozenset[str]
    sub_checks: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    photo_required: bool = False

    @property
    def is_task(self) -> bool:
        """Whether the item is a follow-up after the visit rather than something done at it."""
        return self.applies_at in TASK_TIMINGS

    @classmethod
    def of(cls, item: Any) -> ItemRule:
        """The rule of a stored checklist item."""
        return cls(code=item.code, applies_at=item.applies_at, purposes=frozenset(item.purposes),
                   sub_checks=tuple(s["code"] for s in item.sub_checks),
                   exclusions=tuple(e["code"] for e in item.exclusions), photo_required=item.photo_required)


@dataclass(frozen=True)
class ItemScore:
    """One item's outcome on one visit, with the reason when it was not simply met."""

    item: str
    outcome: str
    reason: str | None = None


@dataclass(frozen=True)
class Compliance:
    """A visit's item outcomes and the share met of the items that applied and were not excused."""

    items: tuple[ItemScore, ...]
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def share_met(self) -> float | None:
        """Met / (met + missed); None when nothing could be met or missed."""
        scored = self.counts.get(MET, 0) + self.counts.get(MISSED, 0)
        return round(self.counts.get(MET, 0) / scored, 4) if scored else None


def applies(rule: ItemRule, *, purpose: str, is_first_meeting: bool) -> bool:
    """Whether an item applies to a visit: its purposes, and the first meeting (derived, never typed)."""
    if rule.is_task or purpose not in rule.purposes:
        return False
    return is_first_meeting if rule.applies_at == FIRST_MEETING else True


def score_item(rule: ItemRule, answer: Mapping[str, Any] | None, *, purpose: str, is_first_meeting: bool,
               photo_items: Iterable[str] = ()) -> ItemScore:
    """Score one item: not applicable, excused (an allowed exclusion), met (done, every sub-check) or missed."""
    if not applies(rule, purpose=purpose, is_first_meeting=is_first_meeting):
        why = "applies only at the first meeting" if rule.applies_at == FIRST_MEETING and purpose in rule.purposes \
            else f"does not apply to {purpose} visits"
        return ItemScore(rule.code, NOT_APPLICABLE, why)
    if answer is None:
        return ItemScore(rule.code, MISSED, "no answer")
    result = answer["result"]
    if result == EXCLUDED:
        return ItemScore(rule.code, EXCUSED, answer["exclusion"])
    if result == NOT_DONE:
        return ItemScore(rule.code, MISSED, "not done")
    failed = [code for code in rule.sub_checks if not (answer.get("sub_checks") or {}).get(code)]
    if failed:
        return ItemScore(rule.code, MISSED, "sub-checks not met: " + ", ".join(failed))
    if rule.photo_required and rule.code not in set(photo_items):
        return ItemScore(rule.code, MISSED, "photo evidence missing")
    return ItemScore(rule.code, MET)


def score_visit(rules: Sequence[ItemRule], answers: Iterable[Mapping[str, Any]], *, purpose: str,
                is_first_meeting: bool, photo_items: Iterable[str] = ()) -> Compliance:
    """Score every visit item of a checklist version (tasks are scored on their own)."""
    by_item = {a["item"]: a for a in answers}
    photos = frozenset(photo_items)
    scores = tuple(score_item(rule, by_item.get(rule.code), purpose=purpose, is_first_meeting=is_first_meeting,
                              photo_items=photos) for rule in rules if not rule.is_task)
    counts = {outcome: sum(1 for s in scores if s.outcome == outcome)
              for outcome in (MET, MISSED, EXCUSED, NOT_APPLICABLE)}
    return Compliance(scores, counts)


def answer_errors(rules: Sequence[ItemRule], answers: Sequence[Mapping[str, Any]], *, version_label: str,
                  other_versions: Mapping[str, Sequence[int]] | None = None) -> dict[str, Any]:
    """Check answers against a checklist version; the errors are keyed by answer index, like marshmallow's."""
    by_code = {rule.code: rule for rule in rules}
    errors: dict[str, Any] = {}
    seen: set[str] = set()
    for index, answer in enumerate(answers):
        problems = _answer_problems(by_code.get(answer["item"]), answer, seen, version_label,
                                    (other_versions or {}).get(answer["item"]))
        seen.add(answer["item"])
        if problems:
            errors[str(index)] = problems
    return errors


def _answer_problems(rule: ItemRule | None, answer: Mapping[str, Any], seen: set[str], version_label: str,
                     elsewhere: Sequence[int] | None) -> dict[str, list[str]]:
    code = answer["item"]
    if rule is None:
        where = f" (it is in version {', '.join(map(str, elsewhere))})" if elsewhere else ""
        return {"item": [f"{code!r} is not an item of {version_label}{where}."]}
    if code in seen:
        return {"item": [f"{code!r} is answered twice."]}
    if rule.is_task:
        return {"item": [f"{code!r} is a follow-up task, recorded on the client, not answered in a visit."]}
    problems: dict[str, list[str]] = {}
    exclusion, result, sub_checks = answer.get("exclusion"), answer["result"], answer.get("sub_checks")
    if result == EXCLUDED:
        if not rule.exclusions:
            problems["exclusion"] = [f"The standard allows no exclusion for {code!r}."]
        elif exclusion not in rule.exclusions:
            problems["exclusion"] = [f"Use one of the standard's exclusions for {code!r}: "
                                     + ", ".join(rule.exclusions) + "."]
    elif exclusion is not None:
        problems["exclusion"] = ["An exclusion goes only with the result 'excluded'."]
    if sub_checks is not None:
        if result != DONE:
            problems["sub_checks"] = ["Sub-checks go only with the result 'done'."]
        elif unknown := sorted(set(sub_checks) - set(rule.sub_checks)):
            problems["sub_checks"] = [f"Not sub-checks of {code!r}: {', '.join(unknown)}."]
    if result == DONE and rule.sub_checks and not problems.get("sub_checks"):
        if missing := [c for c in rule.sub_checks if c not in (sub_checks or {})]:
            problems["sub_checks"] = [f"Answer every sub-check of {code!r}; missing: {', '.join(missing)}."]
    return problems
