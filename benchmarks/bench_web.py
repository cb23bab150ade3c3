"""Web API under load: 50 concurrent API clients over TLS on loopback, mixed reads and 5 concurrent runs.

The server is ``aktuar serve``'s uvicorn with the development certificate in a process of its own, over a
SQLite database in a temporary data directory (``AKTUAR_DATABASE_URL`` pointing at PostgreSQL is used instead
when set); the clients are threads with one keep-alive HTTPS connection each, authenticated by service-account
API tokens (every use audited, as in production). 45 clients read (runs list, one run, datasets, who am I);
5 clients prepare runs of the Taylor/Ashe triangle in a loop (POST /api/v1/runs, then poll /api/v1/jobs/{id}).
No peer: the rows report latency percentiles and throughput; any error fails the goal.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

GOAL = "50 clients for 60 s (5 of them preparing runs): zero errors; p50/p99 latency and throughput reported."
CLIENTS = 50
RUNNERS = 5
REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference" / "data" / "mack1993_taylor_ashe.json"


def _setup(data_dir: Path) -> dict[str, Any]:
    """A migrated database with an IS officer, an IT admin, two approved technological accounts (reader:
    risk manager; runner: actuary), a coordinated methodology and the Taylor/Ashe triangle."""
    import csv

    from aktuar.security import mfa
    from aktuar.security.context import Actor
    from aktuar.services import accounts, valuation
    from aktuar.services import methodology as meth
    from aktuar.store.db import Database, Settings

    url = os.environ.get("AKTUAR_DATABASE_URL") or f"sqlite:///{data_dir / 'aktuar.sqlite3'}"
    db = Database(Settings.from_env(data_dir=data_dir, database_url=url))
    db.upgrade()
    now = datetime.now(UTC) - timedelta(minutes=5)
    pw = "granite river lantern okapi"
    accounts.bootstrap(db, "a.officer", "Aigul Officer", pw, now)
    e = accounts.begin_mfa_enrollment(db, "a.officer", pw, source="bench", now=now)
    accounts.confirm_mfa_enrollment(db, "a.officer", pw, mfa.code_at(e.secret, now), source="bench", now=now)
    officer = accounts.login(db, "a.officer", pw, mfa.code_at(e.secret, now + timedelta(seconds=30)), "bench",
                             now + timedelta(seconds=30)).actor
    accounts.create_user(db, officer, "i.itadmin", "Ivan Admin", "violet harbor sprocket 11", ["it_admin"], now=now)
    it = Actor("i.itadmin", frozenset({"it_admin"}), user_id=accounts.get_user(db, officer, "i.itadmin").id,
               source="bench", via="cli")
    tokens = {}
    for name, roles, scopes in (("reader", ["risk_manager"], ["run.read", "data.read"]),
                                ("runner", ["actuary"], ["run.read", "run.prepare", "data.read"])):
        sa = accounts.request_service_account(db, it, "bench", name, "load benchmark", "i.itadmin", roles, now=now)
        accounts.approve_service_account(db, it, sa.id, now=now)
        accounts.approve_service_account(db, officer, sa.id, now=now)
        tokens[name] = accounts.issue_token(db, it, sa.id, scopes, 30, now=now).token
    actuary = Actor("bench.actuary", frozenset({"actuary"}), user_id=9001, source="bench")
    chief = Actor("bench.chief", frozenset({"chief_actuary"}), user_id=9002, source="bench")
    m = meth.create(db, actuary, "IBNR methodology", "1.0", parameters={"default": {"method": "mack"}},
                    description="Mack chain ladder")
    meth.submit(db, chief, m.id, date(2026, 1, 10))
    m_id = meth.coordinate(db, chief, m.id, date(2026, 2, 1), "ARDFM 12-3/456").id
    d = json.loads(REFERENCE.read_text())["triangle"]
    tri = data_dir / "taylor-ashe.csv"
    with open(tri, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["origin", *d["development"]])
        for o, row in zip(d["origin"], d["values"], strict=True):
            w.writerow([o, *["" if v is None else repr(float(v)) for v in row]])
    ds = valuation.import_dataset(db, actuary, tri, "triangle")
    run = valuation.prepare_run(db, actuary, date(2025, 12, 31), None, m_id, {"triangle": ds.id})
    db.dispose()
    return {"url": url, "tokens": tokens, "methodology": m_id, "dataset": ds.id, "run": run.id}


def _serve(data_dir: str, url: str, port: int, ready: Any) -> None:
    """The server process: the app over the database, uvicorn with TLS ≥ 1.2 and the development certificate."""
    import logging

    import uvicorn

    from aktuar.cli_serve import uvicorn_config
    from aktuar.store.db import Database, Settings
    from aktuar.web import WebSettings, create_app
    from aktuar.web.tls import dev_certificate, server_context

    logging.getLogger("aktuar.web").setLevel(logging.ERROR)
    db = Database(Settings.from_env(data_dir=Path(data_dir), database_url=url))
    app = create_app(WebSettings(database=db))
    ctx = server_context(*dev_certificate(Path(data_dir), "127.0.0.1"))
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port, ctx, log_level="error"))
    threading.Thread(target=lambda: (time.sleep(0.5), ready.set()), daemon=True).start()
    server.run()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _load(base: str, setup: dict[str, Any], seconds: float) -> dict[str, Any]:
    import httpx

    stop = time.monotonic() + seconds
    lock = threading.Lock()
    reads: list[float] = []
    run_secs: list[float] = []
    errors: list[str] = []

    def reader(k: int) -> None:
        h = {"Authorization": f"Bearer {setup['tokens']['reader']}"}
        paths = ["/api/v1/runs?limit=20", f"/api/v1/runs/{setup['run']}", "/api/v1/datasets", "/api/v1/me"]
        with httpx.Client(base_url=base, verify=False, timeout=30) as c:
            i = k
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    r = c.get(paths[i % len(paths)], headers=h)
                    ok = r.status_code == 200
                    why = f"{r.status_code} {r.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, why = False, type(exc).__name__
                dt = time.perf_counter() - t0
                with lock:
                    (reads.append(dt) if ok else errors.append(why))
                i += 1

    def runner(_k: int) -> None:
        h = {"Authorization": f"Bearer {setup['tokens']['runner']}"}
        body = {"reporting_date": "2025-12-31", "methodology_id": setup["methodology"],
                "triangle": setup["dataset"]}
        with httpx.Client(base_url=base, verify=False, timeout=60) as c:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/v1/runs", json=body, headers=h)
                    if r.status_code != 202:
                        raise RuntimeError(f"{r.status_code} {r.text[:120]}")
                    job = r.json()["id"]
                    while True:
                        j = c.get(f"/api/v1/jobs/{job}", headers=h).json()
                        if j["status"] != "running":
                            break
                        time.sleep(0.05)
                    if j["status"] != "done":
                        raise RuntimeError(f"job failed: {j.get('error')}")
                    with lock:
                        run_secs.append(time.perf_counter() - t0)
                except (httpx.HTTPError, RuntimeError, KeyError, ValueError) as exc:
                    with lock:
                        errors.append(str(exc)[:160])

    threads = [threading.Thread(target=runner, args=(k,)) for k in range(RUNNERS)]
    threads += [threading.Thread(target=reader, args=(k,)) for k in range(CLIENTS - RUNNERS)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"reads": reads, "runs": run_secs, "errors": errors, "elapsed": time.perf_counter() - t0}


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run(quick: bool = False) -> list[dict]:
    from benchmarks.common import row

    seconds = 5.0 if quick else 60.0
    with tempfile.TemporaryDirectory(prefix="aktuar-bench-web-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        setup = _setup(data_dir)
        port = _free_port()
        ctx = mp.get_context("spawn")
        ready = ctx.Event()
        proc = ctx.Process(target=_serve, args=(str(data_dir), setup["url"], port, ready), daemon=True)
        proc.start()
        try:
            if not ready.wait(60):
                raise RuntimeError("the web server did not start")
            base = f"https://127.0.0.1:{port}"
            import httpx

            for _ in range(100):  # wait until it accepts connections
                try:
                    httpx.get(f"{base}/login", verify=False, timeout=5)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            res = _load(base, setup, seconds)
        finally:
            proc.terminate()
            proc.join(10)
    reads, runs, errors, elapsed = res["reads"], res["runs"], res["errors"], res["elapsed"]
    n_err = len(errors)
    first = f"; first error: {errors[0]}" if errors else ""
    note = (f"{CLIENTS} clients, {seconds:.0f} s, errors {n_err}{first}")
    return [
        row("mixed reads: p50 latency", (statistics.median(reads) if reads else float("nan"), float("nan")), "—",
            None, f"{len(reads):,} requests; {note}"),
        row("mixed reads: p99 latency", (_pct(reads, 0.99), float("nan")), "—", None,
            f"throughput {len(reads) / elapsed:,.0f} requests/s"),
        row(f"runs prepared by {RUNNERS} concurrent clients: p50 time", (statistics.median(runs) if runs else
                                                                        float("nan"), float("nan")), "—", None,
            f"{len(runs)} runs, p99 {_pct(runs, 0.99):.2f} s, {len(runs) / elapsed * 60:,.1f} runs/min"),
        row("errors (goal: 0)", (float(n_err), float("nan")), "—", None, "count, not seconds" + first),
    ]
