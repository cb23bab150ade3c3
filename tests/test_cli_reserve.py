"""`aktuar reserve` as a user runs it: the acceptance interface of the reserving engine.

Cases: a wide triangle CSV and a long CSV with segment columns, every method, the documented options, the
JSON schema, and bad inputs (non-zero exit, a message naming file/row/column, nothing written).
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aktuar.cli import app

REF = Path(__file__).parent / "reference" / "data"
runner = CliRunner()


def write_wide(path: Path, case: str) -> dict:
    data = json.loads((REF / f"{case}.json").read_text())
    t = data["triangle"]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["origin", *t["development"]])
        for o, row in zip(t["origin"], t["values"], strict=True):
            w.writerow([o, *["" if v is None else v for v in row]])
    return data


def write_long(path: Path, segments: dict[str, list[list[float | None]]], ages: list[int]) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["line", "origin", "development", "value"])
        for seg, rows in segments.items():
            for i, row in enumerate(rows):
                for age, v in zip(ages, row, strict=True):
                    if v is not None:
                        w.writerow([seg, 2001 + i, age, v])


def run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.output


@pytest.fixture()
def taylor_ashe(tmp_path: Path) -> tuple[Path, dict]:
    p = tmp_path / "ta.csv"
    return p, write_wide(p, "mack1993_taylor_ashe")


def test_mack_on_wide_csv_reproduces_mack_1993(tmp_path: Path, taylor_ashe) -> None:
    path, case = taylor_ashe
    out = tmp_path / "out.json"
    code, text = run("reserve", str(path), "--method", "mack", "--sigma", "mack", "--out", str(out))
    assert code == 0, text
    doc = json.loads(out.read_text())
    assert doc["schema"] == "aktuar-reserve/1"
    seg = doc["segments"][0]
    assert seg["total"]["se"] == pytest.approx(2447094.8608, rel=1e-9)
    assert seg["total"]["ibnr"] == pytest.approx(18680855.6119, rel=1e-9)
    by_origin = {r["origin"]: r for r in seg["origins"]}
    for label, exp in case["expected"]["by_origin"].items():
        o = case["triangle"]["origin"][int(label) - 1] if label not in by_origin else label
        assert by_origin[o]["se"] == pytest.approx(exp["se"], abs=0.5)
    assert len(seg["development"]["ldf"]) == 9
    assert doc["input"]["sha256"] and doc["options"]["sigma"] == "mack"


def test_default_options_and_every_method(tmp_path: Path, taylor_ashe) -> None:
    path, _ = taylor_ashe
    exposure = tmp_path / "exposure.csv"
    exposure.write_text("origin,exposure\n" + "".join(f"{o},{1e7}\n" for o in range(1, 11)))
    for method in ("chainladder", "mack", "cdr", "bootstrap"):
        out = tmp_path / f"{method}.json"
        code, text = run("reserve", str(path), "--method", method, "--out", str(out), "--sims", "300", "--seed", "3")
        assert code == 0, text
        seg = json.loads(out.read_text())["segments"][0]
        assert seg["total"]["ibnr"] > 0
        for rec in seg["origins"]:
            assert {"latest", "ultimate", "ibnr"} <= rec.keys()
            if method != "chainladder":
                assert "se" in rec
    for method in ("bf", "benktander", "capecod"):
        out = tmp_path / f"{method}.json"
        code, text = run("reserve", str(path), "--method", method, "--exposure", str(exposure), "--apriori", "0.6",
                         "--out", str(out))
        assert code == 0, text
        assert json.loads(out.read_text())["segments"][0]["total"]["ultimate"] > 0


def test_bootstrap_is_reproducible_with_a_seed(tmp_path: Path, taylor_ashe) -> None:
    path, _ = taylor_ashe
    docs = []
    for i in range(2):
        out = tmp_path / f"b{i}.json"
        code, text = run("reserve", str(path), "--method", "bootstrap", "--sims", "500", "--seed", "42",
                         "--out", str(out))
        assert code == 0, text
        docs.append(json.loads(out.read_text())["segments"])
    assert docs[0] == docs[1]
    q = docs[0][0]["total"]["quantiles"]
    assert q["0.75"] < q["0.95"] < q["0.995"]


def test_tails_and_sigma_options(tmp_path: Path, taylor_ashe) -> None:
    path, _ = taylor_ashe
    totals = {}
    for tail in ("none", "constant", "exponential", "inverse_power", "bondy"):
        out = tmp_path / f"{tail}.json"
        extra = ["--tail-factor", "1.05"] if tail == "constant" else []
        code, text = run("reserve", str(path), "--method", "mack", "--tail", tail, *extra, "--out", str(out))
        assert code == 0, text
        seg = json.loads(out.read_text())["segments"][0]
        totals[tail] = seg["total"]["ibnr"]
        assert (seg["development"]["tail"] > 1) == (tail != "none")
    assert totals["constant"] == pytest.approx(53038945.61 * 1.05 - 34358090, rel=1e-6)
    out = tmp_path / "ll.json"
    assert run("reserve", str(path), "--method", "mack", "--sigma", "loglinear", "--out", str(out))[0] == 0
    assert json.loads(out.read_text())["segments"][0]["total"]["se"] == pytest.approx(2441364.128, rel=1e-8)


def test_long_csv_with_segments_incremental_and_outputs(tmp_path: Path) -> None:
    ages = [12, 24, 36]
    segs = {"motor": [[100, 150, 160], [110, 170, None], [120, None, None]],
            "property": [[50, 60, 61], [55, 65, None], [70, None, None]]}
    path = tmp_path / "long.csv"
    write_long(path, segs, ages)
    out = tmp_path / "o.json"
    code, text = run("reserve", str(path), "--method", "chainladder", "--out", str(out))
    assert code == 0, text
    doc = json.loads(out.read_text())
    assert doc["segment_columns"] == ["line"]
    labels = [s["segment"]["line"] for s in doc["segments"]]
    assert labels == ["motor", "property"]
    motor = doc["segments"][0]
    f1 = (150 + 170) / (100 + 110)
    f2 = 160 / 150
    assert motor["origins"][2]["ultimate"] == pytest.approx(120 * f1 * f2, rel=1e-12)
    # incremental input gives the same result as its cumulative form
    inc = {k: [[r[0]] + [None if r[j] is None else r[j] - r[j - 1] for j in (1, 2)] for r in v] for k, v in segs.items()}
    p2 = tmp_path / "inc.csv"
    write_long(p2, inc, ages)
    out2 = tmp_path / "o2.json"
    assert run("reserve", str(p2), "--incremental", "--method", "chainladder", "--out", str(out2))[0] == 0
    assert json.loads(out2.read_text())["segments"] == doc["segments"]
    # CSV and XLSX outputs
    for ext in ("csv", "xlsx"):
        o = tmp_path / f"o.{ext}"
        assert run("reserve", str(path), "--method", "mack", "--out", str(o))[0] == 0
        assert o.stat().st_size > 0
    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert rows[0]["line"] == "motor" and rows[3]["origin"] == "Total"
    import openpyxl

    wb = openpyxl.load_workbook(tmp_path / "o.xlsx")
    assert {"Summary", "Results", "motor", "property"} <= set(wb.sheetnames)


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        ("line,origin,development,value\nmotor,2001,12,abc\n", ["row 2", "value"]),
        ("line,origin,development,value\nmotor,2001,12,1\nmotor,2001,12,2\n", ["row 3", "duplicate"]),
        ("line,origin,value\nmotor,2001,1\n", []),
        ("", ["empty"]),
    ],
)
def test_bad_files_fail_with_location_and_write_nothing(tmp_path: Path, content: str, fragments: list[str]) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "out.json"
    code, text = run("reserve", str(path), "--method", "chainladder", "--out", str(out))
    assert code != 0
    assert "bad.csv" in text
    for frag in fragments:
        assert frag in text.lower() or frag in text
    assert not out.exists()
    assert "Traceback" not in text


def test_bad_options_fail_cleanly(tmp_path: Path, taylor_ashe) -> None:
    path, _ = taylor_ashe
    out = tmp_path / "o.json"
    for args in (["--method", "magic"], ["--method", "bf"], ["--tail", "constant"], ["--sigma", "x"],
                 ["--method", "bootstrap", "--sims", "0"]):
        code, text = run("reserve", str(path), *args, "--out", str(out))
        assert code == 2, (args, text)
        assert "error" in text and "Traceback" not in text
        assert not out.exists()
    code, text = run("reserve", str(tmp_path / "missing.csv"), "--out", str(out))
    assert code == 2 and "does not exist" in text
    code, text = run("reserve", str(path), "--out", str(tmp_path / "o.txt"))
    assert code == 2 and ".json" in text


def test_console_script_runs(tmp_path: Path, taylor_ashe) -> None:
    path, _ = taylor_ashe
    out = tmp_path / "o.json"
    exe = Path(sys.executable).parent / "aktuar"
    proc = subprocess.run([str(exe), "reserve", str(path), "--method", "mack", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert np.isfinite(json.loads(out.read_text())["segments"][0]["total"]["se"])


def test_mack_1999_tail_with_selected_sigma_and_se(tmp_path: Path) -> None:
    """Mack (1999) mortgage example: tail 1.05 with σ = 71 and s.e. = 0.02 (R ChainLadder's output,
    MackChainLadder(Mortgage, tail=1.05, tail.sigma=71, tail.se=0.02, est.sigma="Mack"))."""
    path = tmp_path / "mortgage.csv"
    case = write_wide(path, "mack1999_mortgage")
    out = tmp_path / "o.json"
    code, text = run("reserve", str(path), "--method", "mack", "--tail", "constant", "--tail-factor", "1.05",
                     "--tail-sigma", "71", "--tail-se", "0.02", "--out", str(out))
    assert code == 0, text
    total = json.loads(out.read_text())["segments"][0]["total"]
    r = case["secondary"]["r_chainladder_MackChainLadder_tail"]["total"]
    assert total["se"] == pytest.approx(r["se"], rel=1e-6)
    assert total["ibnr"] == pytest.approx(r["ibnr"], rel=1e-6)


def test_wide_file_with_a_blank_first_header(tmp_path: Path) -> None:
    """A spreadsheet export often leaves the origin column's header empty."""
    path = tmp_path / "w.csv"
    path.write_text(",12,24,36\n2001,100,150,160\n2002,110,170,\n2003,120,,\n")
    out = tmp_path / "o.json"
    code, text = run("reserve", str(path), "--method", "chainladder", "--out", str(out))
    assert code == 0, text
    seg = json.loads(out.read_text())["segments"][0]
    assert [o["origin"] for o in seg["origins"]] == ["2001", "2002", "2003"]
    assert seg["total"]["ultimate"] == pytest.approx(536.380952380952, rel=1e-12)
    dup = tmp_path / "d.csv"
    dup.write_text(",1,2\n2001,1,2\n2001,3,\n")
    code, text = run("reserve", str(dup), "--out", str(tmp_path / "d.json"))
    assert code == 2 and "row 3" in text and "duplicate origin" in text


def test_unexpected_errors_are_one_line_not_a_trace(tmp_path: Path, monkeypatch) -> None:
    """The console script's last resort: an internal error is one sentence and exit code 3."""
    from aktuar import cli

    def boom(*_a, **_k):
        raise RuntimeError("simulated fault\\nsecond line")

    monkeypatch.setattr("aktuar.services.runs.reserve_file", boom)
    monkeypatch.setattr(sys, "argv", ["aktuar", "reserve", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o.json")])
    monkeypatch.delenv("AKTUAR_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 3
