"""Import every ORM module so Base.metadata is complete (Alembic, tests)."""

from server.anchors import models as anchor_models
from server.auth import models as auth_models
from server.complaints import models as complaint_models
from server.ingest import models as ingest_models
from server.notice import models as notice_models
from server.objections import models as objection_models
from server.ops import models as ops_models
from server.payroll import models as payroll_models
from server.platform import models as platform_models
from server.reconciliation import models as reconciliation_models
from server.registry import models as registry_models
from server.rosters import models as roster_models
from server.safeguards import models as safeguard_models
from server.terminals import models as terminal_models
from server.wages import models as wage_models

__all__ = [
    "anchor_models",
    "auth_models",
    "complaint_models",
    "ingest_models",
    "notice_models",
    "objection_models",
    "ops_models",
    "payroll_models",
    "platform_models",
    "reconciliation_models",
    "registry_models",
    "roster_models",
    "safeguard_models",
    "terminal_models",
    "wage_models",
]
