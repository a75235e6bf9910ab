"""SQLAlchemy models, one aggregate per module; import them from here."""
from portal.models.audit import AuditEvent
from portal.models.base import Base, today, utcnow
from portal.models.compliance import ComplianceTally, PersonCompliance, RequirementSnapshot, StaffingRisk
from portal.models.credentials import CeActivity, Credential, UsedRenewalLink
from portal.models.documents import Document, Extraction, IssuerHint, LearnedTypeName
from portal.models.integrations import (
    API_SCOPES,
    ApiToken,
    ImportMapping,
    Webhook,
    WebhookDelivery,
    WorkerHeartbeat,
)
import portal.models.rate_limits  # noqa: F401  (the shared rate-limit counters table)
from portal.models.people import ROLE_LABELS, ROLES, Department, JobRole, Person, User
from portal.models.reminders import Notification, ReminderChange, ReminderPolicy, ReminderScan
from portal.models.requirements import Assignment, Project, Requirement
from portal.models.taxonomy import CredentialType, Issuer
from portal.models.verification import (
    ExclusionMatch,
    TrustRoot,
    Verification,
    VerificationImport,
    VerificationPolicy,
    VerificationState,
)

__all__ = [
    "API_SCOPES", "ROLES", "ROLE_LABELS", "ApiToken", "Assignment", "AuditEvent", "Base",
    "CeActivity", "Credential", "CredentialType", "Department", "Document", "Extraction", "LearnedTypeName",
    "ImportMapping", "Issuer", "IssuerHint", "JobRole", "Notification", "Person", "Project",
    "ComplianceTally", "PersonCompliance", "ReminderChange", "ReminderPolicy", "ReminderScan", "Requirement", "RequirementSnapshot", "StaffingRisk", "UsedRenewalLink", "User",
    "ExclusionMatch", "TrustRoot", "Verification", "VerificationImport", "VerificationPolicy", "VerificationState", "Webhook", "WebhookDelivery", "WorkerHeartbeat",
    "today", "utcnow",
]
