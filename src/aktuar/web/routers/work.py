"""Pages of the valuation work: data upload and history, reserving analysis and run creation (with progress),
run detail, comparison and XLSX download, and the IFRS 17 close (upload of a close package and preparation of
its run in the background).

Routes stay thin: ``services.web_support`` / ``services.valuation`` check permissions, validate and audit; the
pages hide what a role may not do. Every form post carries the session's CSRF token; uploads are bounded by
``Content-Length`` before the body is parsed and again while the file is copied.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from aktuar.errors import InputError
from aktuar.services import ifrs17_web, valuation, web_jobs, web_support
from aktuar.services.methodology import list_methodologies
from aktuar.web import charts, i18n
from aktuar.web.deps import allowed, db_of, now_of, page_post_who, page_who, render
from aktuar.web.security import Who

router = APIRouter(include_in_schema=False)
PageWho = Annotated[Who, Depends(page_who)]
PostWho = Annotated[Who, Depends(page_post_who)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
JobId = Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
MAX_EXCLUSIONS = 200
# an IFRS 17 close package (kind ifrs17) is a .zip: ifrs17_web; statutory close packages are imported and their
# governed runs prepared from the command line ('aktuar runs import --kind statutory', docs/statutory-close.md)
UPLOAD_KINDS = [k for k in valuation.KINDS if k != "statutory"]
FORM_OVERHEAD = 64 * 1024


class TooLarge(InputError):
    """The request body is larger than the upload limit (413)."""

    http_status = 413


def upload_limit(request: Request) -> int:
    return int(getattr(request.app.state.settings, "max_upload_bytes", web_support.DEFAULT_MAX_UPLOAD_BYTES))


def limit_body(request: Request) -> None:
    """Refuse an upload whose declared size exceeds the limit before the body is read; a body without a
    ``Content-Length`` is refused too (no unbounded spooling)."""
    raw = request.headers.get("content-length")
    if raw is None or not raw.isdigit():
        raise TooLarge("the upload needs a Content-Length")
    if int(raw) > upload_limit(request) + FORM_OVERHEAD:
        raise TooLarge(f"the file is larger than the upload limit of {upload_limit(request) // (1024 * 1024)} MB")


async def form_data(request: Request) -> FormData:
    return await request.form()


def _fmt(lang: str, digits: int = 0) -> Any:
    return lambda v: i18n.format_number(v, lang, digits)


# ------------------------------------------------------------------------------------------------- data
def _datasets(request: Request, who: Who) -> list[valuation.DatasetView]:
    assert who.actor is not None
    return list(reversed(valuation.list_datasets(db_of(request), who.actor)))


@router.get("/data")
def data_page(request: Request, who: PageWho, imported: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
              kind: Annotated[str, Query(max_length=20, pattern=r"^[a-z0-9]*$")] = "") -> Response:
    return render(request, "data.html", who.lang, datasets=_datasets(request, who), kinds=UPLOAD_KINDS,
                  problem=None, imported=imported, may_import=allowed(who, "data.import"),
                  may_prepare=allowed(who, "run.prepare"), chosen_kind=kind if kind in UPLOAD_KINDS else "",
                  limit_mb=upload_limit(request) // (1024 * 1024))


@router.post("/data/upload", dependencies=[Depends(limit_body)])
def upload(request: Request, who: PostWho, file: Annotated[UploadFile, File()],
           kind: Annotated[str, Form(max_length=20)] = "triangle") -> Response:
    """A data file, or (kind ``ifrs17``) an IFRS 17 close package: a ZIP checked like
    ``aktuar runs import --kind ifrs17``; a refusal shows the validation report (file, member, row, column)."""
    assert who.actor is not None
    if kind not in UPLOAD_KINDS:
        raise InputError(f"unknown dataset kind '{kind[:20]}': choose one of {', '.join(UPLOAD_KINDS)}")
    if kind == "ifrs17":
        out = ifrs17_web.import_package_upload(db_of(request), who.actor, file.filename or "", file.file,
                                               max_bytes=upload_limit(request), now=now_of(request))
        if out.dataset is not None:
            return RedirectResponse(f"/ifrs17/new?imported={out.dataset.id}", status_code=303)
    else:
        out = web_support.import_upload(db_of(request), who.actor, file.filename or "", file.file, kind,
                                        max_bytes=upload_limit(request), now=now_of(request))
        if out.dataset is not None:
            return RedirectResponse(f"/data?imported={out.dataset.id}", status_code=303)
    return render(request, "data.html", who.lang, status_code=422, datasets=_datasets(request, who),
                  kinds=UPLOAD_KINDS, problem=out.problem, imported=0, may_import=True,
                  may_prepare=allowed(who, "run.prepare"), chosen_kind=kind if kind in UPLOAD_KINDS else "",
                  limit_mb=upload_limit(request) // (1024 * 1024))


# -------------------------------------------------------------------------------------------- reserving
def _methodologies(request: Request, who: Who) -> list[Any]:
    assert who.actor is not None
    if not allowed(who, "methodology.read"):
        return []
    return [m for m in list_methodologies(db_of(request), who.actor) if m.status in ("coordinated", "draft",
                                                                                     "submitted")]


@router.get("/reserving")
def reserving_page(request: Request, who: PageWho) -> Response:
    assert who.actor is not None
    ds = _datasets(request, who)
    return render(request, "reserving.html", who.lang, datasets=ds, methodologies=_methodologies(request, who),
                  may_prepare=allowed(who, "run.prepare"), methods=web_support.ANALYSIS_METHODS,
                  default_date=_default_date(request))


def _default_date(request: Request) -> str:
    today = now_of(request).date()
    return date(today.year - 1, 12, 31).isoformat()


def _exclusions(form: FormData) -> list[Any]:
    origins, ages, reasons = form.getlist("ex_origin"), form.getlist("ex_age"), form.getlist("ex_reason")
    keep = set(form.getlist("ex_keep"))
    if not len(origins) == len(ages) == len(reasons) or len(origins) > MAX_EXCLUSIONS:
        raise InputError("the exclusions of the form are incomplete: reload the page")
    items = [(str(o), str(a), str(r)) for i, (o, a, r) in enumerate(zip(origins, ages, reasons, strict=True))
             if str(i) in keep]
    new_origin, new_age, new_reason = (str(form.get(k) or "") for k in ("new_origin", "new_age", "new_reason"))
    if new_origin and new_age:
        items.append((new_origin, new_age, new_reason))
    for o, a, r in items:
        if len(o) > 32 or len(a) > 6 or len(r) > 300:
            raise InputError("an exclusion has an origin of at most 32 characters and a reason of at most 300")
    return web_support.parse_exclusions(items)


def _int(form: FormData, key: str, default: int, lo: int, hi: int) -> int:
    raw = str(form.get(key) or "").strip()
    if not raw:
        return default
    if not raw.lstrip("-").isdigit() or not lo <= int(raw) <= hi:
        raise InputError(f"the field {key} is a whole number from {lo} to {hi}")
    return int(raw)


def _date(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise InputError("a date is written yyyy-mm-dd") from None


def _analysis_page(request: Request, who: Who, ds_id: int, form: FormData | None) -> Response:
    assert who.actor is not None
    exclusions = _exclusions(form) if form is not None else []
    fdata = form if form is not None else FormData(request.query_params)

    def get(key: str) -> str:
        return str(fdata.get(key) or "")

    segment = _int(fdata, "segment", 0, 0, 100_000)
    exposure = _int(fdata, "exposure", 0, 0, 2_147_483_647)
    sims = _int(fdata, "sims", 1000, 1, web_support.MAX_SIMS)
    average = get("average") or "volume"
    if average not in ("volume", "simple", "regression"):
        raise InputError("the average is volume, simple or regression")
    apriori_raw = get("apriori").replace(",", ".").strip()
    try:
        apriori = float(apriori_raw) if apriori_raw else 0.65
    except ValueError:
        raise InputError("the a priori loss ratio is a number such as 0.65") from None
    if not math.isfinite(apriori) or not 0 <= apriori <= 10:
        raise InputError("the a priori loss ratio is a number from 0 to 10")
    reporting = _date(get("reporting_date")) or date.fromisoformat(_default_date(request))
    a = web_support.analyse_dataset(db_of(request), who.actor, ds_id, segment=segment, exclusions=exclusions,
                                    average=average, exposure_id=exposure or None, apriori=apriori, sims=sims,
                                    reporting_date=reporting)
    lang = who.lang
    f0, f3 = _fmt(lang, 0), _fmt(lang, 3)
    ages = [str(x) for x in a.ages]
    ldf_chart = charts.line_chart(
        i18n.t(lang, "reserving.factor_chart"), [f"{a.ages[k]}→{a.ages[k + 1]}" for k in range(len(a.ages) - 1)],
        [(i18n.t(lang, "reserving.selected"), a.ldf[: len(a.ages) - 1])], f3,
        points=[(k, v, a.used[o][k]) for o, row in enumerate(a.link_ratios) for k, v in enumerate(row)
                if v is not None],
        x_title=i18n.t(lang, "reserving.age"), y_title=i18n.t(lang, "reserving.factor"))
    method_chart = charts.grouped_bars(
        i18n.t(lang, "reserving.by_origin_chart"), a.origins,
        [(i18n.t(lang, "method." + m.method), m.by_origin) for m in a.methods], f0,
        x_title=i18n.t(lang, "reserving.origin"))
    markers = [(f"{i18n.format_number(100 * q, lang, 1)} %", v) for q, v in zip(a.quantile_levels,
                                                                               a.total_quantiles, strict=False)]
    cl = next((m.ibnr for m in a.methods if m.method == "chainladder"), float("nan"))
    markers.insert(0, (i18n.t(lang, "method.chainladder"), cl))
    dist_chart = charts.histogram(i18n.t(lang, "reserving.distribution"), a.sims, f0, markers=markers,
                                  x_title=i18n.t(lang, "reserving.reserve"),
                                  y_title=i18n.t(lang, "reserving.simulations")) if a.sims else None
    datasets = _datasets(request, who)
    return render(request, "analysis.html", lang, a=a, ages=ages, ldf_chart=ldf_chart, method_chart=method_chart,
                  dist_chart=dist_chart, exposures=[d for d in datasets if d.kind == "exposure"],
                  segment=segment, exposure=exposure, sims=sims, apriori=apriori, average=average,
                  reporting_date=reporting.isoformat(), methodologies=_methodologies(request, who),
                  may_prepare=allowed(who, "run.prepare"), methods=web_support.ANALYSIS_METHODS)


@router.get("/reserving/{ds_id}")
def analysis_get(request: Request, ds_id: Id, who: PageWho) -> Response:
    return _analysis_page(request, who, ds_id, None)


@router.post("/reserving/{ds_id}")
def analysis_post(request: Request, ds_id: Id, who: PostWho,
                  form: Annotated[FormData, Depends(form_data)]) -> Response:
    return _analysis_page(request, who, ds_id, form)


@router.post("/reserving/runs/new")
def create_run(request: Request, who: PostWho, form: Annotated[FormData, Depends(form_data)]) -> Response:
    assert who.actor is not None
    actor = who.actor
    db = db_of(request)
    dataset = _int(form, "dataset", 0, 1, 2_147_483_647)
    exposure = _int(form, "exposure", 0, 0, 2_147_483_647)
    meth = _int(form, "methodology", 0, 1, 2_147_483_647)
    reporting = _date(str(form.get("reporting_date") or ""))
    if dataset == 0 or meth == 0 or reporting is None:
        raise InputError("choose a dataset, a methodology and the reporting date")
    is_test = str(form.get("is_test") or "") == "1"
    method = str(form.get("method") or "")
    exclusions = _exclusions(form)
    scope_text = str(form.get("scope") or "")[:2000]
    scope = [s.strip() for s in scope_text.split(";") if s.strip()]
    overrides: dict[str, Any] = {}
    if method:
        if method not in web_support.ANALYSIS_METHODS:
            raise InputError(f"unknown method '{method[:20]}'")
        overrides["method"] = method
        if method == "bootstrap":
            overrides["seed"] = 2026
    if exclusions:
        overrides["exclusions"] = [{"origin": e.origin, "age": e.age, "reason": e.reason} for e in exclusions]
    parameters: dict[str, Any] = {"reserving": overrides} if overrides else {}
    if overrides and not is_test:
        raise InputError("a run uses its methodology's options; a different method or exclusions make it a test "
                         "run: tick 'test run'")
    with db.session() as s:
        from aktuar.store.models import Dataset

        d = s.get(Dataset, dataset)
        role = d.kind if d is not None and d.kind in ("triangle", "claims") else "triangle"
    inputs = {role: dataset} | ({"exposure": exposure} if exposure else {})
    params = web_jobs.reserving_params(reporting, scope, meth, inputs, parameters, is_test=is_test)
    job = request.app.state.jobs.start(actor, "run.prepare", params)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/jobs/{job_id}")
def job_page(request: Request, job_id: JobId, who: PageWho) -> Response:
    """A background job's progress (its owner only; whichever server process started it): refreshes itself while
    running, goes to the run when done, says why when it failed or was interrupted."""
    assert who.actor is not None
    job = request.app.state.jobs.get(job_id, who.actor)
    if job is None:
        from fastapi import HTTPException

        raise HTTPException(404)
    if job.status == "done" and job.run_id is not None:
        return RedirectResponse(f"/runs/{job.run_id}?new=1", status_code=303)
    return render(request, "job.html", who.lang, job=job, may_restart=allowed(who, "run.prepare"))


@router.post("/jobs/{job_id}/restart")
def job_restart(request: Request, job_id: JobId, who: PostWho) -> Response:
    """Start an interrupted (or failed) job again with the same parameters: a new job."""
    assert who.actor is not None
    job = request.app.state.jobs.restart(job_id, who.actor)
    if job is None:
        from fastapi import HTTPException

        raise HTTPException(404)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# ------------------------------------------------------------------------------------------------- runs
@router.get("/runs/compare")
def compare_page(request: Request, who: PageWho, a: Annotated[int, Query(ge=1, le=2_147_483_647)],
                 b: Annotated[int, Query(ge=1, le=2_147_483_647)],
                 quantity: Annotated[str, Query(max_length=20, pattern=r"^[a-z0-9_.]*$")] = "ibnr") -> Response:
    assert who.actor is not None
    cmp = valuation.compare_runs(db_of(request), who.actor, a, b, quantities=[quantity] if quantity else None)
    lang = who.lang
    totals = [r for r in cmp.rows if r.origin == "Total"]
    chart = None
    origin_rows = [r for r in cmp.rows if r.origin != "Total" and not r.origin.startswith(("age ", "step "))]
    if origin_rows:
        chart = charts.grouped_bars(i18n.t(lang, "compare.chart", quantity=quantity),
                                    [f"{r.segment[:12]} {r.origin}" if len(cmp.methods) > 1 else r.origin
                                     for r in origin_rows],
                                    [(f"#{a}", [r.a if r.a is not None else 0.0 for r in origin_rows]),
                                     (f"#{b}", [r.b if r.b is not None else 0.0 for r in origin_rows])], _fmt(lang))
    return render(request, "compare.html", lang, cmp=cmp, totals=totals, chart=chart, quantity=quantity)


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: Id, who: PageWho, new: Annotated[int, Query(ge=0, le=1)] = 0) -> Response:
    assert who.actor is not None
    db = db_of(request)
    try:
        run = valuation.get_run(db, who.actor, run_id)
    except InputError:
        from fastapi import HTTPException

        raise HTTPException(404) from None
    rows = valuation.run_results(db, who.actor, run_id) if allowed(who, "run.read") else []
    quantities = ["latest", "ultimate", "ibnr", "se"]
    totals: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r.origin == "Total" and r.quantity in quantities + ["mean", "q0.995"]:
            totals.setdefault(r.segment, {"method": r.method})[r.quantity] = r.value
    statutory: dict[str, dict[str, Any]] = {}  # a statutory close: the reserves by class (item 9(1))
    solvency_ratio = None
    if run.engine == "statutory":
        totals = {}
        for r in rows:
            if r.quantity in ("total_gross", "total_reinsurance", "total_net") and r.segment != "Company":
                statutory.setdefault(r.segment, {})[r.quantity] = r.value
            elif r.segment == "Company" and r.quantity == "solvency_ratio":
                solvency_ratio = r.value
    others = [x for x in valuation.list_runs(db, who.actor, limit=100) if x.id != run_id]
    return render(request, "run.html", who.lang, run=run, totals=totals, others=others, new=new,
                  statutory=statutory, solvency_ratio=solvency_ratio,
                  may_review=allowed(who, "run.review"), may_approve=allowed(who, "run.approve"),
                  may_reject=allowed(who, "run.reject"), may_download=allowed(who, "report.read"))


@router.get("/runs/{run_id}/download.xlsx")
def download_xlsx(request: Request, run_id: Id, who: PageWho) -> Response:
    """The run's workbook in the user's language (``report.read``; audited with its SHA-256 and language)."""
    assert who.actor is not None
    d = web_support.export_run_xlsx(db_of(request), who.actor, run_id, who.lang, via="web")
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"',
                             "X-Content-SHA256": d.sha256})


@router.get("/runs/{run_id}/download.pdf")
def download_pdf(request: Request, run_id: Id, who: PageWho) -> Response:
    """The run's PDF report in the user's language (``report.read``; audited with the PDF's SHA-256)."""
    from aktuar.services.run_documents import export_run_pdf

    assert who.actor is not None
    d = export_run_pdf(db_of(request), who.actor, run_id, who.lang, now=now_of(request), via="web")
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f'attachment; filename="{d.filename}"',
                             "X-Content-SHA256": d.sha256})


