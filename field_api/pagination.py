"""Pagination of SQLAlchemy select statements for flask-smorest's @blp.paginate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_smorest import Page

from field_api.extensions import db


# Beyond any real listing, and within every database's integer range.
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class Presented:
    """A query whose rows are turned into what the response shows (e.g. a dispatch with its clocks)."""

    query: sa.Select
    present: Callable[[Any], Any]


class SelectPage(Page):
    """Runs one page of a Select (or a Presented one), with the total count for the X-Pagination header."""

    def _query(self) -> sa.Select:
        return self.collection.query if isinstance(self.collection, Presented) else self.collection

    @property
    def items(self):
        if self.page_params.first_item > MAX_OFFSET:
            return []
        page = self._query().limit(self.page_params.page_size).offset(self.page_params.first_item)
        rows = self._read(page)
        return [self.collection.present(r) for r in rows] if isinstance(self.collection, Presented) else rows

    @property
    def item_count(self):
        return db.session.scalar(sa.select(sa.func.count()).select_from(self._query().order_by(None).subquery()))

    def _read(self, page: sa.Select) -> list[Any]:
        return list(db.session.scalars(page).unique())


class RowPage(SelectPage):
    """A SelectPage of plain rows (mappings of the selected columns), not entities."""

    def _read(self, page: sa.Select) -> list[Any]:
        return list(db.session.execute(page).mappings())
