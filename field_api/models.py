"""Every domain's models, imported so that the metadata (and Alembic) knows all tables."""

from field_api.accounts.models import AccessToken, Branch, User  # noqa: F401
from field_api.audit.models import AuditEvent  # noqa: F401
from field_api.clients.models import Client  # noqa: F401
from field_api.visits.models import (ChecklistItem, ChecklistVersion, ClientTask, Visit,  # noqa: F401
                                     VisitItemOutcome, VisitPhoto)
