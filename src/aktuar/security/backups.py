"""Encrypted, integrity-checked backups that restore a working system (KZ164-27, KZ164-28, SECP-DATA).

A backup holds a consistent snapshot of the whole database, the stored input files of the data directory
(``datasets/``, ``methodology/`` …) and the settings, so that a new data directory and an empty database can be
brought back to a working copy of the system. ``keys/`` (the secrets and signing keys) is never in a backup: keys
are escrowed separately, and a backup alone never reveals them.

Content (inside the encryption, zlib-compressed), a sequence of frames ``type ‖ length (4 bytes) ‖ payload``:

* ``H`` — start: format, created_at, aktuar version, schema revision (Alembic), source (dialect, data directory);
* per member ``M`` (JSON: name, kind and, for tables, the columns with dialect-neutral types), ``D``… (its bytes),
  ``E`` (end). Tables (``db/<table>.jsonl``) come in foreign-key dependency order, one JSON array per row in
  primary-key order, typed by the column list (``integer``, ``boolean``, ``float``, ``decimal``, ``string``,
  ``datetime`` (ISO, UTC), ``date``, ``binary`` (base64), ``json``), so a SQLite backup restores into PostgreSQL
  and vice versa. Files are ``files/<path relative to the data directory>``; ``settings.json`` is the
  configuration the backup was made under (database URL without its password, backup schedule);
* ``Z`` — the manifest: the start information plus every member's SHA-256, size and row count and the totals.
  Reading checks every member against it, and that nothing follows it.

The file: ``MAGIC ‖ header length (4 bytes) ‖ header (JSON: format, cipher, key id, salt, chunk size,
created_at, schema revision)`` followed by chunks ``length (4) ‖ final flag (1) ‖ AES-256-GCM ciphertext+tag``.
Each backup encrypts with its own key derived by HKDF-SHA256 from the 32-byte backup key and a random salt, with
the chunk index as nonce; each chunk's associated data is ``header ‖ chunk index ‖ final flag``. So a changed
header or byte, a reordered, dropped or foreign chunk, and a truncated file are all detected, and a wrong key is
named as such (the key id is a hash of the key, never the key). The key comes from a key file or the environment
(``AKTUAR_BACKUP_KEY_FILE``, ``AKTUAR_BACKUP_KEY`` as hex or base64) and is never written into a backup.

A backup is written to a hidden temporary file in the destination and linked to its final name only when complete
(and synced), so a failed backup (disk full, crash) leaves no partial file and the previous backups untouched.

A restore goes only into a new (or empty) data directory and an empty database: the whole backup is verified
first, the target is migrated to the backup's schema revision, the tables are loaded in dependency order in one
transaction together with the audit record of the restore (the database's own append-only and immutability
triggers are switched off for the load inside that transaction and on again before its commit; sequences are reset
on PostgreSQL), files are staged and moved into place, and the database is then upgraded to the newest schema.
Any failure before the commit leaves nothing restored.
"""

from __future__ import annotations

import base64
import binascii
import errno
import hashlib
import json
import math
import os
import re
import secrets
import shutil
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from alembic.script import ScriptDirectory
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, MetaData, Table, select, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import make_url

from aktuar import __version__
from aktuar.errors import AktuarError, InputError
from aktuar.fsutil import fsync_dir as _fsync_dir
from aktuar.security import audit, rbac
from aktuar.security.context import Actor
from aktuar.store import migrate
from aktuar.store.db import Database, Settings
from aktuar.store.models import Setting

FORMAT = 1
MAGIC = b"AKTUARBK"
CIPHER = "AES-256-GCM"
CHUNK_SIZE = 1 << 20  # plaintext bytes per encrypted chunk
SUFFIX = ".akbackup"
KEY_FILE_ENV = "AKTUAR_BACKUP_KEY_FILE"
KEY_ENV = "AKTUAR_BACKUP_KEY"
SCHEDULE_KEY = "backup_schedule"
PERMISSION = "backup.manage"
CATEGORY = "system_config"

_MAX_HEADER = 64 * 1024
_MAX_FRAME = 16 * 1024 * 1024
_DATA_FRAME = 256 * 1024
_BATCH = 1000
_TAG = 16
_SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")
# Top-level folders of the data directory that are never in a backup: keys (secrets key, audit signing key) and the
# command line's saved session tokens (credentials of logged-in people).
NEVER_BACKED_UP = ("keys", "sessions")
_STAGING_PREFIX = ".aktuar-restore-"


class BackupError(InputError):
    """A backup cannot be made, read or restored; the message says why and what to do."""


# ---------------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: datetime
    size_bytes: int
    sha256: str  # of the backup file, for an external register of backups
    key_id: str
    schema_revision: str
    aktuar_version: str
    tables: dict[str, int]  # rows per table
    files: int
    file_bytes: int
    excluded: list[str] = field(default_factory=list)  # files of the data directory deliberately left out


@dataclass(frozen=True)
class VerifyResult:
    path: Path
    ok: bool
    message: str
    key_id: str | None = None
    created_at: datetime | None = None
    schema_revision: str | None = None
    aktuar_version: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0
    chunks: int = 0
    manifest: dict[str, Any] | None = None


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    data_dir: Path
    database: str  # URL without password
    backup_revision: str
    schema_revision: str | None  # after the upgrade to the newest schema
    tables: dict[str, int]
    files: int
    audit_verified: bool | None  # None when the audit trail has no verifier
    audit_message: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BackupListing:
    path: Path
    created_at: datetime
    size_bytes: int
    key_id: str
    schema_revision: str
    aktuar_version: str


@dataclass(frozen=True)
class BackupSchedule:
    interval_seconds: int
    destination: str
    retention: int  # number of backups kept in the destination
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"interval_seconds": self.interval_seconds, "destination": self.destination,
                "retention": self.retention, "enabled": self.enabled}


@dataclass(frozen=True)
class ScheduledResult:
    status: str  # not_configured | disabled | not_due | created | failed
    message: str
    backup: BackupInfo | None = None
    pruned: list[Path] = field(default_factory=list)
    next_due: datetime | None = None


