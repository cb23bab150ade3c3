"""The Kazakhstan statutory close as a governed valuation run (KZ84-AUTO) and the mandatory actuarial opinion
filled from the approved run (KZ191-OP).

Package (dataset kind ``statutory``)
    A ZIP holding the close configuration ``statutory.toml`` at its root and every file it names (contracts,
    claims, reinsurance, settlement expenses, OSNS beneficiaries, life policies and tables, assets, own funds,
    products and the opinion's text file ``[opinion] text_file``), nothing else. Packed, unpacked and checked by
    the same code as the IFRS 17 package (:mod:`aktuar.services.ifrs17_runs` with the layout
    :data:`STATUTORY`): deterministic ZIP of a folder, members read as hostile (traversal, symlinks, extra files,
    ZIP bombs), every refusal naming the package and the member (and the row and column of a file's error).

Run (engine ``statutory``)
    A methodology with parameters ``{"engine": "statutory"}`` measures the package given as the run's input
    ``statutory`` with :func:`aktuar.services.statutory.measure_statutory`; the run's reporting date must be the
    configuration's ``valuation_date``. Results: one row per class (and ``Total``) × reserve type × gross /
    reinsurer's share / net of item 9(1) (``segment`` = class, ``method`` = regulation pack, ``origin`` = the
    valuation date, ``quantity`` = e.g. ``upr_gross``, ``ibnr_reinsurance``, ``total_net``), and the company's
    solvency margin, ratio and adequacy (``segment`` = ``Company``). Documents: the statutory document
    (``statutory-<date>.json``, the same bytes as the file-based close writes) and the actuary's words (``opinion-text-<date>.toml``, the
    ``[opinion]`` table merged with its text file, as the file-based close writes it); both are covered by the
    results hash, so the chief actuary approves numbers and words together. Changing the words means editing
    the text file and preparing a new run from the new package.

Opinion from a run (:func:`render_run_opinion`)
    The mandatory opinion (PDF + DOCX, ru and en; item 12 holds the numbered copies register) rendered from the
    run's stored documents after checking them against the results hash; refused for a run that is not approved
    (naming its status and who must act) unless ``draft``, which marks every page "DRAFT — run N not approved".
    Every rendering is audited (``report.export``: the files with their SHA-256, the run, the results hash and
    the SHA-256 of the text version), and a refused one too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aktuar.errors import InputError
from aktuar.services.ifrs17_runs import Layout, _relabel, is_package_source, named_files, unpack

__all__ = ["CONFIG_NAME", "ENGINE", "STATUTORY", "Measured", "OpinionFiles", "document_name", "is_package_source",
           "measure_package", "opinion_words", "pack_folder", "render_run_opinion", "text_name", "validate_package"]

ENGINE = "statutory"
CONFIG_NAME = "statutory.toml"
SEGMENT_COMPANY = "Company"
DRAFT_MARK = "DRAFT — run {run} not approved"
DRAFT_MARK_RU = "ПРОЕКТ — расчёт {run} не утверждён (DRAFT — run {run} not approved)"


def _files(config_path: Path) -> list[Path]:
    from aktuar.services.statutory_config import load_config

    return named_files(load_config(config_path))


STATUTORY = Layout(ENGINE, CONFIG_NAME, "statutory close", _files)
"""The statutory close package: ``statutory.toml`` and every file it names."""


def pack_folder(source: Path | str, dest: Path | str) -> Path:
    """Zip a statutory close folder (or the path of its ``statutory.toml``) into ``dest`` deterministically."""
    from aktuar.services import ifrs17_runs

    return ifrs17_runs.pack_folder(source, dest, STATUTORY)


def validate_package(path: Path, filename: str | None = None) -> tuple[str, int]:
    """Check a statutory close package; returns (``"package"``, number of files)."""
    from aktuar.services import ifrs17_runs

    return ifrs17_runs.validate_package(path, filename, STATUTORY)


def document_name(when: str) -> str:
    return f"statutory-{when}.json"


def text_name(when: str) -> str:
    return f"opinion-text-{when}.toml"


# ------------------------------------------------------------------------------------------- measurement
@dataclass(frozen=True)
class Measured:
    """A statutory close measured for a run: result rows (tuples of ``ResultRow`` fields) and documents."""

    rows: list[tuple[str, str, str, str, float | None]]
    documents: dict[str, str]  # name → text
    classes: int
    warnings: int


def result_rows(document: dict[str, Any]) -> list[tuple[str, str, str, str, float | None]]:
    """The run's result rows of a statutory document: item 9(1) by class and reserve type (gross, reinsurer's
    share, net), then the company's solvency margin and ratio and the adequacy test's total difference."""
    when = str(document["valuation_date"])
    pack = str(document["pack"]["name"])
    method = pack if len(pack) <= 32 else pack[:32]
    reserves = next(t for t in document["tables"] if t["key"] == "reserves")
    rows: list[tuple[str, str, str, str, float | None]] = []
    for r in reserves["rows"]:
        cls = str(r["class"])
        if len(cls) > 200:
            raise InputError(f"the class name '{cls[:60]}…' is longer than 200 characters")
        for col in reserves["columns"]:
            if col["key"] != "class":
                v = r.get(col["key"])
                rows.append((cls, method, when, col["key"], None if v is None else float(v)))
    sv = document["solvency"]
    company = {"minimum_margin": sv.get("minimum_margin"), "actual_margin": sv.get("actual_margin"),
               "solvency_ratio": sv.get("ratio"), "own_funds": sv.get("own_funds"),
               "adequacy_difference": document["adequacy"].get("total_difference"),
               "additional_risks": document.get("additional_risks", {}).get("total")}
    for q, v in company.items():
        rows.append((SEGMENT_COMPANY, method, when, q, None if v is None else float(v)))
    return rows


def opinion_words(config: Any) -> dict[str, Any]:
    """The actuary's words of a loaded configuration: the ``[opinion]`` table merged with its text file (the
    file's values win), as :func:`aktuar.services.statutory.run_statutory_close` merges them."""
    from aktuar.services.statutory_config import load_opinion_text

    text = dict(config.opinion)
    if config.opinion_text_file is not None:
        text.update(load_opinion_text(config.opinion_text_file))
    return text