# ---------------------------------------------------------------------------------------------- IFRS 17
@router.get("/ifrs17")
def ifrs17_page(request: Request, who: PageWho, date_: Annotated[str, Query(alias="date", max_length=10,
                                                                              pattern=r"^[0-9-]*$")] = "",
                run: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None) -> Response:
    assert who.actor is not None
    try:
        close = web_support.ifrs17_view(db_of(request), who.actor, run)
    except InputError:
        from fastapi import HTTPException

        raise HTTPException(404) from None
    dates = list(close.documents)
    chosen = date_ if date_ in close.documents else dates[-1]
    doc = close.documents[chosen]
    lang = who.lang
    rows = [r for r in close.summary if r["date"] == chosen]
    names = [r["portfolio"] for r in rows]
    balances = charts.grouped_bars(
        i18n.t(lang, "ifrs17.balances_chart"), names,
        [(i18n.t(lang, "ifrs17.lrc"), [r["lrc"] for r in rows]), (i18n.t(lang, "ifrs17.lic"), [r["lic"] for r in rows]),
         (i18n.t(lang, "ifrs17.loss_component"), [r["loss_component"] for r in rows]),
         (i18n.t(lang, "ifrs17.csm"), [r["csm"] for r in rows])], _fmt(lang))
    by_portfolio: dict[str, list[float]] = {}
    for d in dates:
        for r in close.summary:
            if r["date"] == d:
                by_portfolio.setdefault(r["portfolio"], []).append(r["lrc"] + r["csm"])
    runoff = charts.line_chart(i18n.t(lang, "ifrs17.runoff_chart"), dates, list(by_portfolio.items()), _fmt(lang),
                               x_title=i18n.t(lang, "ifrs17.date"))
    wanted = ("reconciliation",)
    tables = [t for t in doc["tables"] if t.get("kind") in wanted] or doc["tables"]
    return render(request, "ifrs17.html", lang, dates=dates, chosen=chosen, doc=doc, tables=tables, rows=rows,
                  balances=balances, runoff=runoff, runs=close.runs, run=close.run)