# --------------------------------------------------------------------------------------------------------- keys
def parse_key(data: bytes | str) -> bytes:
    """The 32-byte key from its text (64 hex digits or base64) or the raw 32 bytes of a binary key file."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    txt = raw.strip()
    if re.fullmatch(rb"[0-9a-fA-F]{64}", txt):
        return bytes.fromhex(txt.decode("ascii"))
    if re.fullmatch(rb"[A-Za-z0-9+/_-]{43}=?", txt):
        try:
            key = base64.urlsafe_b64decode(txt.replace(b"+", b"-").replace(b"/", b"_") + b"=" * (-len(txt) % 4))
        except (binascii.Error, ValueError):
            key = b""
        if len(key) == 32:
            return key
    # raw 32 bytes only from a binary file: text of 32 characters (a typed pass phrase) is refused, not used as key
    if not isinstance(data, str) and len(raw) == 32 and not all(32 <= b < 127 or b in b"\t\r\n" for b in raw):
        return raw
    raise BackupError("the backup key must be 32 bytes written as 64 hex digits or base64 "
                      "(create one with `aktuar backup keygen`)")


def load_key(key_file: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None) -> bytes:
    """The backup key from ``key_file``, else ``$AKTUAR_BACKUP_KEY_FILE``, else ``$AKTUAR_BACKUP_KEY``."""
    env = os.environ if environ is None else environ
    path = key_file or env.get(KEY_FILE_ENV)
    if path:
        try:
            return parse_key(Path(path).read_bytes())
        except OSError as exc:
            raise BackupError(f"the backup key file {path} cannot be read ({exc.strerror or exc}): "
                              f"check the path and its permissions") from None
    if env.get(KEY_ENV):
        return parse_key(env[KEY_ENV])
    raise BackupError(f"no backup key: set {KEY_FILE_ENV} to a key file (create one with `aktuar backup keygen`) "
                      f"or {KEY_ENV} to the key in hex or base64")


def generate_key_file(path: str | os.PathLike[str]) -> str:
    """Write a new random key (hex) to ``path`` (mode 0600; never overwrites) and return its key id."""
    key = secrets.token_bytes(32)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{p} already exists: a key file is never overwritten (backups made with it would "
                          f"become unreadable); choose another path") from None
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key_id(key)


def key_id(key: bytes) -> str:
    """A public identifier of a key: a hash of it (the key cannot be recovered from it)."""
    return hashlib.sha256(b"aktuar backup key id\x00" + key).hexdigest()[:16]


def _check_key(key: bytes) -> bytes:
    if not isinstance(key, bytes | bytearray) or len(key) != 32:
        raise BackupError("the backup key must be exactly 32 bytes (AES-256)")
    return bytes(key)


def _subkey(key: bytes, salt: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"aktuar backup v1 chunk key").derive(key)
    return AESGCM(derived)


def _nonce(index: int) -> bytes:
    return b"\x00\x00\x00\x00" + index.to_bytes(8, "big")


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + index.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


# ------------------------------------------------------------------------------------------------- low-level I/O
def _write_bytes(fh: BinaryIO, data: bytes) -> None:
    """Every byte of a backup file goes through here (one place where the disk can say it is full)."""
    fh.write(data)


class _Encryptor:
    """Buffers plaintext and writes it as authenticated chunks; ``close`` writes the final chunk."""

    def __init__(self, fh: BinaryIO, header: bytes, key: bytes, salt: bytes, chunk_size: int) -> None:
        self._fh, self._header, self._chunk = fh, header, chunk_size
        self._aead = _subkey(key, salt)
        self._buf = bytearray()
        self.index = 0

    def write(self, data: bytes) -> None:
        self._buf += data
        while len(self._buf) > self._chunk:
            piece = bytes(self._buf[: self._chunk])
            del self._buf[: self._chunk]
            self._emit(piece, final=False)

    def close(self) -> None:
        self._emit(bytes(self._buf), final=True)
        self._buf.clear()

    def _emit(self, plain: bytes, *, final: bool) -> None:
        ct = self._aead.encrypt(_nonce(self.index), plain, _aad(self._header, self.index, final))
        _write_bytes(self._fh, len(ct).to_bytes(4, "big") + (b"\x01" if final else b"\x00") + ct)
        self.index += 1


class _ArchiveWriter:
    """Frames → zlib → encryptor; keeps each member's SHA-256, size and row count for the manifest."""

    def __init__(self, sink: _Encryptor) -> None:
        self._sink = sink
        self._z = zlib.compressobj(6)
        self.members: list[dict[str, Any]] = []
        self._cur: dict[str, Any] | None = None
        self._hash: Any = None

    def _frame(self, kind: bytes, payload: bytes) -> None:
        self._sink.write(self._z.compress(kind + len(payload).to_bytes(4, "big") + payload))

    def start(self, info: dict[str, Any]) -> None:
        self._frame(b"H", _json(info))

    def begin(self, meta: dict[str, Any]) -> None:
        self._frame(b"M", _json(meta))
        self._cur = {"name": meta["name"], "kind": meta["kind"], "size": 0, "rows": 0}
        self._hash = hashlib.sha256()

    def data(self, payload: bytes, rows: int = 0) -> None:
        assert self._cur is not None
        for i in range(0, len(payload), _DATA_FRAME * 4):
            piece = payload[i: i + _DATA_FRAME * 4]
            self._frame(b"D", piece)
            self._hash.update(piece)
        self._cur["size"] += len(payload)
        self._cur["rows"] += rows

    def end(self) -> dict[str, Any]:
        assert self._cur is not None
        self._frame(b"E", b"")
        member = {**self._cur, "sha256": self._hash.hexdigest()}
        if member["kind"] != "table":
            del member["rows"]
        self.members.append(member)
        self._cur = None
        return member

    def finish(self, manifest: dict[str, Any]) -> None:
        self._frame(b"Z", _json(manifest))
        self._sink.write(self._z.flush())
        self._sink.close()


