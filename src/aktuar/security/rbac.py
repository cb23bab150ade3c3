"""Roles of the ISMS participants (KZ164-06) and least-privilege permissions (KZ164-22).

Permissions are checked in the service layer for every operation (``require``), never only in an interface.
"""

from __future__ import annotations

from aktuar.errors import AktuarError
from aktuar.security.context import Actor

ROLES: dict[str, str] = {
    "actuary": "Actuary: imports data, prepares valuation runs",
    "chief_actuary": "Chief actuary: reviews and approves runs, coordinates the methodology",
    "independent_actuary": "Independent actuary: reads runs and data, prepares verification runs",
    "risk_manager": "Risk manager: reads results and reports",
    "is_officer": "Information security officer: accounts, roles, audit trail and its parameters",
    "it_admin": "IT administrator: system parameters, backups, service accounts, updates",
    "internal_auditor": "Internal auditor: reads everything including the audit trail, changes nothing",
    "management": "Management body / executive: reads approved reports",
}

# Role pairs one account may not hold together (separation of duties).
INCOMPATIBLE: tuple[tuple[str, str, str], ...] = (
    ("it_admin", "is_officer", "IT administration and information security are separate duties (KZ164-06)"),
    ("internal_auditor", "actuary", "an internal auditor cannot prepare what they audit"),
    ("internal_auditor", "chief_actuary", "an internal auditor cannot approve what they audit"),
    ("internal_auditor", "is_officer", "an internal auditor cannot administer what they audit"),
    ("internal_auditor", "it_admin", "an internal auditor cannot administer what they audit"),
    ("independent_actuary", "actuary", "the independent actuary is not the insurer's in-house actuary"),
    ("independent_actuary", "chief_actuary", "the independent actuary is not the insurer's chief actuary"),
)

PERMISSIONS: dict[str, frozenset[str]] = {
    "data.import": frozenset({"actuary", "independent_actuary"}),
    "data.read": frozenset({"actuary", "chief_actuary", "independent_actuary", "risk_manager", "internal_auditor"}),
    "run.prepare": frozenset({"actuary", "independent_actuary"}),
    "run.read": frozenset({"actuary", "chief_actuary", "independent_actuary", "risk_manager", "internal_auditor",
                           "management"}),
    "run.review": frozenset({"actuary", "chief_actuary"}),
    "run.approve": frozenset({"chief_actuary"}),
    "run.reject": frozenset({"actuary", "chief_actuary"}),
    "methodology.edit": frozenset({"chief_actuary", "actuary"}),
    "methodology.status": frozenset({"chief_actuary"}),
    "methodology.read": frozenset({"actuary", "chief_actuary", "independent_actuary", "risk_manager",
                                   "internal_auditor", "management"}),
    "report.read": frozenset({"actuary", "chief_actuary", "independent_actuary", "risk_manager", "internal_auditor",
                              "management"}),
    "account.manage": frozenset({"is_officer"}),
    "account.read": frozenset({"is_officer", "internal_auditor", "it_admin"}),
    "service_account.request": frozenset({"it_admin", "is_officer"}),
    "service_account.approve_it": frozenset({"it_admin"}),
    "service_account.approve_is": frozenset({"is_officer"}),
    "audit.read": frozenset({"is_officer", "internal_auditor"}),
    "audit.configure": frozenset({"is_officer"}),
    "system.configure": frozenset({"it_admin"}),
    "backup.manage": frozenset({"it_admin"}),
    "run.recover": frozenset({"actuary", "chief_actuary", "it_admin"}),  # mark abandoned runs failed, clean temp files
    "audit.checkpoint": frozenset({"is_officer", "it_admin"}),  # sign a checkpoint of the audit chain on demand
    "audit.archive": frozenset({"is_officer", "it_admin"}),  # move records past online retention to signed archives
    "security.configure": frozenset({"is_officer"}),  # password, lockout, session and token policy
    "service_account.read": frozenset({"it_admin", "is_officer", "internal_auditor"}),
    "service_account.token": frozenset({"it_admin"}),  # issue API tokens for an approved service account
    "service_account.revoke": frozenset({"it_admin", "is_officer"}),  # revoke tokens, disable service accounts
    # ISMS registers (aktuar.services.isms): the IS unit keeps them; IT records updates and authorized software and
    # approves, as head of IT, installers and data-center access; auditors and management read (KZ164-12, -13, -18).
    "isms.manage": frozenset({"is_officer"}),
    "isms.it": frozenset({"it_admin"}),
    "isms.read": frozenset({"is_officer", "it_admin", "internal_auditor", "management", "risk_manager"}),
    "isms.report": frozenset({"is_officer"}),  # prepare, sign and package the regulators' security reports
    "isms.report.countersign": frozenset({"management"}),  # CEO/COO countersigns the SECP assessment report
    "compliance.read": frozenset({"is_officer", "it_admin", "internal_auditor", "management", "risk_manager",
                                  "chief_actuary"}),
    "actuary.manage": frozenset({"chief_actuary"}),  # actuary registry, PDP points, engagements (KZ191)
    "actuary.read": frozenset({"actuary", "chief_actuary", "independent_actuary", "internal_auditor", "management"}),
    "calendar.manage": frozenset({"is_officer", "chief_actuary"}),  # status and owner of regulatory deadlines
    "calendar.read": frozenset({"actuary", "chief_actuary", "independent_actuary", "risk_manager", "is_officer",
                                "it_admin", "internal_auditor", "management"}),
}


class PermissionDenied(AktuarError):
    """The actor's roles do not allow the operation."""

    def __init__(self, actor: Actor, permission: str) -> None:
        self.actor = actor
        self.permission = permission
        super().__init__(f"{actor.username} may not {permission} (roles: {', '.join(sorted(actor.roles)) or 'none'})")


def allowed(actor: Actor, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission}")
    if actor.scopes is not None and permission not in actor.scopes:
        return False  # a scoped API token allows only its scopes
    if "system" in actor.roles:
        return True
    return bool(PERMISSIONS[permission] & actor.roles)


def require(actor: Actor, permission: str) -> None:
    """Raise ``PermissionDenied`` unless one of the actor's roles grants ``permission``."""
    if not allowed(actor, permission):
        raise PermissionDenied(actor, permission)


def role_conflicts(roles: set[str] | frozenset[str]) -> list[str]:
    """Why a set of roles cannot be held by one account (empty when it can)."""
    unknown = sorted(set(roles) - set(ROLES))
    out = [f"unknown role '{r}': roles are {', '.join(ROLES)}" for r in unknown]
    for a, b, why in INCOMPATIBLE:
        if a in roles and b in roles:
            out.append(f"{a} and {b} cannot be combined: {why}")
    return out