@router.get("/ifrs17/new")
def ifrs17_new_page(request: Request, who: PageWho,
                    imported: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
                    package: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0) -> Response:
    """Upload an IFRS 17 close package and prepare a run from a stored one (``data.read`` to see the packages)."""
    assert who.actor is not None
    db = db_of(request)
    packages = ifrs17_web.packages(db, who.actor)
    methodologies = ifrs17_web.close_methodologies(db, who.actor) if allowed(who, "methodology.read") else []
    return render(request, "ifrs17_new.html", who.lang, packages=packages, methodologies=methodologies,
                  imported=imported, chosen=imported or package, may_import=allowed(who, "data.import"),
                  may_prepare=allowed(who, "run.prepare"), limit_mb=upload_limit(request) // (1024 * 1024))


@router.post("/ifrs17/runs/new")
def ifrs17_create_run(request: Request, who: PostWho, form: Annotated[FormData, Depends(form_data)]) -> Response:
    """Prepare the IFRS 17 run of a stored package in the background (``run.prepare``): a job whose page shows the
    progress and then the run, which is reviewed and approved like every run."""
    assert who.actor is not None
    package = _int(form, "package", 0, 1, 2_147_483_647)
    meth = _int(form, "methodology", 0, 1, 2_147_483_647)
    if package == 0 or meth == 0:
        raise InputError("choose an IFRS 17 package and an IFRS 17 methodology")
    is_test = str(form.get("is_test") or "") == "1"
    job = request.app.state.jobs.start(who.actor, "ifrs17.prepare",
                                       web_jobs.ifrs17_params(package, meth, is_test=is_test))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)