def _json(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _read_header(fh: BinaryIO, path: Path) -> tuple[dict[str, Any], bytes]:
    magic = fh.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupError(f"{path} is not an aktuar backup (it does not start with the backup signature)")
    nb = fh.read(4)
    n = int.from_bytes(nb, "big") if len(nb) == 4 else -1
    if not 0 < n <= _MAX_HEADER:
        raise BackupError(f"{path}: the backup header is damaged or truncated")
    raw = fh.read(n)
    if len(raw) != n:
        raise BackupError(f"{path}: the backup is truncated inside its header")
    try:
        header = json.loads(raw)
    except ValueError:
        raise BackupError(f"{path}: the backup header is damaged (not valid JSON)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("cipher") != CIPHER:
        raise BackupError(f"{path}: unsupported backup format {header.get('format') if isinstance(header, dict) else '?'}"
                          f" (this aktuar reads format {FORMAT}); use the aktuar version that made it")
    for k in ("key_id", "salt", "chunk_size", "created_at", "schema_revision"):
        if k not in header:
            raise BackupError(f"{path}: the backup header is damaged (no {k})")
    return header, magic + nb + raw


def _chunks(fh: BinaryIO, header: dict[str, Any], header_bytes: bytes, key: bytes, path: Path,
            stats: dict[str, int]) -> Iterator[bytes]:
    """Decrypted chunks in order; raises ``BackupError`` on a wrong key, tampering, reordering or truncation."""
    given = key_id(key)
    if header["key_id"] != given:
        raise BackupError(f"{path} was encrypted with a different key (key id {header['key_id']}; the key given has "
                          f"id {given}): use the key the backup was made with")
    try:
        salt = base64.b64decode(header["salt"], validate=True)
        chunk_size = int(header["chunk_size"])
    except (binascii.Error, ValueError, TypeError):
        raise BackupError(f"{path}: the backup header is damaged (salt or chunk size)") from None
    aead = _subkey(key, salt)
    index = 0
    while True:
        head = fh.read(5)
        if len(head) < 5:
            raise BackupError(f"{path} is truncated: it ends after {index} chunk(s) without the final chunk; "
                              f"the backup is incomplete and cannot be used")
        n, flag = int.from_bytes(head[:4], "big"), head[4]
        if flag not in (0, 1) or not _TAG <= n <= chunk_size + _TAG:
            raise BackupError(f"{path} is damaged or has been tampered with: chunk {index} has an invalid frame")
        ct = fh.read(n)
        if len(ct) < n:
            raise BackupError(f"{path} is truncated inside chunk {index}; the backup is incomplete and cannot be used")
        final = flag == 1
        try:
            plain = aead.decrypt(_nonce(index), ct, _aad(header_bytes, index, final))
        except InvalidTag:
            raise BackupError(f"{path} is damaged or has been tampered with: chunk {index} does not authenticate "
                              f"(changed bytes, reordered or foreign chunks, or a changed header)") from None
        index += 1
        stats["chunks"] = index
        yield plain
        if final:
            if fh.read(1):
                raise BackupError(f"{path} has data after its final chunk: it has been tampered with")
            return


def _plain_stream(chunks: Iterator[bytes], path: Path) -> Iterator[bytes]:
    d = zlib.decompressobj()
    for chunk in chunks:
        data = chunk
        while data:
            try:
                out = d.decompress(data, 4 * _MAX_FRAME)
            except zlib.error:
                raise BackupError(f"{path}: the backup content is damaged (decompression failed)") from None
            if out:
                yield out
            data = d.unconsumed_tail
            if d.eof and (data or d.unused_data):
                raise BackupError(f"{path}: the backup content has data after its end")
    if not d.eof:
        raise BackupError(f"{path}: the backup content is incomplete")


def _frames(stream: Iterator[bytes], path: Path) -> Iterator[tuple[bytes, bytes]]:
    buf = bytearray()
    for piece in stream:
        buf += piece
        while len(buf) >= 5:
            n = int.from_bytes(buf[1:5], "big")
            if n > _MAX_FRAME:
                raise BackupError(f"{path}: the backup content is damaged (a frame of {n} bytes)")
            if len(buf) < 5 + n:
                break
            kind, payload = bytes(buf[:1]), bytes(buf[5: 5 + n])
            del buf[: 5 + n]
            yield kind, payload
    if buf:
        raise BackupError(f"{path}: the backup content ends inside a frame")


class _Handler:
    """What a reader does with the content; the verifier does nothing, the restore loads it."""

    def start(self, info: dict[str, Any]) -> None:
        return None

    def begin(self, meta: dict[str, Any]) -> None:
        return None

    def data(self, payload: bytes) -> None:
        return None

    def end(self, meta: dict[str, Any], member: dict[str, Any]) -> None:
        return None


@dataclass
class _ReadResult:
    header: dict[str, Any]
    info: dict[str, Any]
    manifest: dict[str, Any]
    chunks: int


_MEMBER_NAME = re.compile(r"^(db/[A-Za-z0-9_]+\.jsonl|settings\.json|files/.+)$")


def _safe_relpath(rel: str, path: Path) -> PurePosixPath:
    p = PurePosixPath(rel)
    if (not rel or p.is_absolute() or any(part in ("", ".", "..") for part in p.parts) or "\\" in rel
            or "\x00" in rel or p.parts[0] in NEVER_BACKED_UP):
        raise BackupError(f"{path}: the backup names an unsafe file path {rel!r}; it has been tampered with")
    return p


def _read(path: Path, key: bytes, handler: _Handler) -> _ReadResult:
    """Decrypt, decompress and check the whole backup, passing its content to ``handler``."""
    key = _check_key(key)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise BackupError(f"the backup {path} cannot be opened ({exc.strerror or exc})") from None
    stats = {"chunks": 0}
    with fh:
        header, header_bytes = _read_header(fh, path)
        frames = _frames(_plain_stream(_chunks(fh, header, header_bytes, key, path, stats), path), path)
        info: dict[str, Any] | None = None
        manifest: dict[str, Any] | None = None
        members: list[dict[str, Any]] = []
        names: set[str] = set()
        cur: dict[str, Any] | None = None
        meta: dict[str, Any] = {}
        digest: Any = None
        for kind, payload in frames:
            if manifest is not None:
                raise BackupError(f"{path}: the backup has content after its manifest; it has been tampered with")
            if info is None:
                if kind != b"H":
                    raise BackupError(f"{path}: the backup content does not start with its description")
                info = _load_json(payload, path)
                if (info.get("format") != FORMAT or info.get("created_at") != header["created_at"]
                        or info.get("schema_revision") != header["schema_revision"]):
                    raise BackupError(f"{path}: the backup header does not match its content")
                handler.start(info)
            elif kind == b"M":
                if cur is not None:
                    raise BackupError(f"{path}: the backup content is damaged (member inside member)")
                meta = _load_json(payload, path)
                name = str(meta.get("name", ""))
                if not _MEMBER_NAME.match(name) or name in names:
                    raise BackupError(f"{path}: the backup has an invalid or repeated member {name!r}")
                if name.startswith("files/"):
                    _safe_relpath(name[len("files/"):], path)
                names.add(name)
                cur = {"name": name, "kind": meta.get("kind"), "size": 0, "rows": 0}
                digest = hashlib.sha256()
                handler.begin(meta)
            elif kind == b"D":
                if cur is None:
                    raise BackupError(f"{path}: the backup content is damaged (data outside a member)")
                digest.update(payload)
                cur["size"] += len(payload)
                if cur["kind"] == "table":
                    cur["rows"] += payload.count(b"\n")
                handler.data(payload)
            elif kind == b"E":
                if cur is None:
                    raise BackupError(f"{path}: the backup content is damaged (end outside a member)")
                member = {**cur, "sha256": digest.hexdigest()}
                if member["kind"] != "table":
                    del member["rows"]
                members.append(member)
                handler.end(meta, member)
                cur = None
            elif kind == b"Z":
                if cur is not None:
                    raise BackupError(f"{path}: the backup content is damaged (manifest inside a member)")
                manifest = _load_json(payload, path)
            else:
                raise BackupError(f"{path}: the backup content is damaged (unknown frame)")
        if info is None or manifest is None:
            raise BackupError(f"{path}: the backup has no manifest; it is incomplete")
        listed = manifest.get("members")
        if listed != members:
            raise BackupError(f"{path}: the content does not match the manifest ({_first_difference(listed, members)});"
                              f" the backup has been tampered with")
        for k in ("created_at", "schema_revision", "aktuar_version"):
            if manifest.get(k) != info.get(k):
                raise BackupError(f"{path}: the manifest's {k} does not match the backup's description")
    return _ReadResult(header=header, info=info, manifest=manifest, chunks=stats["chunks"])


def _first_difference(listed: Any, members: list[dict[str, Any]]) -> str:
    if not isinstance(listed, list):
        return "no member list"
    for i in range(max(len(listed), len(members))):
        a = listed[i] if i < len(listed) else None
        b = members[i] if i < len(members) else None
        if a != b:
            name = (b or a or {}).get("name", "?") if isinstance(b or a, dict) else "?"
            return f"member {name}"
    return "members"


def _load_json(payload: bytes, path: Path) -> dict[str, Any]:
    try:
        obj = json.loads(payload)
    except ValueError:
        raise BackupError(f"{path}: the backup content is damaged (invalid JSON)") from None
    if not isinstance(obj, dict):
        raise BackupError(f"{path}: the backup content is damaged (unexpected JSON)")
    return obj


# ---------------------------------------------------------------------------------------- dialect-neutral rows
def _type_tag(t: sqltypes.TypeEngine[Any], table: str, column: str) -> str:
    if isinstance(t, sqltypes.Boolean):
        return "boolean"
    if isinstance(t, sqltypes.Integer):
        return "integer"
    if isinstance(t, sqltypes.DateTime):
        return "datetime"
    if isinstance(t, sqltypes.Date):
        return "date"
    if isinstance(t, sqltypes.Float):
        return "float"
    if isinstance(t, sqltypes.Numeric):
        return "decimal"
    if isinstance(t, sqltypes.LargeBinary | sqltypes._Binary):
        return "binary"
    if isinstance(t, sqltypes.JSON):
        return "json"
    if isinstance(t, sqltypes.String):
        return "string"
    raise BackupError(f"column {table}.{column} has a type ({t}) that backups cannot carry portably")


def _encode(tag: str, v: Any) -> Any:
    if v is None:
        return None
    if tag == "datetime":
        return audit.utc(v).isoformat(timespec="microseconds")
    if tag == "date":
        return v.isoformat()
    if tag == "float":
        f = float(v)
        return f if math.isfinite(f) else ("nan" if math.isnan(f) else ("inf" if f > 0 else "-inf"))
    if tag == "decimal":
        return str(v)
    if tag == "binary":
        return base64.b64encode(bytes(v)).decode("ascii")
    if tag == "boolean":
        return bool(v)
    if tag == "integer":
        return int(v)
    return v


def _decode(tag: str, v: Any, target: sqltypes.TypeEngine[Any]) -> Any:
    if v is None:
        return None
    if tag == "datetime":
        at = datetime.fromisoformat(v).astimezone(UTC)
        return at if getattr(target, "timezone", False) else at.replace(tzinfo=None)
    if tag == "date":
        return date.fromisoformat(v)
    if tag == "float":
        return float(v)
    if tag == "decimal":
        return Decimal(v)
    if tag == "binary":
        return base64.b64decode(v)
    return v


def _snapshot_connection(conn: Connection) -> Connection:
    """Start a read-only transaction that sees one consistent state of the whole database."""
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn.execute(text("SELECT 1"))  # begins the transaction; the snapshot is taken at its first query
    else:
        # pysqlite starts transactions only before writes; an explicit BEGIN makes all reads below share the
        # snapshot taken at the first one (WAL mode lets writers continue meanwhile).
        conn.exec_driver_sql("BEGIN")
        conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
    return conn


def _reflect(conn: Connection) -> MetaData:
    md = MetaData()
    md.reflect(bind=conn)
    return md


def _tables(md: MetaData) -> list[Table]:
    return [t for t in md.sorted_tables if t.name != "alembic_version" and not t.name.startswith("sqlite_")]


def _revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown by its scheme only
        return url.split(":", 1)[0] + ":…"


# --------------------------------------------------------------------------------------------------- auditing
def _audit_failure(db: Database, actor: Actor, action: str, obj: str, details: dict[str, Any]) -> None:
    """Record a refusal or failure in its own transaction (the operation itself was rolled back)."""
    with db.session() as s:
        audit.record(s, actor, CATEGORY, action, object=obj, outcome="failure", details=details)


def _require(db: Database | None, actor: Actor, action: str, obj: str) -> None:
    try:
        rbac.require(actor, PERMISSION)
    except rbac.PermissionDenied:
        if db is not None:
            _audit_failure(db, actor, action, obj, {"reason": "permission denied", "permission": PERMISSION})
        raise


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, AktuarError):
        return str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"


# ----------------------------------------------------------------------------------------------------- create
def _backup_name(now: datetime) -> str:
    return f"aktuar-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _excluded_paths(db: Database, dest: Path, key_file: Path | None) -> tuple[set[Path], set[Path]]:
    """(files, directories) of the data directory that are never copied into a backup."""
    data_dir = db.settings.data_dir.resolve()
    files: set[Path] = set()
    dirs: set[Path] = {data_dir / d for d in NEVER_BACKED_UP} | {dest.resolve()}
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        base = Path(url.database).resolve()
        files |= {Path(str(base) + s) for s in _SQLITE_SIDECARS}
    if key_file is not None:
        files.add(key_file.resolve())
    return files, dirs


def _data_files(db: Database, dest: Path, key_file: Path | None) -> tuple[list[tuple[Path, str]], list[str]]:
    data_dir = db.settings.data_dir.resolve()
    if not data_dir.is_dir():
        return [], []
    ex_files, ex_dirs = _excluded_paths(db, dest, key_file)
    out: list[tuple[Path, str]] = []
    excluded: list[str] = []
    for root, dirnames, filenames in os.walk(data_dir, followlinks=False):
        r = Path(root)
        keep = []
        for d in sorted(dirnames):
            p = r / d
            if d.startswith(_STAGING_PREFIX) or (r == data_dir and d in NEVER_BACKED_UP):
                continue
            if p in ex_dirs:
                excluded.append(p.relative_to(data_dir).as_posix() + "/ (the backup destination)")
                continue
            if p.is_symlink():
                excluded.append(p.relative_to(data_dir).as_posix() + "/ (symbolic link)")
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            p = r / f
            rel = p.relative_to(data_dir).as_posix()
            if p in ex_files:
                continue
            if p.is_symlink() or not p.is_file():
                excluded.append(f"{rel} (not a regular file)")
                continue
            if f.startswith(".") and f.endswith(".partial"):
                continue
            out.append((p, rel))
    return out, excluded


def _contains_key(path: Path, needles: list[bytes]) -> bool:
    overlap = max(len(n) for n in needles) - 1
    tail = b""
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            window = tail + block
            if any(n in window for n in needles):
                return True
            tail = window[-overlap:]
    return False


def _key_needles(key: bytes) -> list[bytes]:
    return [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key).rstrip(b"="),
            base64.urlsafe_b64encode(key).rstrip(b"=")]


