"""A separate process that prepares a run or imports a file, for the kill -9 fault tests.

Usage: python valuation_worker.py '<json>' with data_dir, url, schema (PostgreSQL, or null), mode
(prepare | import) and the mode's arguments. Prints "started", "progress d t" and "done" lines (flushed).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine

from aktuar.security.context import Actor
from aktuar.services import valuation as val
from aktuar.store.db import Database, Settings


def main() -> None:
    args = json.loads(sys.argv[1])
    settings = Settings(data_dir=Path(args["data_dir"]), database_url=args["url"])
    engine = None
    if args.get("schema"):
        engine = create_engine(args["url"], connect_args={"options": f"-csearch_path={args['schema']}"})
    db = Database(settings, engine=engine)
    actor = Actor("alice", frozenset({"actuary"}), user_id=1, source="fault-test")
    print("started", flush=True)
    if args["mode"] == "prepare":
        run = val.prepare_run(db, actor, date.fromisoformat(args["date"]), None, args["methodology"],
                              {"triangle": args["dataset"]}, {"segment_columns": ["class"]},
                              progress=lambda d, t: print(f"progress {d} {t}", flush=True))
        print(f"done {run.id}", flush=True)
    else:
        ds = val.import_dataset(db, actor, Path(args["file"]), args["kind"])
        print(f"done {ds.id}", flush=True)


if __name__ == "__main__":
    main()
