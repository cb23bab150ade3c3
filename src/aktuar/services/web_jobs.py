"""Background jobs of the web application, kept in the database (table ``web_jobs``, migration 0006).

A job prepares a valuation run in a thread of the server process that received the request (kinds
``run.prepare``: a reserving run, ``ifrs17.prepare``: an IFRS 17 close from an uploaded package). Its row is the
truth every server process reads, so with several processes (``uvicorn --workers N``, or servers behind a load
balancer) a browser or API client polling ``/jobs/{id}`` sees the job whichever process answers:

- **start** checks the permission (a refusal is audited), writes the row (id: a random URL-safe token; owner;
  kind; the parameters, so that it can be started again; status ``running``; worker ``host:pid``) and starts the
  thread. Progress is written to the row at most every :data:`PROGRESS_SECONDS` (and at the end); while the job
  runs, a heartbeat refreshes ``updated_at`` every :data:`HEARTBEAT_SECONDS` even when a long step reports no
  progress. The outcome — ``done`` with the run, or ``failed`` with a short reason (an input error's message with
  its file, row and column; never a stack trace, path or SQL) — is written when the thread ends.
- **get** returns a job to its owner only: for anyone else it does not exist (the pages answer 404).
- A ``running`` job whose process is gone is **interrupted**: its worker is this process but the job is not one
  of this process's live threads (a previous process with the same pid), its worker's pid on this host is no
  longer alive, or (any host) it has not reported for :data:`STALE_AFTER`. :meth:`WebJobs.sweep` marks them at
  application start (and removes finished jobs older than :data:`KEEP_FINISHED`); :meth:`WebJobs.get` checks
  the job it reads. Each interruption is audited. The job page then says so and offers to start it again with
  the same parameters (:meth:`WebJobs.restart`). A run row the interrupted process had begun stays ``running``
  until ``aktuar runs recover`` marks it failed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from aktuar.errors import AktuarError, InputError
from aktuar.security import audit, rbac
from aktuar.security.context import SYSTEM, Actor
from aktuar.services import valuation
from aktuar.services.methodology import DatabaseUnavailable, database_errors, guarded, worker_id
from aktuar.store.db import Database
from aktuar.store.models import WebJob

log = logging.getLogger("aktuar.web")

STATUSES: tuple[str, ...] = ("running", "done", "failed", "interrupted")
PROGRESS_SECONDS = 0.5
HEARTBEAT_SECONDS = 20.0
STALE_AFTER = timedelta(minutes=5)
KEEP_FINISHED = timedelta(days=30)
MAX_ERROR = 500
INTERNAL = "internal"  # the error of a job that failed for a reason the user cannot act on (details in the log)
FORBIDDEN = "forbidden"
_PATH_RE = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+){2,}[\\/]?")

Progress = Callable[[int, int], None]
Body = Callable[[Database, Actor, dict[str, Any], Progress, datetime], valuation.RunView]


@dataclass(frozen=True)
class JobKind:
    """What a kind of job does: the permission it needs, its body, the page where it is started and what its
    progress counts."""

    permission: str
    body: Body
    page: str
    unit: str


@dataclass(frozen=True)
class Job:
    """A background job as its owner sees it."""

    id: str
    owner: str
    kind: str
    status: str  # running | done | failed | interrupted
    done: int
    total: int
    run_id: int | None
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    worker: str
    params: dict[str, Any] = field(default_factory=dict)
    error_file: str | None = None
    error_row: int | None = None
    error_column: str | None = None

    @property
    def page(self) -> str:
        """Where a job of this kind is started (the link after a failure)."""
        spec = KINDS.get(self.kind)
        return spec.page if spec is not None else "/dashboard"

    @property
    def unit(self) -> str:
        spec = KINDS.get(self.kind)
        return spec.unit if spec is not None else "steps"


# ------------------------------------------------------------------------------------------------ job bodies
def reserving_params(reporting_date: date, scope: list[str], methodology_id: int, inputs: dict[str, int],
                     parameters: dict[str, Any] | None = None, *, is_test: bool = False) -> dict[str, Any]:
    """The parameters of a ``run.prepare`` job (JSON), as ``valuation.prepare_run`` takes them."""
    return {"reporting_date": reporting_date.isoformat(), "scope": [str(x) for x in scope],
            "methodology_id": int(methodology_id), "inputs": {str(k): int(v) for k, v in inputs.items()},
            "parameters": dict(parameters or {}), "is_test": bool(is_test)}


def ifrs17_params(dataset_id: int, methodology_id: int, *, is_test: bool = False) -> dict[str, Any]:
    """The parameters of an ``ifrs17.prepare`` job (JSON)."""
    return {"dataset_id": int(dataset_id), "methodology_id": int(methodology_id), "is_test": bool(is_test)}


def _bad_params(page: str) -> InputError:
    return InputError(f"the job's parameters are incomplete: start the run again from {page}")


def _prepare_reserving(db: Database, actor: Actor, p: dict[str, Any], progress: Progress,
                       now: datetime) -> valuation.RunView:
    try:
        reporting = date.fromisoformat(str(p["reporting_date"]))
        scope = [str(x) for x in p.get("scope") or []]
        methodology_id = int(p["methodology_id"])
        inputs = {str(k): int(v) for k, v in dict(p["inputs"]).items()}
        parameters = dict(p.get("parameters") or {})
        is_test = bool(p.get("is_test", False))
    except (KeyError, TypeError, ValueError):
        raise _bad_params("the reserving page") from None
    return valuation.prepare_run(db, actor, reporting, scope, methodology_id, inputs, parameters, is_test=is_test,
                                 progress=progress, now=now)


def _prepare_ifrs17(db: Database, actor: Actor, p: dict[str, Any], progress: Progress,
                    now: datetime) -> valuation.RunView:
    from aktuar.services.ifrs17_web import prepare_close_run

    try:
        dataset_id, methodology_id = int(p["dataset_id"]), int(p["methodology_id"])
        is_test = bool(p.get("is_test", False))
    except (KeyError, TypeError, ValueError):
        raise _bad_params("the IFRS 17 page") from None
    return prepare_close_run(db, actor, dataset_id, methodology_id, is_test=is_test, progress=progress, now=now)


KINDS: dict[str, JobKind] = {
    "run.prepare": JobKind("run.prepare", _prepare_reserving, "/reserving", "segments"),
    "ifrs17.prepare": JobKind("run.prepare", _prepare_ifrs17, "/ifrs17/new", "steps"),
}


# ---------------------------------------------------------------------------------------------- liveness
_LIVE: set[str] = set()  # ids of the jobs whose thread runs in this process
_LIVE_LOCK = threading.Lock()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    except OSError:
        return False
    return True


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _view(row: WebJob) -> Job:
    try:
        params = json.loads(row.params or "{}")
    except ValueError:
        params = {}
    return Job(id=row.id, owner=row.owner, kind=row.kind, status=row.status, done=int(row.done or 0),
               total=int(row.total or 0), run_id=row.run_id, error=row.error, started_at=_utc(row.started_at),
               updated_at=_utc(row.updated_at), finished_at=_utc(row.finished_at) if row.finished_at else None,
               worker=row.worker, params=params if isinstance(params, dict) else {}, error_file=row.error_file,
               error_row=row.error_row, error_column=row.error_column)


class WebJobs:
    """The background jobs of one web application over ``db``; ``clock`` gives "now" for the rows' times."""

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None, *,
                 stale_after: timedelta = STALE_AFTER, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 progress_seconds: float = PROGRESS_SECONDS) -> None:
        self.db = db
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stale_after = stale_after
        self.heartbeat_seconds = heartbeat_seconds
        self.progress_seconds = progress_seconds

    # ------------------------------------------------------------------------------------------ reading
    def alive(self, job: WebJob | Job, now: datetime | None = None) -> bool:
        """Whether a ``running`` job still has a process working on it (module doc)."""
        worker = str(job.worker or "")
        if worker == worker_id():
            with _LIVE_LOCK:
                return job.id in _LIVE
        host, _, pid = worker.rpartition(":")
        if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
            return False
        return _utc(now or self.clock()) - _utc(job.updated_at) < self.stale_after

    def get(self, job_id: str, actor: Actor) -> Job | None:
        """The job if it exists and belongs to ``actor`` (nobody else learns that it exists); a ``running`` job
        whose process is gone is marked ``interrupted`` first."""
        now = self.clock()
        with database_errors(), self.db.session() as s:
            row = s.get(WebJob, str(job_id)[:64])
            if row is None or row.owner != actor.username:
                return None
            if row.status == "running" and not self.alive(row, now):
                self._interrupt(s, [row], now)
            return _view(row)

    def sweep(self) -> list[str]:
        """Mark every ``running`` job whose process is gone as ``interrupted`` (audited) and remove finished
        jobs older than :data:`KEEP_FINISHED`; returns the ids interrupted. Called when the application
        starts."""
        now = self.clock()
        with database_errors(), self.db.session() as s:
            rows = list(s.execute(select(WebJob).where(WebJob.status == "running").order_by(WebJob.started_at))
                        .scalars())
            gone = [r for r in rows if not self.alive(r, now)]
            ids = self._interrupt(s, gone, now)
            s.execute(delete(WebJob).where(WebJob.status != "running", WebJob.finished_at.is_not(None),
                                           WebJob.finished_at < now - KEEP_FINISHED)
                      .execution_options(synchronize_session=False))
        return ids

    def _interrupt(self, s: Any, rows: list[WebJob], now: datetime) -> list[str]:
        ids: list[str] = []
        for row in rows:
            result = s.execute(update(WebJob).where(WebJob.id == row.id, WebJob.status == "running")
                               .values(status="interrupted", finished_at=now, updated_at=now)
                               .execution_options(synchronize_session=False))
            if result.rowcount:
                ids.append(row.id)
                audit.record(s, SYSTEM, "business", "job.interrupted", object=f"job:{row.id[:8]}",
                             details={"kind": row.kind, "owner": row.owner, "worker": row.worker,
                                      "last_report": _utc(row.updated_at).isoformat(),
                                      "done": row.done, "total": row.total})
            s.refresh(row)
        return ids

    # ----------------------------------------------------------------------------------------- starting
    def start(self, actor: Actor, kind: str, params: dict[str, Any], *, wait: bool = False) -> Job:
        """Start a job of ``kind`` with ``params`` in a thread of this process (``wait`` joins it: tests)."""
        spec = KINDS.get(kind)
        if spec is None:
            raise InputError(f"unknown job kind '{str(kind)[:32]}': use one of {', '.join(KINDS)}")
        guarded(self.db, actor, spec.permission, "run:new", lambda: rbac.require(actor, spec.permission),
                details={"job": kind})
        text = audit.canonical(params)
        if len(text) > 100_000:
            raise InputError("the job's parameters are too long")
        now = self.clock()
        job_id = secrets.token_urlsafe(16)
        with _LIVE_LOCK:
            _LIVE.add(job_id)
        try:
            with database_errors(), self.db.session() as s:
                s.add(WebJob(id=job_id, owner=actor.username, kind=kind, status="running", done=0, total=0,
                             params=text, started_at=now, updated_at=now, worker=worker_id()))
        except BaseException:
            with _LIVE_LOCK:
                _LIVE.discard(job_id)
            raise
        thread = threading.Thread(target=self._run, args=(job_id, actor, spec, json.loads(text), now),
                                  name=f"aktuar-job-{job_id[:6]}", daemon=True)
        thread.start()
        if wait:
            thread.join()
        job = self.get(job_id, actor)
        assert job is not None
        return job

    def restart(self, job_id: str, actor: Actor) -> Job | None:
        """Start an interrupted or failed job of ``actor`` again with the same parameters (a new job); None when
        ``actor`` has no such job."""
        job = self.get(job_id, actor)
        if job is None:
            return None
        if job.status not in ("interrupted", "failed"):
            raise InputError("only an interrupted or failed job can be started again")
        return self.start(actor, job.kind, job.params)

    # ------------------------------------------------------------------------------------------ running
    def _write(self, job_id: str, values: dict[str, Any], *, only_running: bool = True, attempts: int = 1) -> None:
        for attempt in range(attempts):
            try:
                with self.db.session() as s:
                    q = update(WebJob).where(WebJob.id == job_id)
                    if only_running:
                        q = q.where(WebJob.status == "running")
                    s.execute(q.values(**values).execution_options(synchronize_session=False))
                return
            except Exception:  # noqa: BLE001 - progress must never break the run; the outcome is retried
                if attempt + 1 == attempts:
                    log.warning("could not record the state of job %s", job_id[:8], exc_info=True)
                else:
                    time.sleep(0.2 * (attempt + 1))

    def _run(self, job_id: str, actor: Actor, spec: JobKind, params: dict[str, Any], now: datetime) -> None:
        stop = threading.Event()
        lock = threading.Lock()
        state = {"done": 0, "total": 0, "last": float("-inf")}

        def progress(done: int, total: int) -> None:
            with lock:
                state["done"], state["total"] = int(done), int(total)
                tick = time.monotonic()
                if tick - state["last"] < self.progress_seconds:
                    return
                state["last"] = tick
                self._write(job_id, {"done": int(done), "total": int(total), "updated_at": self.clock()})

        def heartbeat() -> None:
            while not stop.wait(self.heartbeat_seconds):
                self._write(job_id, {"updated_at": self.clock()})

        beat = threading.Thread(target=heartbeat, name=f"aktuar-beat-{job_id[:6]}", daemon=True)
        beat.start()
        try:
            try:
                run = spec.body(self.db, actor, params, progress, now)
                with lock:
                    total = int(state["total"])
                    outcome: dict[str, Any] = {"status": "done", "run_id": run.id, "total": total,
                                               "done": max(int(state["done"]), total)}
            except rbac.PermissionDenied:
                outcome = {"status": "failed", "error": FORBIDDEN}
            except InputError as exc:
                outcome = {"status": "failed", **self._input_error(exc)}
            except DatabaseUnavailable:  # its sentence names the server: the log has it, the user a short one
                log.exception("job %s (%s) failed: database unavailable", job_id[:8], spec.page)
                outcome = {"status": "failed", "error": INTERNAL}
            except AktuarError as exc:  # integrity, separation of duties: a sentence to act on
                outcome = {"status": "failed", "error": self._clean(str(exc)) or INTERNAL}
            except Exception:  # noqa: BLE001 - reported to the user as a failed job; details in the log
                log.exception("job %s (%s) failed", job_id[:8], spec.page)
                outcome = {"status": "failed", "error": INTERNAL}
            if outcome["status"] == "failed":
                with lock:
                    outcome.update(done=int(state["done"]), total=int(state["total"]))
            stop.set()
            at = self.clock()
            self._write(job_id, {**outcome, "updated_at": at, "finished_at": at}, only_running=False, attempts=3)
        finally:
            stop.set()
            with _LIVE_LOCK:
                _LIVE.discard(job_id)

    # ------------------------------------------------------------------------------------------- errors
    def _clean(self, text: str) -> str:
        """A reason for the user: the data directory and any absolute path removed, one line, ≤ 500 chars."""
        t = " ".join(str(text).split())
        t = t.replace(str(self.db.settings.data_dir), "…")
        return _PATH_RE.sub("…", t)[:MAX_ERROR]

    def _input_error(self, exc: InputError) -> dict[str, Any]:
        file = None
        if exc.file:
            f = str(exc.file)
            if f.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", f):  # a server path: its base name only
                f = re.split(r"[\\/]", f)[-1]
            file = f[:300]
        return {"error": self._clean(exc.message) or INTERNAL, "error_file": file, "error_row": exc.row,
                "error_column": None if exc.column is None else str(exc.column)[:200]}
