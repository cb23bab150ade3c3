"""Generate ``requirements.yaml`` (the packaged list of requirement IDs) from REQUIREMENTS.md.

``python -m aktuar.compliance.gen_requirements [../shared/REQUIREMENTS.md]`` rewrites the packaged file; a test
checks that the packaged list still matches REQUIREMENTS.md when that file is present.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from aktuar.compliance import REQUIREMENTS_FILE

ID_RE = re.compile(r"^[A-Z][A-Z0-9]*-[A-Z0-9]+$")


def parse(markdown: str) -> list[dict[str, Any]]:
    """Every table row whose first cell is a requirement ID, with its group (the ``##`` heading) and the other
    cells (``place`` when the table has a paragraph/place column, and ``text``)."""
    out: list[dict[str, Any]] = []
    group = ""
    header: list[str] = []
    for line in markdown.splitlines():
        if line.startswith("## "):
            group = line[3:].strip()
            header = []
            continue
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "ID":
            header = [c.lower() for c in cells]
            continue
        if not cells or not ID_RE.match(cells[0]):
            continue
        row: dict[str, Any] = {"id": cells[0], "group": group.split(" — ")[0].strip()}
        if len(cells) >= 3 and len(header) >= 3:
            row["place"] = cells[1]
        row["text"] = cells[-1]
        out.append(row)
    return out


def render(rows: list[dict[str, Any]]) -> str:
    head = ("# Generated from REQUIREMENTS.md by `python -m aktuar.compliance.gen_requirements`; do not edit.\n")
    return head + str(yaml.safe_dump({"requirements": rows}, allow_unicode=True, sort_keys=False, width=1000))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    src = Path(args[0]) if args else Path(__file__).resolve().parents[4] / "shared" / "REQUIREMENTS.md"
    rows = parse(src.read_text(encoding="utf-8"))
    REQUIREMENTS_FILE.write_text(render(rows), encoding="utf-8")
    print(f"{len(rows)} requirements written to {REQUIREMENTS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
