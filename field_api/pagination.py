"""Pagination of SQLAlchemy select statements for flask-smorest's @blp.paginate."""

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Page

from field_api.extensions import db


class SelectPage(Page):
    """Runs a page of a Select, with the total count for the X-Pagination header."""

    @property
    def items(self):
        query = self.collection.limit(self.page_params.page_size).offset(self.page_params.first_item)
        return list(db.session.scalars(query))

    @property
    def item_count(self):
        return db.session.scalar(sa.select(sa.func.count()).select_from(self.collection.order_by(None).subquery()))