def _schedule_value(db: Database) -> dict[str, Any] | None:
    with db.session() as s:
        row = s.get(Setting, SCHEDULE_KEY)
        return json.loads(row.value) if row is not None else None


def _write_content(db: Database, w: _ArchiveWriter, created: datetime, key: bytes, dest: Path,
                   key_file: Path | None) -> tuple[dict[str, int], int, int, list[str], str]:
    tables: dict[str, int] = {}
    # The audit checkpoint journal (outside the database) is read BEFORE the snapshot: every checkpoint it lists is
    # then also in the snapshot, so the restored trail verifies (a checkpoint in the journal but not in the database
    # would look like a deleted checkpoint row).
    journal_rel = Path(getattr(audit, "JOURNAL", Path("audit") / "checkpoints.jsonl")).as_posix()
    journal_path = db.settings.data_dir / journal_rel
    try:
        journal: bytes | None = journal_path.read_bytes()
    except FileNotFoundError:
        journal = None
    with db.engine.connect() as raw:
        conn = _snapshot_connection(raw)
        try:
            revision = _revision(conn)
            if revision is None:
                raise BackupError("the database has no schema yet (no migration applied): run `aktuar db upgrade` "
                                  "first; there is nothing to back up")
            md = _reflect(conn)
            info = {
                "format": FORMAT, "created_at": created.isoformat(timespec="microseconds"),
                "aktuar_version": __version__, "schema_revision": revision,
                "source": {"dialect": conn.dialect.name, "database": _redact(db.settings.database_url),
                           "data_dir": str(db.settings.data_dir)},
                "tables": [t.name for t in _tables(md)],
            }
            w.start(info)
            for table in _tables(md):
                tables[table.name] = _export_table(conn, table, w)
        finally:
            raw.rollback()
    settings = {"database": {"dialect": db.engine.dialect.name, "url": _redact(db.settings.database_url)},
                "data_dir": str(db.settings.data_dir), "backup_schedule": _schedule_value(db),
                "aktuar_version": __version__}
    w.begin({"name": "settings.json", "kind": "settings"})
    w.data(_json(settings))
    w.end()
    files, excluded = _data_files(db, dest, key_file)
    needles = _key_needles(key)
    n_files = n_bytes = 0
    for p, rel in files:
        if rel == journal_rel and journal is not None:
            st = p.stat()
            w.begin({"name": f"files/{rel}", "kind": "file", "path": rel, "mode": st.st_mode & 0o777,
                     "mtime_ns": st.st_mtime_ns})
            w.data(journal)
        else:
            if _contains_key(p, needles):
                excluded.append(f"{rel} (contains the backup key)")
                continue
            st = p.stat()
            w.begin({"name": f"files/{rel}", "kind": "file", "path": rel, "mode": st.st_mode & 0o777,
                     "mtime_ns": st.st_mtime_ns})
            with open(p, "rb") as fh:
                while block := fh.read(_DATA_FRAME * 4):
                    w.data(block)
        n_bytes += w.end()["size"]
        n_files += 1
    return tables, n_files, n_bytes, excluded, revision