def measure_package(package: Path, reporting_date: date,
                    progress: Callable[[int, int], None] | None = None) -> Measured:
    """Unpack ``package`` to a temporary folder, measure the close and return its rows and documents (depends
    only on the package's bytes and the code)."""
    import json

    from aktuar.services.statutory import _source, measure_statutory, opinion_text_toml, to_document
    from aktuar.services.statutory_config import load_config

    def step(_name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    with tempfile.TemporaryDirectory(prefix="aktuar-statutory-run-") as tmp:
        root = Path(tmp) / "package"
        config_path = unpack(package, root, filename=package.name, layout=STATUTORY)
        try:
            config = load_config(config_path)
            if reporting_date != config.valuation_date:
                raise InputError(f"the run's reporting date {reporting_date.isoformat()} is not the close's valuation "
                                 f"date {config.valuation_date.isoformat()} (valuation_date in {CONFIG_NAME}): "
                                 f"prepare the run at {config.valuation_date.isoformat()}", file=CONFIG_NAME,
                                 column="valuation_date")
            close = measure_statutory(config, progress=step)
            document = to_document(close, _source(config))
            words = opinion_words(config)
        except InputError as exc:
            raise _relabel(exc, root.resolve(), package.name) from None
    when = reporting_date.isoformat()
    # the same bytes as the file-based close writes (key order kept: the opinion lists the inputs in it)
    documents = {document_name(when): json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                 text_name(when): opinion_text_toml(words)}
    return Measured(result_rows(document), documents, len(document["classes"]), len(document["warnings"]))


# ---------------------------------------------------------------------------------------- the opinion
@dataclass(frozen=True)
class OpinionFiles:
    run_id: int
    status: str
    draft: bool
    files: dict[str, Path]  # name → path
    sha256: dict[str, str]  # name → SHA-256 of the file
    text_sha256: str  # the version of the actuary's words (SHA-256 of the stored opinion-text TOML)


def _who_must_act(run: Any) -> str:
    if run.status == "prepared":
        return f"an actuary other than {run.created_by} must review it, then a chief actuary approve it"
    if run.status == "reviewed":
        return (f"a chief actuary other than {run.created_by} (preparer) and {run.reviewed_by} (reviewer) must "
                "approve it")
    if run.status == "rejected":
        return (f"it was rejected by {run.rejected_by}: correct the close and prepare a new run from the new package "
                "(the preparer)")
    if run.status == "failed":
        return "it failed: the preparer restarts it ('aktuar runs restart') or prepares a new run"
    return "wait until it is prepared, then have it reviewed and approved"


def _words_from_toml(text: str) -> dict[str, Any]:
    from aktuar.services.statutory_config import load_opinion_text

    with tempfile.TemporaryDirectory(prefix="aktuar-opinion-text-") as tmp:
        p = Path(tmp) / "opinion-text.toml"
        p.write_text(text, encoding="utf-8")
        return load_opinion_text(p)


def render_run_opinion(db: Any, actor: Any, run_id: int, out_dir: Path | str, *,
                       languages: Sequence[str] = ("ru", "en"), draft: bool = False) -> OpinionFiles:
    """Render the mandatory opinion of statutory run ``run_id`` (PDF and DOCX per language) into ``out_dir``
    from the run's stored documents, after checking them against the results hash; see the module doc. The
    files appear only with their audit record; nothing is written on a refusal."""
    import json

    from aktuar.reports.opinion import LANGUAGES, form_docx, form_html, opinion_model, render_pdf
    from aktuar.security import audit, rbac
    from aktuar.services import valuation
    from aktuar.services.inputs import file_sha256
    from aktuar.services.methodology import (
        IntegrityFailure,
        WorkflowError,
        database_errors,
        guarded,
        sha256_text,
    )

    out = Path(out_dir)
    obj = f"run:{run_id}"
    langs = list(dict.fromkeys(languages or LANGUAGES))

    def work() -> OpinionFiles:
        rbac.require(actor, "report.read")
        bad = [lg for lg in langs if lg not in LANGUAGES]
        if bad:
            raise InputError(f"unknown opinion language(s) {', '.join(bad)}: use {' and/or '.join(LANGUAGES)}")
        if out.exists() and not out.is_dir():
            raise InputError(f"{out} is a file: give a folder for the opinion")
        run = valuation.get_run(db, actor, run_id)
        if run.engine != ENGINE:
            raise InputError(f"run {run_id} is a {run.engine} run: the mandatory opinion is rendered from a statutory "
                             "close run (methodology engine 'statutory')")
        if run.status != "approved" and not draft:
            raise WorkflowError(f"run {run_id} is {run.status}, not approved: the opinion is rendered from an approved "
                                f"run; {_who_must_act(run)} (or render a marked draft with --draft)")
        if run.results_sha256 is None:
            raise WorkflowError(f"run {run_id} is {run.status} and has no results")
        ok, why = valuation.verify_results(db, actor, run_id)
        if not ok:
            raise IntegrityFailure(f"{why}; the opinion is not rendered from changed results (see 'aktuar runs "
                                   "reproduce')")
        documents = valuation.run_documents(db, actor, run_id)
        when = run.reporting_date.isoformat()
        doc_text, words_text = documents.get(document_name(when)), documents.get(text_name(when))
        if doc_text is None or words_text is None:
            raise IntegrityFailure(f"run {run_id} has no stored {document_name(when)} or {text_name(when)}")
        document = json.loads(doc_text)
        words = _words_from_toml(words_text)
        payloads: dict[str, bytes] = {}
        suffix = "-draft" if run.status != "approved" else ""
        for lg in langs:
            model = opinion_model(document, words, lg)
            if run.status != "approved":
                model["copy_mark"] = (DRAFT_MARK_RU if lg == "ru" else DRAFT_MARK).format(run=run.id)
            payloads[f"opinion-{when}-{lg}{suffix}.pdf"] = render_pdf(form_html(model))
            payloads[f"opinion-{when}-{lg}{suffix}.docx"] = form_docx(model)
        out.mkdir(parents=True, exist_ok=True)
        tmps: dict[str, Path] = {}
        placed: list[Path] = []
        try:
            for name, data in payloads.items():
                tmp = out / f".{name}.{os.getpid()}.tmp"
                with open(tmp, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                tmps[name] = tmp
            shas = {name: file_sha256(p) for name, p in tmps.items()}
            text_sha = sha256_text(words_text)
            try:
                with database_errors(), db.session() as s:
                    audit.record(s, actor, "business", "report.export", object=obj,
                                 details={"report": "statutory opinion", "files": shas, "run": run.id,
                                          "run_status": run.status, "draft": run.status != "approved",
                                          "results_sha256": run.results_sha256, "text_sha256": text_sha,
                                          "languages": langs})
                    for name, tmp in tmps.items():  # the files appear only with their audit record
                        os.replace(tmp, out / name)
                        placed.append(out / name)
            except BaseException:
                for p in placed:  # the audit record was not committed: no unaudited opinion
                    p.unlink(missing_ok=True)
                raise
        finally:
            for tmp in tmps.values():
                tmp.unlink(missing_ok=True)
        return OpinionFiles(run.id, run.status, run.status != "approved", {n: out / n for n in payloads}, shas,
                            text_sha)

    return guarded(db, actor, "report.export", obj, work, details={"report": "statutory opinion", "draft": draft})
