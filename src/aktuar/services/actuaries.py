"""Registry of actuaries (NB Resolution 191: KZ191-LIC, KZ191-QUAL, KZ191-IND).

- Registry: license number, date and issuer (Appendix 6); employment history; affiliations (form 1 of Appendix 1
  to Appendix 5); actuarial activities (form 2).
- Professional development (Appendix 4): the 15 activity types of the programme with their points (Appendix 1 to
  Appendix 4); +100 points per event organized by a member organization of the International Actuarial
  Association for items 4, 5, 6, 7, 10, 11, 12 and 15 (paragraph 4); 1,200 points per reporting period of 3
  financial years, periods counted from 1 January 2019, or — for a license received after 1 January 2019 — from
  1 January of the year following the year of the license (paragraph 1); confirmation within 2 months of the year
  following the period, i.e. by the last day of February; the Information form (Appendix 2 to Appendix 4).
- Independent actuary engagement (Appendix 5): each refusal names its rule — paragraph 5 (at most 5 consecutive
  years with one independent actuary), 6(1) (affiliated person or relative), 6(2) (cross-verification within 1
  calendar year), 6(3) (worked at the insurer during the last 2 calendar years).
  Modelling choice: for a verification of reporting year Y (as of 1 January Y+1), "the last 2 calendar years" are
  Y-1 and Y, and "within 1 calendar year" means an engagement for reporting year Y-1 or Y.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from aktuar.errors import AktuarError, InputError
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.security.rbac import PermissionDenied
from aktuar.store.db import Database
from aktuar.store.models import Actuary, ActuaryEngagement, ActuaryPdpEvent

T = TypeVar("T")

PDP_ITEMS: dict[int, tuple[str, int]] = {
    1: ("Publication of an article in a foreign publication on actuarial activities", 600),
    2: ("Publication of an article in printed periodicals on actuarial activities", 500),
    3: ("Participation in the International Congress of Actuaries", 1000),
    4: ("Participation in the international conference on actuarial activity", 800),
    5: ("Participation in the international conference on financial activities", 700),
    6: ("Participation in the republican conference on actuarial activities", 600),
    7: ("Participation in the republican conference on financial activities", 400),
    8: ("Participation in a seminar, training of foreign countries on actuarial activities", 500),
    9: ("Participation in a seminar, training of foreign countries on insurance activities", 400),
    10: ("Participation in a seminar, webinar, master class, online training on actuarial activities", 200),
    11: ("Participation in a seminar, webinar, master class, online training on insurance activities", 150),
    12: ("Teaching actuarial disciplines (per semester)", 800),
    13: ("Passing an actuarial exam (SOA, CAS, IFoA, Actuaries Institute, CIA, CFA, FRM)", 1200),
    14: ("Supervising a master's thesis in the 'Actuary' specialization", 500),
    15: ("Lecturing at a seminar, webinar, master class or training", 600),
}
IAA_BONUS_ITEMS = frozenset({4, 5, 6, 7, 10, 11, 12, 15})
IAA_BONUS = 100
REQUIRED_POINTS = 1200
PERIOD_YEARS = 3
FIRST_PERIOD_START = date(2019, 1, 1)
MAX_CONSECUTIVE_YEARS = 5


def event_points(item: int, organizer_iaa_member: bool = False) -> int:
    """Points of one event (Appendix 1 to Appendix 4, +100 under paragraph 4 for an IAA member's event)."""
    if item not in PDP_ITEMS:
        raise InputError(f"PDP item {item}: the programme has items 1 to 15")
    return PDP_ITEMS[item][1] + (IAA_BONUS if organizer_iaa_member and item in IAA_BONUS_ITEMS else 0)


def reporting_period(license_date: date | None, on: date) -> tuple[date, date]:
    """The 3-year reporting period containing ``on``: from 1 January 2019, or from 1 January of the year after the
    license year for a license received after 1 January 2019 (Appendix 4 paragraph 1)."""
    start0 = FIRST_PERIOD_START
    if license_date is not None and license_date > FIRST_PERIOD_START:
        start0 = date(license_date.year + 1, 1, 1)
    if on < start0:
        raise InputError(f"{on.isoformat()} is before the first reporting period, which starts "
                         f"{start0.isoformat()}")
    k = (on.year - start0.year) // PERIOD_YEARS
    start = date(start0.year + PERIOD_YEARS * k, 1, 1)
    return start, date(start.year + PERIOD_YEARS - 1, 12, 31)


def confirmation_due(period_end: date) -> date:
    """Within 2 months of the year following the period: the last day of February."""
    return date(period_end.year + 1, 3, 1) - timedelta(days=1)


# ----------------------------------------------------------------------------------------------- helpers
def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else audit.utc(now)


def _op(db: Database, actor: Actor, permission: str, action: str, obj: str,
        work: Callable[[Session], tuple[T, dict[str, Any]]], at: datetime) -> T:
    try:
        rbac.require(actor, permission)
        with db.session() as s:
            result, details = work(s)
            audit.record(s, actor, "business", action, object=obj[:300], details=details, at=at)
        return result
    except AktuarError as exc:
        details = ({"reason": "permission denied", "permission": exc.permission} if isinstance(exc, PermissionDenied)
                   else {"reason": "refused", "message": str(exc)[:500]})
        with db.session() as s:
            audit.record(s, actor, "business", action, object=obj[:300], outcome="failure", details=details)
        raise


def _read(db: Database, actor: Actor, action: str) -> None:
    try:
        rbac.require(actor, "actuary.read")
    except PermissionDenied as exc:
        with db.session() as s:
            audit.record(s, actor, "business", action, outcome="failure",
                         details={"reason": "permission denied", "permission": exc.permission})
        raise


def _d(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if isinstance(v, date):
        return v.isoformat()
    return date.fromisoformat(str(v)).isoformat()


@dataclass(frozen=True)
class ActuaryView:
    id: int
    full_name: str
    license_number: str | None
    license_date: date | None
    license_issuer: str | None
    employer: str | None
    position: str | None
    is_independent: bool
    iaa_member_body: str | None
    employment: list[dict[str, Any]]
    affiliations: list[dict[str, Any]]
    activities: list[dict[str, Any]]


def _view(a: Actuary) -> ActuaryView:
    return ActuaryView(a.id, a.full_name, a.license_number, a.license_date, a.license_issuer, a.employer, a.position,
                       bool(a.is_independent), a.iaa_member_body, json.loads(a.employment),
                       json.loads(a.affiliations), json.loads(a.activities))


def _actuary(s: Session, actuary_id: int) -> Actuary:
    a = s.get(Actuary, int(actuary_id))
    if a is None:
        raise InputError(f"no actuary {actuary_id}: list them with 'aktuar actuary list'")
    return a


def save_actuary(db: Database, actor: Actor, *, full_name: str, license_number: str | None = None,
                 license_date: date | None = None, license_issuer: str | None = None, employer: str | None = None,
                 position: str | None = None, is_independent: bool = False, iaa_member_body: str | None = None,
                 employment: Iterable[Mapping[str, Any]] = (), affiliations: Iterable[Mapping[str, Any]] = (),
                 activities: Iterable[Mapping[str, Any]] = (), actuary_id: int | None = None,
                 now: datetime | None = None) -> ActuaryView:
    """Add (or, with ``actuary_id``, change) an actuary: license (number, date, issuer — all three or none),
    employment ``{organization, from, to}``, affiliations (form 1) ``{name, kind, grounds, since, organization}``,
    activities (form 2) ``{year, service, organization, basis, subject}``."""
    at = _now(now)

    def work(s: Session) -> tuple[ActuaryView, dict[str, Any]]:
        name = " ".join(str(full_name or "").split())
        if len(name) < 3 or len(name.split()) < 2:
            raise InputError("give the actuary's full name (surname and given name)")
        lic = (license_number, license_date, license_issuer)
        if any(v for v in lic) and not all(v for v in lic):
            raise InputError("a license has a number, a date and an issuer (KZ191-LIC): give all three")
        if license_date is not None and license_date > at.date():
            raise InputError("the license date is in the future")
        emp = [{"organization": str(e["organization"]).strip(), "from": _d(e.get("from")), "to": _d(e.get("to"))}
               for e in employment]
        a = _actuary(s, actuary_id) if actuary_id is not None else Actuary()
        if license_number:
            dup = s.execute(select(Actuary.id).where(Actuary.license_number == license_number)).scalar_one_or_none()
            if dup is not None and dup != a.id:
                raise InputError(f"license {license_number} belongs to actuary {dup}")
        if actuary_id is None:
            s.add(a)
        a.full_name, a.license_number, a.license_date, a.license_issuer = name, license_number or None, \
            license_date, license_issuer or None
        a.employer, a.position, a.is_independent, a.iaa_member_body = employer, position, bool(is_independent), \
            iaa_member_body
        a.employment = audit.canonical(emp)
        a.affiliations = audit.canonical([dict(x) for x in affiliations])
        a.activities = audit.canonical([dict(x) for x in activities])
        a.updated_by, a.updated_at = actor.username[:64], at
        s.flush()
        return _view(a), {"id": a.id, "license": license_number, "independent": bool(is_independent)}

    return _op(db, actor, "actuary.manage", "actuary.save", full_name[:100], work, at)


def list_actuaries(db: Database, actor: Actor) -> list[ActuaryView]:
    _read(db, actor, "actuary.list")
    with db.session() as s:
        return [_view(a) for a in s.execute(select(Actuary).order_by(Actuary.full_name)).scalars()]


# --------------------------------------------------------------------------------------------------- PDP
@dataclass(frozen=True)
class PdpEvent:
    id: int
    item: int
    on_date: date
    title: str
    organizer: str
    organizer_iaa_member: bool
    points: int
    document: str | None


def record_pdp_event(db: Database, actor: Actor, actuary_id: int, *, item: int, on_date: date, title: str,
                     organizer: str = "", organizer_iaa_member: bool = False, document: str | None = None,
                     now: datetime | None = None) -> PdpEvent:
    at = _now(now)

    def work(s: Session) -> tuple[PdpEvent, dict[str, Any]]:
        a = _actuary(s, actuary_id)
        pts = event_points(int(item), organizer_iaa_member)
        if on_date > at.date():
            raise InputError("the event date is in the future")
        if not str(title).strip():
            raise InputError("name the event")
        e = ActuaryPdpEvent(actuary_id=a.id, item=int(item), on_date=on_date, title=str(title).strip()[:300],
                            organizer=str(organizer).strip()[:300], organizer_iaa_member=bool(organizer_iaa_member),
                            points=pts, document=document, recorded_by=actor.username[:64], recorded_at=at)
        s.add(e)
        s.flush()
        return (PdpEvent(e.id, e.item, e.on_date, e.title, e.organizer, e.organizer_iaa_member, e.points, e.document),
                {"actuary": a.id, "item": e.item, "points": pts})

    return _op(db, actor, "actuary.manage", "actuary.pdp", f"actuary:{actuary_id}", work, at)


@dataclass(frozen=True)
class Qualification:
    actuary_id: int
    full_name: str
    period_start: date
    period_end: date
    points: int
    required: int
    met: bool
    shortfall: int
    due: date
    events: list[PdpEvent]

    def form_rows(self) -> list[dict[str, str]]:
        """Rows of the Information form (Appendix 2 to Appendix 4): area of activity, result, review, date of
        passing, term of passing."""
        return [{"area": PDP_ITEMS[e.item][0], "result": f"{e.points} points", "review": e.title
                 + (f" ({e.organizer})" if e.organizer else "") + (" — IAA member" if e.organizer_iaa_member else ""),
                 "date": e.on_date.strftime("%d.%m.%Y"),
                 "term": f"{self.period_start.strftime('%d.%m.%Y')}–{self.period_end.strftime('%d.%m.%Y')}"}
                for e in self.events]


def qualification(db: Database, actor: Actor, actuary_id: int, on: date) -> Qualification:
    """Points of the reporting period containing ``on`` against the 1,200 required (KZ191-QUAL)."""
    _read(db, actor, "actuary.qualification")
    with db.session() as s:
        a = _actuary(s, actuary_id)
        start, end = reporting_period(a.license_date, on)
        evs = [PdpEvent(e.id, e.item, e.on_date, e.title, e.organizer, e.organizer_iaa_member, e.points, e.document)
               for e in s.execute(select(ActuaryPdpEvent).where(
                   ActuaryPdpEvent.actuary_id == a.id, ActuaryPdpEvent.on_date >= start,
                   ActuaryPdpEvent.on_date <= end).order_by(ActuaryPdpEvent.on_date)).scalars()]
        pts = sum(e.points for e in evs)
        return Qualification(a.id, a.full_name, start, end, pts, REQUIRED_POINTS, pts >= REQUIRED_POINTS,
                             max(0, REQUIRED_POINTS - pts), confirmation_due(end), evs)


# ------------------------------------------------------------------------------------------- engagements
@dataclass(frozen=True)
class EngagementCheck:
    allowed: bool
    refusals: list[tuple[str, str]]  # (rule, explanation)


def _check(s: Session, organization: str, indep: Actuary, inhouse: Actuary, year: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    org = organization.strip().casefold()
    if indep.id == inhouse.id:
        out.append(("App. 5 para 2", "the independent actuary cannot verify themself"))
    if not indep.license_number:
        out.append(("App. 6", f"{indep.full_name} has no actuarial license in the registry"))
    prior = {e.year for e in s.execute(select(ActuaryEngagement).where(
        ActuaryEngagement.independent_id == indep.id)).scalars() if e.organization.strip().casefold() == org}
    run = 0
    y = year - 1
    while y in prior:
        run += 1
        y -= 1
    if run >= MAX_CONSECUTIVE_YEARS:
        out.append(("App. 5 para 5", f"{indep.full_name} verified {organization} for {run} consecutive years "
                                     f"({year - run}–{year - 1}): at most {MAX_CONSECUTIVE_YEARS}"))
    for af in json.loads(indep.affiliations):
        name = str(af.get("name", "")).strip().casefold()
        aorg = str(af.get("organization", "")).strip().casefold()
        if name in (org, inhouse.full_name.casefold()) or aorg == org:
            out.append(("App. 5 para 6(1)", f"{indep.full_name} is affiliated with or related to "
                                            f"{af.get('name') or af.get('organization')} ({af.get('grounds', '')})"))
            break
    cross = [e for e in s.execute(select(ActuaryEngagement).where(
        ActuaryEngagement.independent_id == inhouse.id, ActuaryEngagement.inhouse_id == indep.id)).scalars()
        if e.year >= year - 1]
    if cross:
        out.append(("App. 5 para 6(2)", f"{inhouse.full_name} verified {indep.full_name} as an independent actuary "
                                        f"for {cross[0].year}: cross-verification within 1 calendar year"))
    window = date(year - 1, 1, 1)
    for e in json.loads(indep.employment):
        if str(e.get("organization", "")).strip().casefold() != org:
            continue
        to = date.fromisoformat(e["to"]) if e.get("to") else None
        if to is None or to >= window:
            out.append(("App. 5 para 6(3)", f"{indep.full_name} worked at {organization} "
                                            f"until {to.isoformat() if to else 'now'}: not within the last 2 "
                                            "calendar years"))
            break
    return out


def check_engagement(db: Database, actor: Actor, *, organization: str, independent_id: int, inhouse_id: int,
                     year: int) -> EngagementCheck:
    """May ``independent_id`` verify ``inhouse_id`` at ``organization`` for reporting ``year``? Each refusal
    names its rule of Appendix 5."""
    _read(db, actor, "actuary.engagement.check")
    with db.session() as s:
        r = _check(s, organization, _actuary(s, independent_id), _actuary(s, inhouse_id), year)
    return EngagementCheck(not r, r)


def record_engagement(db: Database, actor: Actor, *, organization: str, independent_id: int, inhouse_id: int,
                      year: int, ended_on: date | None = None, now: datetime | None = None) -> EngagementCheck:
    """Record an engagement after the checks pass (refused, naming the rule, otherwise)."""
    at = _now(now)

    def work(s: Session) -> tuple[EngagementCheck, dict[str, Any]]:
        r = _check(s, organization, _actuary(s, independent_id), _actuary(s, inhouse_id), year)
        if r:
            raise InputError("the engagement is prohibited: " + "; ".join(f"{rule}: {why}" for rule, why in r))
        s.add(ActuaryEngagement(organization=organization.strip(), independent_id=independent_id,
                                inhouse_id=inhouse_id, year=year, ended_on=ended_on, recorded_by=actor.username[:64],
                                recorded_at=at))
        return EngagementCheck(True, []), {"organization": organization, "year": year}

    return _op(db, actor, "actuary.manage", "actuary.engagement", f"{organization}:{year}", work, at)