def _export_table(conn: Connection, table: Table, w: _ArchiveWriter) -> int:
    cols = list(table.columns)
    tags = [_type_tag(c.type, table.name, c.name) for c in cols]
    w.begin({"name": f"db/{table.name}.jsonl", "kind": "table", "table": table.name,
             "columns": [{"name": c.name, "type": tg, "nullable": bool(c.nullable)}
                         for c, tg in zip(cols, tags, strict=True)],
             "primary_key": [c.name for c in table.primary_key.columns]})
    order = list(table.primary_key.columns) or cols
    result = conn.execution_options(yield_per=_BATCH).execute(select(*cols).order_by(*order))
    count = 0
    buf: list[bytes] = []
    size = 0
    for row in result:
        line = json.dumps([_encode(tg, v) for tg, v in zip(tags, row, strict=True)], separators=(",", ":"),
                          ensure_ascii=False, allow_nan=False).encode("utf-8") + b"\n"
        buf.append(line)
        size += len(line)
        count += 1
        if size >= _DATA_FRAME:
            w.data(b"".join(buf), rows=len(buf))
            buf, size = [], 0
    if buf:
        w.data(b"".join(buf), rows=len(buf))
    w.end()
    return count


def _link_unique(tmp: Path, dest: Path, stem: str) -> Path:
    """Give the finished temporary file its final name without ever replacing an existing backup."""
    for i in range(1000):
        final = dest / (f"{stem}{SUFFIX}" if i == 0 else f"{stem}-{i}{SUFFIX}")
        try:
            os.link(tmp, final)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: rename, after checking the name is free
            if final.exists():
                continue
            os.rename(tmp, final)
            return final
        tmp.unlink()
        return final
    raise BackupError(f"too many backups named {stem}* in {dest}")


def create_backup(
    db: Database,
    actor: Actor,
    dest_dir: str | os.PathLike[str],
    key: bytes,
    now: datetime | None = None,
    *,
    key_file: str | os.PathLike[str] | None = None,
    chunk_size: int = CHUNK_SIZE,
    scheduled: bool = False,
) -> BackupInfo:
    """Write an encrypted backup of ``db`` and its data directory into ``dest_dir`` and audit it.

    ``key_file`` (the file the key came from, if any) is excluded explicitly, as are ``keys/``, the SQLite
    database files (the database is in the backup as a snapshot) and any file that contains the key.
    """
    dest = Path(dest_dir)
    created = audit.utc(now or datetime.now(UTC))
    action = "backup.scheduled" if scheduled else "backup.create"
    _require(db, actor, action, str(dest))
    key = _check_key(key)
    if not 4096 <= chunk_size <= 64 * CHUNK_SIZE:
        raise BackupError("the chunk size must be between 4 KiB and 64 MiB")
    tmp: Path | None = None
    try:
        try:
            dest.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise BackupError(f"the backup destination {dest} cannot be created ({exc.strerror or exc}): "
                              f"choose a writable directory") from None
        stem = _backup_name(created)
        salt = secrets.token_bytes(32)
        header = {"format": FORMAT, "cipher": CIPHER, "kdf": "HKDF-SHA256", "key_id": key_id(key),
                  "salt": base64.b64encode(salt).decode("ascii"), "chunk_size": chunk_size,
                  "created_at": created.isoformat(timespec="microseconds"), "aktuar_version": __version__}
        tmp = dest / f".{stem}.{secrets.token_hex(4)}.partial"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            # The header (authenticated with every chunk) names the schema revision, read here before the snapshot;
            # a migration between this read and the snapshot is detected below and the backup refused.
            with db.engine.connect() as c:
                header["schema_revision"] = _revision(c)
            header_json = _json(header)
            header_bytes = MAGIC + len(header_json).to_bytes(4, "big") + header_json
            _write_bytes(fh, header_bytes)
            w = _ArchiveWriter(_Encryptor(fh, header_bytes, key, salt, chunk_size))
            tables, n_files, n_bytes, excluded, revision = _write_content(
                db, w, created, key, dest, Path(key_file) if key_file else None)
            if revision != header["schema_revision"]:
                raise BackupError("the database was migrated while the backup was being made: run the backup again")
            manifest = {
                "format": FORMAT, "created_at": header["created_at"], "aktuar_version": __version__,
                "schema_revision": revision, "members": w.members,
                "counts": {"tables": tables, "rows": sum(tables.values()), "files": n_files, "file_bytes": n_bytes},
                "excluded": excluded,
            }
            w.finish(manifest)
            fh.flush()
            os.fsync(fh.fileno())
        final = _link_unique(tmp, dest, stem)
        tmp = None
        _fsync_dir(dest)
    except BaseException as exc:
        if tmp is not None:
            try:
                tmp.unlink()
            except OSError:
                pass
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            message = (f"the backup could not be written to {dest}: no space left on device; no partial file was "
                       f"left and the previous backups are intact — free space or choose another destination")
        elif isinstance(exc, BackupError):
            message = str(exc)
        else:
            message = f"the backup to {dest} failed ({_error_text(exc)}); no partial file was left"
        try:
            _audit_failure(db, actor, action, str(dest), {"error": message})
        except Exception:  # noqa: BLE001 - the original error matters more; it is raised below
            pass
        if isinstance(exc, Exception) and not isinstance(exc, BackupError):
            raise BackupError(message) from None
        raise
    size = final.stat().st_size
    digest = _file_sha256(final)
    info = BackupInfo(path=final, created_at=created, size_bytes=size, sha256=digest, key_id=key_id(key),
                      schema_revision=str(revision), aktuar_version=__version__, tables=tables, files=n_files,
                      file_bytes=n_bytes, excluded=excluded)
    try:
        with db.session() as s:
            audit.record(s, actor, CATEGORY, action, object=str(final), details={
                "file": final.name, "sha256": digest, "size": size, "key_id": info.key_id,
                "schema_revision": info.schema_revision, "rows": sum(tables.values()), "files": n_files,
                "excluded": excluded})
    except BaseException:
        final.unlink(missing_ok=True)  # logging never breaks: no audit record, no backup
        raise
    return info


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


