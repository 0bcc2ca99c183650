"""Every domain's models, imported so that the metadata (and Alembic) knows all tables."""

from field_api.accounts.models import AccessToken, Branch, User  # noqa: F401
from field_api.audit.models import AuditEvent  # noqa: F401
from field_api.board.models import (CallbackAttempt, Entrustment, FollowUp, RosterShift,  # noqa: F401
                                    RosterSurveyor)
from field_api.claims.models import ClaimAttachment, ClaimForm, ClaimSeal  # noqa: F401
from field_api.clients.models import Client  # noqa: F401
from field_api.deployment.models import DeploymentSetting  # noqa: F401
from field_api.dispatch.models import Case, Dispatch, DispatchEvent  # noqa: F401
from field_api.live.models import StreamTicket  # noqa: F401
from field_api.outbox.models import OutboxMessage  # noqa: F401
from field_api.reports.models import SettledDay  # noqa: F401
from field_api.tracking.models import Device, DutyInterval, Fix, LatestPosition  # noqa: F401
from field_api.visits.models import (ChecklistItem, ChecklistVersion, ClientTask, Visit,  # noqa: F401
                                     VisitItemOutcome, VisitPhoto)
from field_api.worker.models import WorkerLease  # noqa: F401
from field_api.zones.models import ServiceZones  # noqa: F401
