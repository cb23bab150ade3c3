"""IFRS 17 closes as governed valuation runs (KZ84-AUTO): close packages, their measurement, their results.

Package (dataset kind ``ifrs17``)
    A ZIP holding the close configuration ``ifrs17.toml`` at its root and every file the configuration names
    (curves, contracts, claims, model points, mortality, actuals, fair values, group register), nothing else.
    A folder (or the path of its ``ifrs17.toml``) given to :func:`pack_folder` is zipped deterministically:
    only the configuration and the files it names, sorted, with fixed time stamps and permissions, so the same
    inputs always give the same bytes and hence the same content address.

    A package is read as hostile: it is refused when a member is a symlink or a special file, is encrypted,
    has an absolute name, a drive letter, a backslash, ``..``/``.`` or empty parts or control characters, is
    named twice (also when differing only in case), when there are too many members, the members unpack to
    more than :data:`MAX_UNPACKED_BYTES` or one is compressed suspiciously well (a ZIP bomb). Members are
    unpacked one by one into a fresh folder (never ``extractall``), counting the bytes actually written. The
    configuration is then loaded and every file it names must lie inside the unpacked folder (a ``../`` or an
    absolute path in the TOML is refused before anything reads it) and every member must be named by it.

    The packing, unpacking and checking functions take a :class:`Layout` (default :data:`IFRS17`): the same
    code packs and checks the statutory close package (``statutory.toml``; :mod:`aktuar.services.statutory_runs`).

Run (engine ``ifrs17``)
    A methodology whose parameters are ``{"engine": "ifrs17"}`` (see
    :func:`aktuar.services.methodology.normalize_parameters`) measures the package given as the run's input
    ``ifrs17``: the package is unpacked to a temporary folder, checked again, and measured by
    :func:`aktuar.services.ifrs17.run_close` (which calls ``measure_close``) into a temporary folder. The run's
    reporting date is the close's last reporting date. Results: one row per portfolio × reporting date × line
    of ``CloseRun.summary`` (``segment`` = portfolio, ``method`` = approach ``PAA``/``GMM``/``PAA held``/
    ``GMM held``, ``origin`` = the date, ``quantity`` = the line, e.g. ``lrc``, ``csm``); documents: the
    disclosure document of every reporting date (``ifrs17-<date>.json``, canonical JSON), stored in
    ``run_documents`` and covered by the results hash. Review, approval, rejection, comparison, reproduction and
    export are those of every run (:mod:`aktuar.services.valuation`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from aktuar.errors import InputError

ENGINE = "ifrs17"
CONFIG_NAME = "ifrs17.toml"
MAX_MEMBERS = 2000
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
MAX_RATIO = 200  # uncompressed / compressed size above which a large member is taken for a ZIP bomb
RATIO_FLOOR = 1024 * 1024  # members smaller than this are not checked for their ratio
LINES: tuple[str, ...] = ("lrc", "loss_component", "lic", "csm", "revenue", "service_result", "finance_pl", "oci")
"""The lines of ``CloseRun.summary`` stored as a run's results (in this order)."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

_DRIVE = re.compile(r"^[A-Za-z]:")


# ----------------------------------------------------------------------------------------------- packing
def named_files(config: Any) -> list[Path]:
    """Every file a loaded :class:`~aktuar.services.ifrs17_config.CloseConfig` names (the configuration itself
    first), found by walking its fields, so that a new kind of input file is packed without a change here."""
    found: dict[Path, None] = {}

    def walk(obj: Any) -> None:
        if isinstance(obj, Path):
            found[obj] = None
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name))
        elif isinstance(obj, list | tuple):
            for x in obj:
                walk(x)
        elif isinstance(obj, dict):
            for x in obj.values():
                walk(x)

    walk(config)
    source = Path(config.source)
    return [source, *[p for p in found if p != source]]