# ----------------------------------------------------------------------------------------------------- verify
def verify_backup(path: str | os.PathLike[str], key: bytes, *, db: Database | None = None,
                  actor: Actor | None = None) -> VerifyResult:
    """Decrypt and check the whole backup (never raises for a bad backup: ``ok`` and ``message`` say).

    With ``db`` and ``actor`` the check requires ``backup.manage`` and is audited.
    """
    p = Path(path)
    if actor is not None:
        _require(db, actor, "backup.verify", str(p))
    try:
        res = _read(p, key, _Handler())
    except BackupError as exc:
        out = VerifyResult(path=p, ok=False, message=str(exc))
    else:
        counts = res.manifest.get("counts", {})
        out = VerifyResult(
            path=p, ok=True,
            message=(f"{p.name}: intact, made {res.info['created_at']} by aktuar {res.info['aktuar_version']} "
                     f"(schema {res.info['schema_revision']}); {sum(counts.get('tables', {}).values())} rows in "
                     f"{len(counts.get('tables', {}))} tables, {counts.get('files', 0)} files"),
            key_id=res.header["key_id"], created_at=datetime.fromisoformat(res.info["created_at"]),
            schema_revision=res.info["schema_revision"], aktuar_version=res.info["aktuar_version"],
            tables=dict(counts.get("tables", {})), files=int(counts.get("files", 0)), chunks=res.chunks,
            manifest=res.manifest)
    if db is not None and actor is not None:
        with db.session() as s:
            audit.record(s, actor, CATEGORY, "backup.verify", object=str(p),
                         outcome="success" if out.ok else "failure",
                         details={"message": out.message[:500], "key_id": out.key_id})
    return out


# ---------------------------------------------------------------------------------------------------- restore
def _target_database(target: Settings | Database) -> tuple[Database, bool]:
    """The target's ``Database`` and whether this call created it (and so disposes of it)."""
    if isinstance(target, Database):
        return target, False
    _check_data_dir(target.data_dir, target.database_url)
    return Database(target), True


def _sqlite_files(url: str) -> set[Path]:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return set()
    base = Path(u.database).resolve()
    return {Path(str(base) + s) for s in _SQLITE_SIDECARS}


def _check_data_dir(data_dir: Path, database_url: str) -> None:
    d = Path(data_dir)
    if d.exists() and not d.is_dir():
        raise BackupError(f"the target data directory {d} is a file: name a new directory")
    if not d.exists():
        return
    allowed = _sqlite_files(database_url)
    for entry in d.iterdir():
        if entry.resolve() in allowed or entry.name in NEVER_BACKED_UP:
            continue
        raise BackupError(f"the target data directory {d} is not empty (it holds {entry.name}): a backup is restored "
                          f"only into a new data directory, so that nothing is overwritten")


def _check_empty_database(conn: Connection) -> None:
    md = _reflect(conn)
    for t in _tables(md):
        if conn.execute(select(text("1")).select_from(t).limit(1)).first() is not None:
            raise BackupError(f"the target database is not empty (table {t.name} has rows): a backup is restored only "
                              f"into an empty database, so that nothing is overwritten")


def _scripts() -> ScriptDirectory:
    return ScriptDirectory(str(migrate.MIGRATIONS))


def _check_revision_known(revision: str) -> None:
    try:
        found = _scripts().get_revision(revision)
    except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
        found = None
    if found is None:
        raise BackupError(f"the backup has schema revision {revision}, unknown to this aktuar {__version__}: restore "
                          f"it with the aktuar version that made it (or a newer one); nothing was restored")


def _prepare_schema(db: Database, revision: str) -> None:
    """Bring the (empty) target to the backup's schema revision."""
    script = _scripts()
    current = migrate.current(db.engine)
    if current == revision:
        return
    if current is not None:
        ancestors = {r.revision for r in script.iterate_revisions(revision, "base")}
        if current not in ancestors:
            raise BackupError(f"the target database is at schema revision {current}, newer than the backup's "
                              f"{revision}: restore into a new database that has not been migrated")
    migrate.upgrade(db.engine, revision)


class _Loader(_Handler):
    """Loads tables into the target transaction and stages files in the target data directory."""

    def __init__(self, conn: Connection, staging: Path, path: Path) -> None:
        self.conn, self.staging, self.path = conn, staging, path
        self.md = _reflect(conn)
        self.tables: dict[str, int] = {}
        self.files: list[tuple[PurePosixPath, dict[str, Any]]] = []
        self._table: Table | None = None
        self._decoders: list[tuple[str, str, sqltypes.TypeEngine[Any]]] = []
        self._rest = b""
        self._batch: list[dict[str, Any]] = []
        self._fh: BinaryIO | None = None

    def begin(self, meta: dict[str, Any]) -> None:
        kind = meta.get("kind")
        if kind == "table":
            name = str(meta.get("table"))
            table = self.md.tables.get(name)
            if table is None:
                raise BackupError(f"table {name} of the backup does not exist in the target schema")
            decoders = []
            for col in meta.get("columns", []):
                c = table.columns.get(col["name"])
                if c is None:
                    raise BackupError(f"column {name}.{col['name']} of the backup does not exist in the target schema")
                decoders.append((col["name"], col["type"], c.type))
            self._table, self._decoders, self._rest = table, decoders, b""
            self.tables[name] = 0
        elif kind == "file":
            rel = _safe_relpath(str(meta.get("path", "")), self.path)
            if f"files/{rel.as_posix()}" != meta.get("name"):
                raise BackupError(f"{self.path}: member {meta.get('name')} names another path; it has been tampered with")
            out = self.staging / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(out, "xb")  # noqa: SIM115 - closed in end()
            self.files.append((rel, meta))

    def data(self, payload: bytes) -> None:
        if self._table is not None:
            lines = (self._rest + payload).split(b"\n")
            self._rest = lines.pop()
            for line in lines:
                values = json.loads(line)
                if len(values) != len(self._decoders):
                    raise BackupError(f"{self.path}: a row of {self._table.name} has the wrong number of values")
                self._batch.append({n: _decode(tg, v, t) for (n, tg, t), v in zip(self._decoders, values, strict=True)})
            if len(self._batch) >= _BATCH:
                self._flush()
        elif self._fh is not None:
            self._fh.write(payload)

    def _flush(self) -> None:
        if self._batch and self._table is not None:
            self.conn.execute(self._table.insert(), self._batch)
            self.tables[self._table.name] += len(self._batch)
            self._batch = []

    def end(self, meta: dict[str, Any], member: dict[str, Any]) -> None:
        if self._table is not None:
            if self._rest:
                raise BackupError(f"{self.path}: table {self._table.name} ends inside a row")
            self._flush()
            self._table = None
        elif self._fh is not None:
            self._fh.close()
            self._fh = None

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def _suspend_triggers(conn: Connection, md: MetaData) -> list[str]:
    """Switch the target's own triggers off for the load, inside the restore transaction (DDL is transactional on
    SQLite and PostgreSQL, so a failed restore rolls this back too): append-only and immutability guards (audit
    trail, approved runs' results) refuse rows that are not being created the normal way, and a restore re-creates
    history as it was. ``_resume_triggers`` switches them back on before the restore's own audit record and the
    commit. Returns what it needs to restore them."""
    if conn.dialect.name == "postgresql":
        q = conn.dialect.identifier_preparer
        names = [t.name for t in _tables(md)]
        for name in names:
            conn.execute(text(f"ALTER TABLE {q.quote(name)} DISABLE TRIGGER USER"))
        return names
    dbapi = conn.connection.dbapi_connection
    if not getattr(dbapi, "in_transaction", True):
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite would run the DDL below outside any transaction
    rows = conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL "
                                "ORDER BY name").all()
    q = conn.dialect.identifier_preparer
    for name, _sql in rows:
        conn.exec_driver_sql(f"DROP TRIGGER {q.quote(name)}")
    return [str(sql) for _name, sql in rows]


def _resume_triggers(conn: Connection, state: list[str]) -> None:
    if conn.dialect.name == "postgresql":
        q = conn.dialect.identifier_preparer
        for name in state:
            conn.execute(text(f"ALTER TABLE {q.quote(name)} ENABLE TRIGGER USER"))
        return
    for sql in state:
        conn.exec_driver_sql(sql)


def _reset_sequences(conn: Connection, md: MetaData) -> None:
    if conn.dialect.name != "postgresql":
        return
    q = conn.dialect.identifier_preparer
    for t in _tables(md):
        for c in t.primary_key.columns:
            if not isinstance(c.type, sqltypes.Integer):
                continue
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": q.quote(t.name), "c": c.name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({q.quote(c.name)}) FROM {q.quote(t.name)}), 1), "
                                  f"(SELECT MAX({q.quote(c.name)}) FROM {q.quote(t.name)}) IS NOT NULL)"), {"s": seq})


def verify_audit_chain(db: Database) -> tuple[bool | None, str]:
    """The audit trail's own verification (hash chain, signed checkpoints, journal): (verified, message)."""
    verify_db: Callable[..., Any] | None = getattr(audit, "verify_db", None)
    if verify_db is None:
        return None, "the audit trail has no verifier"
    rep = verify_db(db)
    if rep.ok:
        return True, f"the audit trail verifies ({rep.records} records, {rep.checkpoints} checkpoints)"
    shown = "; ".join(str(p) for p in rep.problems[:3])
    more = f" (and {len(rep.problems) - 3} more)" if len(rep.problems) > 3 else ""
    return False, f"the audit trail does not verify: {shown}{more}"


def restore_backup(
    path: str | os.PathLike[str],
    key: bytes,
    target: Settings | Database,
    actor: Actor,
    *,
    audit_db: Database | None = None,
) -> RestoreResult:
    """Restore a backup into a new data directory and an empty database (refuses anything else).

    The backup is verified completely first; then the target is migrated to the backup's revision, tables are loaded
    in one transaction with the audit record of the restore, files are put in place, and the schema is upgraded to
    the newest revision. ``audit_db`` (the system the restore is run from, if any) receives refusals and an audit
    record of the restore as well.
    """
    p = Path(path)
    _require(audit_db, actor, "backup.restore", str(p))
    key = _check_key(key)
    try:
        return _restore(p, key, target, actor, audit_db)
    except BaseException as exc:
        if audit_db is not None:
            try:
                _audit_failure(audit_db, actor, "backup.restore", str(p), {"error": _error_text(exc)[:500]})
            except Exception:  # noqa: BLE001 - the original error is raised
                pass
        if isinstance(exc, Exception) and not isinstance(exc, AktuarError):
            raise BackupError(f"the restore of {p} failed ({_error_text(exc)}); nothing was restored") from None
        raise


def _restore(p: Path, key: bytes, target: Settings | Database, actor: Actor,
             audit_db: Database | None) -> RestoreResult:
    checked = verify_backup(p, key)
    if not checked.ok:
        raise BackupError(f"{checked.message}; nothing was restored")
    _check_revision_known(str(checked.schema_revision))
    created_dir = not (target.settings if isinstance(target, Database) else target).data_dir.exists()
    db, owned = _target_database(target)
    data_dir = db.settings.data_dir
    placed: list[Path] = []
    staging: Path | None = None
    try:
        if not owned:
            _check_data_dir(data_dir, db.settings.database_url)
        with db.engine.connect() as conn:
            _check_empty_database(conn)
            conn.rollback()
        revision = str(checked.schema_revision)
        _prepare_schema(db, revision)
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = data_dir / f"{_STAGING_PREFIX}{secrets.token_hex(6)}"
        staging.mkdir(mode=0o700)
        with db.session() as s:
            conn = s.connection()
            _check_empty_database(conn)
            loader = _Loader(conn, staging, p)
            triggers = _suspend_triggers(conn, loader.md)
            try:
                res = _read(p, key, loader)
            finally:
                loader.close()
            if res.manifest != checked.manifest:
                raise BackupError(f"{p} changed while it was being restored; nothing was restored")
            _reset_sequences(conn, loader.md)
            _resume_triggers(conn, triggers)
            for rel, meta in loader.files:
                src, dst = staging / rel, data_dir / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(src, int(meta.get("mode", 0o640)) & 0o777)
                if "mtime_ns" in meta:
                    os.utime(src, ns=(int(meta["mtime_ns"]), int(meta["mtime_ns"])))
                os.replace(src, dst)
                placed.append(dst)
            s.flush()
            audit.record(s, actor, CATEGORY, "backup.restore", object=p.name, details={
                "file": p.name, "sha256": _file_sha256(p), "key_id": checked.key_id,
                "backup_created_at": res.info["created_at"], "schema_revision": revision,
                "source": res.info.get("source", {}), "rows": sum(loader.tables.values()),
                "files": len(loader.files)})
        placed = []  # committed: from here on the restored system stays, whatever happens
        shutil.rmtree(staging, ignore_errors=True)
        staging = None
        # to the newest schema, recording the migration and a change of the aktuar version as installed changes
        from aktuar.services.system import upgrade as system_upgrade

        try:
            system_upgrade(db, actor)
        except Exception as exc:  # noqa: BLE001 - reported with what to do; the restored data stays
            raise BackupError(f"the backup was restored into {data_dir} at schema revision {revision}, but the upgrade "
                              f"to the newest schema failed ({_error_text(exc)}): run `aktuar db upgrade` for the "
                              f"restored system") from None
        try:
            ok, message = verify_audit_chain(db)
        except Exception as exc:  # noqa: BLE001 - the verifier failing is itself a finding, not a failed restore
            ok, message = False, f"the audit trail could not be verified ({_error_text(exc)})"
        notes = ["keys/ is never in a backup: put the escrowed keys/secrets.key (two-factor secrets) and, to keep "
                 "signing audit checkpoints with the same key, keys/audit_ed25519.pem into the new data directory "
                 "before users log in"]
        try:
            restored_schedule = get_schedule(db)
        except (ValueError, KeyError, TypeError):
            restored_schedule = None
        if restored_schedule is not None and restored_schedule.enabled:
            notes.append(f"the restored system has the original's backup schedule (into "
                         f"{restored_schedule.destination}): change it with `aktuar backup schedule` if both systems "
                         f"keep running, so that one does not prune the other's backups")
        result = RestoreResult(
            path=p, data_dir=data_dir, database=_redact(db.settings.database_url), backup_revision=revision,
            schema_revision=migrate.current(db.engine), tables=dict(loader.tables), files=len(loader.files),
            audit_verified=ok, audit_message=message, notes=notes)
    except BaseException:
        for f in placed:
            f.unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if created_dir and owned:
            _remove_empty_dirs(data_dir)
        raise
    finally:
        if owned:
            db.dispose()
    if audit_db is not None:
        try:
            with audit_db.session() as s:
                audit.record(s, actor, CATEGORY, "backup.restore", object=p.name, details={
                    "into": {"data_dir": str(data_dir), "database": result.database},
                    "rows": sum(result.tables.values()), "files": result.files})
        except Exception as exc:  # noqa: BLE001 - the restore itself is done and audited in the restored system
            result.notes.append(f"the restore could not be recorded in the audit trail of the system it was run "
                                f"from ({_error_text(exc)}); it is recorded in the restored system")
    return result