@dataclass(frozen=True)
class Layout:
    """What a kind of close package holds: the configuration's file name at the package root and a function
    giving, for a configuration file, every file it names (the configuration itself first; it loads the
    configuration, so an invalid one is refused with its key). The IFRS 17 package is :data:`IFRS17`; the
    statutory close package is ``aktuar.services.statutory_runs.STATUTORY``."""

    kind: str  # the dataset kind
    config_name: str
    title: str  # "IFRS 17", "statutory close": in messages
    files: Callable[[Path], list[Path]]


def _ifrs17_files(config_path: Path) -> list[Path]:
    from aktuar.services.ifrs17_config import load_config

    return named_files(load_config(config_path))


IFRS17 = Layout("ifrs17", CONFIG_NAME, "IFRS 17", _ifrs17_files)


def _inside(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` (POSIX form), or None when it lies outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def pack_folder(source: Path | str, dest: Path | str, layout: Layout | None = None) -> Path:
    """Zip a close folder (or the path of its configuration, ``ifrs17.toml`` for the default ``layout``) into
    ``dest`` deterministically: the configuration under ``layout.config_name`` and the files it names, by their
    paths relative to its folder."""
    lay = layout or IFRS17
    cfg_name = lay.config_name
    src = Path(source)
    config_path = src / cfg_name if src.is_dir() else src
    if not config_path.is_file():
        raise InputError(f"no {cfg_name} in this folder: an {lay.title} package is a folder (or ZIP) with the "
                         f"close configuration {cfg_name} and the files it names", file=str(src))
    if config_path.is_symlink():
        raise InputError("the configuration is a symbolic link: give the folder that holds the file itself",
                         file=str(config_path))
    root = config_path.parent.resolve()
    members: dict[str, Path] = {}
    for p in lay.files(config_path)[1:]:
        rel = _inside(p, root)
        if rel is None:
            raise InputError(f"the configuration names the file {p}, which is outside its folder {root}: an "
                             f"{lay.title} package holds every input file inside the configuration's folder",
                             file=str(config_path))
        members[rel] = p
    if cfg_name in members:
        raise InputError(f"the configuration names {cfg_name} as an input file", file=str(config_path))
    dest = Path(dest)
    with zipfile.ZipFile(dest, "w") as zf:
        for name, path in [(cfg_name, config_path), *sorted(members.items())]:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            with open(path, "rb") as fh, zf.open(info, "w") as out:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    out.write(block)
    return dest


# --------------------------------------------------------------------------------------------- unpacking
def _check_name(name: str, package: str, title: str = "IFRS 17") -> str:
    def bad(why: str) -> InputError:
        return InputError(f"the package member {name!r} {why}: an {title} package holds plain files under "
                          "relative paths only", file=package)

    if not name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise bad("has an empty name or control characters")
    if "\\" in name:
        raise bad("has a backslash in its name")
    if name.startswith("/") or _DRIVE.match(name):
        raise bad("has an absolute path")
    parts = name.rstrip("/").split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise bad("has '..', '.' or empty parts in its path")
    return "/".join(parts)


def _members(zf: zipfile.ZipFile, package: str, title: str = "IFRS 17") -> list[tuple[zipfile.ZipInfo, str]]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise InputError(f"the package has {len(infos)} members, more than {MAX_MEMBERS}", file=package)
    out: list[tuple[zipfile.ZipInfo, str]] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = _check_name(info.filename, package, title)
        mode = (info.external_attr >> 16) & 0o170000
        if info.create_system == 3 and mode == stat.S_IFLNK:
            raise InputError(f"the package member {info.filename!r} is a symbolic link: packages hold plain files "
                             "only", file=package)
        if info.create_system == 3 and mode not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise InputError(f"the package member {info.filename!r} is not a plain file", file=package)
        if info.flag_bits & 0x1:
            raise InputError(f"the package member {info.filename!r} is encrypted: packages are not encrypted",
                             file=package)
        key = name.casefold()
        if key in seen:
            raise InputError(f"the package holds {info.filename!r} more than once", file=package)
        seen.add(key)
        if info.is_dir():
            continue
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise InputError(f"the package unpacks to more than {MAX_UNPACKED_BYTES // 1024 ** 3} GB", file=package)
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputError(f"the package member {info.filename!r} is compressed more than {MAX_RATIO}:1: refused "
                             "as a possible ZIP bomb", file=package)
        out.append((info, name))
    return out


def unpack(package: Path | str, dest: Path | str, *, filename: str | None = None,
           layout: Layout | None = None) -> Path:
    """Unpack a package safely into the (new or empty) folder ``dest`` and check it (module doc); returns the
    path of its configuration. Errors name ``filename`` (the user's file) and the member. ``layout``: what the
    package holds (default :data:`IFRS17`)."""
    lay = layout or IFRS17
    cfg_name = lay.config_name
    package = Path(package)
    label = filename or str(package)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        zf = zipfile.ZipFile(package)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"not a ZIP archive ({exc}): an {lay.title} package is a ZIP (or a folder) with "
                         f"{cfg_name} and the files it names", file=label) from None
    files: list[str] = []
    with zf:
        members = _members(zf, label, lay.title)
        written = 0
        for info, name in members:
            target = root.joinpath(*name.split("/"))
            if _inside(target, root) is None:  # cannot happen after _check_name; kept as a second lock
                raise InputError(f"the package member {info.filename!r} would be written outside the package",
                                 file=label)
            size = 0
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, open(target, "xb") as out:
                    for block in iter(lambda src=src: src.read(1 << 20), b""):
                        size += len(block)
                        written += len(block)
                        if size > info.file_size or written > MAX_UNPACKED_BYTES:
                            raise InputError(f"the package member {info.filename!r} is larger than it declares",
                                             file=label)
                        out.write(block)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
                raise InputError(f"the package member {info.filename!r} cannot be read ({exc})", file=label) from None
            except OSError:  # a name used both as a file and as a folder
                raise InputError(f"the package holds {info.filename!r} more than once (as a file and a folder)",
                                 file=label) from None
            files.append(name)
    if cfg_name not in files:
        raise InputError(f"the package has no {cfg_name} at its root: zip the close configuration and the files "
                         f"it names (or give the folder: 'aktuar runs import FOLDER --kind {lay.kind}')", file=label)
    config_path = root / cfg_name
    from aktuar.services.config_files import CONFINED_TO

    token = CONFINED_TO.set(root)
    try:
        listed = lay.files(config_path)
    except InputError as exc:
        raise _relabel(exc, root, label) from None
    finally:
        CONFINED_TO.reset(token)
    named: set[str] = set()
    for p in listed:
        rel = _inside(p, root)
        if rel is None:
            raise InputError(f"{cfg_name} names a file outside the package: the inputs of a close are files of its "
                             "package, named by relative paths without '..'", file=label)
        named.add(rel)
    extra = sorted(set(files) - named)
    if extra:
        raise InputError(f"the package holds file(s) that {cfg_name} does not name: "
                         f"{', '.join(extra[:10])}{' …' if len(extra) > 10 else ''}; remove them", file=label)
    return config_path


def _relabel(exc: InputError, root: Path, label: str) -> InputError:
    """An error of the unpacked copy, naming the user's package and the member instead of a temporary path."""
    where = exc.file
    member = _inside(Path(where), root) if where else None
    file = f"{label}:{member}" if member else label
    message = exc.message.replace(str(root), "the package")
    return type(exc)(message, file=file, row=exc.row, column=exc.column)


def validate_package(path: Path, filename: str | None = None, layout: Layout | None = None) -> tuple[str, int]:
    """Check a close package (see the module doc; default an IFRS 17 one); returns (``"package"``, number of
    files)."""
    with tempfile.TemporaryDirectory(prefix=f"aktuar-{(layout or IFRS17).kind}-check-") as tmp:
        config_path = unpack(path, Path(tmp) / "package", filename=filename, layout=layout)
        n = sum(1 for p in config_path.parent.rglob("*") if p.is_file())
    return "package", n


# ------------------------------------------------------------------------------------------- measurement
@dataclass(frozen=True)
class Measured:
    """A close measured for a run: result rows (as tuples of ``ResultRow`` fields) and documents."""

    rows: list[tuple[str, str, str, str, float]]
    documents: dict[str, str]  # name → canonical JSON
    portfolios: int
    warnings: int


def document_name(when: str) -> str:
    return f"ifrs17-{when}.json"


def measure_package(package: Path, reporting_date: date,
                    progress: Callable[[int, int], None] | None = None) -> Measured:
    """Unpack ``package`` to a temporary folder, measure the close and return its rows and documents (depends
    only on the package's bytes and the code)."""
    from aktuar.security.audit import canonical
    from aktuar.services.ifrs17 import run_close
    from aktuar.services.ifrs17_config import load_config

    def step(_name: str, done: int, total: int) -> None:
        if progress is not None:
            progress(done, total)

    with tempfile.TemporaryDirectory(prefix="aktuar-ifrs17-run-") as tmp:
        root = Path(tmp) / "package"
        config_path = unpack(package, root, filename=package.name)
        try:
            config = load_config(config_path)
            last = config.reporting_dates[-1]
            if reporting_date != last:
                raise InputError(f"the run's reporting date {reporting_date.isoformat()} is not the close's last "
                                 f"reporting date {last.isoformat()} (its dates are "
                                 f"{', '.join(d.isoformat() for d in config.reporting_dates)}): prepare the run at "
                                 f"{last.isoformat()}")
            close = run_close(config_path, Path(tmp) / "out", progress=step)
        except InputError as exc:
            raise _relabel(exc, root.resolve(), package.name) from None
        rows: list[tuple[str, str, str, str, float]] = []
        for r in close.summary:
            portfolio, approach, when = str(r["portfolio"]), str(r["approach"]), str(r["date"])
            if len(portfolio) > 200:
                raise InputError(f"the portfolio name '{portfolio[:60]}…' is longer than 200 characters")
            rows.extend((portfolio, approach, when, line, float(r[line])) for line in LINES)
        documents = {document_name(when): canonical(doc) for when, doc in close.documents.items()}
        warnings = 0
        for p in close.result.paa:
            warnings += sum(len(q.warnings) for q in p.lic_points)
        portfolios = len({r["portfolio"] for r in close.summary})
    return Measured(rows, documents, portfolios, warnings)


# -------------------------------------------------------------------------------------------- run views
def summary_from_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """``CloseRun.summary`` rebuilt from a run's stored result rows (stored order kept)."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in rows:
        key = (r.origin, r.segment, r.method)
        row = out.get(key)
        if row is None:
            row = out[key] = {"date": r.origin, "portfolio": r.segment, "approach": r.method,
                              **dict.fromkeys(LINES, 0.0)}
        row[r.quantity] = 0.0 if r.value is None else float(r.value)
    return list(out.values())


def write_workbook(document_json: str, path: Path, lang: str = "en") -> None:
    """The IFRS 17 XLSX (``aktuar.reports.ifrs17_output``) of a stored disclosure document, in ``lang``."""
    from aktuar.reports.ifrs17_output import write_xlsx

    write_xlsx(path, json.loads(document_json), lang)


def workbook_bytes(document_json: str, lang: str = "en") -> bytes:
    """The IFRS 17 XLSX of a stored disclosure document in ``lang`` (``ru`` or ``en``), as bytes."""
    from aktuar.reports import ifrs17_output

    return ifrs17_output.workbook_bytes(json.loads(document_json), lang)


def is_package_source(path: Path) -> bool:
    """A folder or a ``.toml`` file: zipped by :func:`pack_folder` before it is stored."""
    return path.is_dir() or (path.is_file() and path.suffix.lower() == ".toml")