def _remove_empty_dirs(root: Path) -> None:
    if not root.is_dir():
        return
    for dirpath, _dirs, _files in sorted(os.walk(root, topdown=False), key=lambda x: -len(x[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


# ------------------------------------------------------------------------------------------------- list, prune
def scan_backups(dest_dir: str | os.PathLike[str]) -> list[BackupListing]:
    """The aktuar backups in a directory, newest first (from their headers, which are not secret but are only
    authenticated when the backup is read with its key)."""
    d = Path(dest_dir)
    out: list[BackupListing] = []
    if not d.is_dir():
        return out
    for p in sorted(d.iterdir()):
        if p.name.startswith(".") or not p.is_file() or p.suffix != SUFFIX:
            continue
        try:
            with open(p, "rb") as fh:
                header, _ = _read_header(fh, p)
            created = datetime.fromisoformat(header["created_at"])
        except (BackupError, OSError, ValueError):
            continue
        out.append(BackupListing(path=p, created_at=created, size_bytes=p.stat().st_size, key_id=header["key_id"],
                                 schema_revision=str(header["schema_revision"]),
                                 aktuar_version=str(header.get("aktuar_version", "?"))))
    out.sort(key=lambda b: (b.created_at, b.path.name), reverse=True)
    return out


def list_backups(db: Database, actor: Actor, dest_dir: str | os.PathLike[str]) -> list[BackupListing]:
    """``scan_backups`` for an actor with ``backup.manage`` (refusals are audited)."""
    _require(db, actor, "backup.list", str(dest_dir))
    return scan_backups(dest_dir)


def prune_backups(db: Database, actor: Actor, dest_dir: str | os.PathLike[str], retention: int) -> list[Path]:
    """Delete the oldest backups in ``dest_dir`` beyond the newest ``retention`` (audited)."""
    _require(db, actor, "backup.prune", str(dest_dir))
    if retention < 1:
        raise BackupError("the retention must keep at least one backup")
    old = scan_backups(dest_dir)[retention:]
    removed: list[Path] = []
    try:
        for b in old:
            b.path.unlink()
            removed.append(b.path)
    except OSError as exc:
        _audit_failure(db, actor, "backup.prune", str(dest_dir),
                       {"removed": [p.name for p in removed], "error": _error_text(exc)})
        raise BackupError(f"an old backup in {dest_dir} could not be deleted ({_error_text(exc)})") from None
    if removed:
        with db.session() as s:
            audit.record(s, actor, CATEGORY, "backup.prune", object=str(dest_dir),
                         details={"removed": [p.name for p in removed], "retention": retention})
    return removed


# --------------------------------------------------------------------------------------------------- schedule
_INTERVAL = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_interval(value: str) -> int:
    """Seconds of an interval written as ``30m``, ``6h``, ``1d`` or ``1w``."""
    m = _INTERVAL.match(value or "")
    if not m:
        raise InputError(f"interval '{value}' is not understood: write a number and a unit m, h, d or w (e.g. 1d)")
    return int(m.group(1)) * _UNITS[m.group(2)]


def get_schedule(db: Database) -> BackupSchedule | None:
    value = _schedule_value(db)
    if not value:
        return None
    return BackupSchedule(interval_seconds=int(value["interval_seconds"]), destination=str(value["destination"]),
                          retention=int(value["retention"]), enabled=bool(value.get("enabled", True)))


def set_schedule(
    db: Database,
    actor: Actor,
    *,
    interval_seconds: int,
    destination: str | os.PathLike[str],
    retention: int,
    enabled: bool = True,
    now: datetime | None = None,
) -> BackupSchedule:
    """Set the order and periodicity of scheduled backups (KZ164-28); audited as a system parameter change."""
    _require(db, actor, "backup.schedule", SCHEDULE_KEY)
    if interval_seconds < 60:
        raise InputError("the backup interval must be at least one minute")
    if not 1 <= retention <= 10000:
        raise InputError("the retention must keep between 1 and 10000 backups")
    dest = Path(destination).expanduser()
    if not dest.is_absolute():
        raise InputError(f"the backup destination '{destination}' must be an absolute path")
    if dest.resolve() == (db.settings.data_dir / "keys").resolve() or (db.settings.data_dir / "keys").resolve() in \
            dest.resolve().parents:
        raise InputError("backups cannot be kept in the keys directory: choose another destination")
    sched = BackupSchedule(interval_seconds=int(interval_seconds), destination=str(dest), retention=int(retention),
                           enabled=enabled)
    at = audit.utc(now or datetime.now(UTC))
    with db.session() as s:
        row = s.get(Setting, SCHEDULE_KEY)
        before = json.loads(row.value) if row is not None else None
        value = json.dumps(sched.as_dict(), sort_keys=True)
        if row is None:
            s.add(Setting(key=SCHEDULE_KEY, value=value, changed_by=actor.username, changed_at=at))
        else:
            row.value, row.changed_by, row.changed_at = value, actor.username, at
        audit.record(s, actor, CATEGORY, "setting.change", object=SCHEDULE_KEY,
                     details={"from": before, "to": sched.as_dict()})
    return sched


def run_scheduled(
    db: Database,
    now: datetime | None = None,
    *,
    key: bytes | None = None,
    actor: Actor | None = None,
    key_file: str | os.PathLike[str] | None = None,
) -> ScheduledResult:
    """Make a backup if the schedule says one is due, then keep only the newest ``retention`` (outcomes audited).

    Due means: no backup in the destination made within the interval. The key comes from the environment unless
    given. Failures are audited and returned (status ``failed``), never raised, so a scheduler sees them.
    """
    at = audit.utc(now or datetime.now(UTC))
    who = actor or Actor(username="system", roles=frozenset({"system"}), source="scheduler", via="system")
    sched = get_schedule(db)
    if sched is None:
        return ScheduledResult("not_configured", "no backup schedule is set (`aktuar backup schedule --every 1d "
                                                 "--dest DIR --keep N`)")
    if not sched.enabled:
        return ScheduledResult("disabled", "scheduled backups are switched off")
    existing = scan_backups(sched.destination)
    interval = timedelta(seconds=sched.interval_seconds)
    if existing and existing[0].created_at + interval > at:
        nxt = existing[0].created_at + interval
        return ScheduledResult("not_due", f"the newest backup ({existing[0].path.name}) is recent; the next is due at "
                                          f"{nxt.isoformat(timespec='seconds')}", next_due=nxt)
    try:
        k = key if key is not None else load_key()
    except BackupError as exc:
        _audit_failure(db, who, "backup.scheduled", sched.destination, {"error": str(exc)})
        return ScheduledResult("failed", str(exc))
    try:
        info = create_backup(db, who, sched.destination, k, at, scheduled=True,
                             key_file=key_file or os.environ.get(KEY_FILE_ENV))
    except (BackupError, rbac.PermissionDenied) as exc:
        return ScheduledResult("failed", str(exc))
    try:
        pruned = prune_backups(db, who, sched.destination, sched.retention)
    except BackupError as exc:
        return ScheduledResult("failed", f"backup {info.path.name} made, but pruning failed: {exc}", backup=info)
    return ScheduledResult("created", f"backup {info.path.name} made" + (f"; {len(pruned)} old backup(s) deleted"
                                                                       if pruned else ""),
                           backup=info, pruned=pruned, next_due=at + interval)
