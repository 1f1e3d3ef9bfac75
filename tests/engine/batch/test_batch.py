"""`clearance batch` end to end on real files: every row out, in input order, whatever it holds; the same bytes
for any number of workers; license depletion in input order; spreadsheet-safe cells; BOM and `;` files; a bad
header or file stopping before any work; interruption and resume; JSON lines and the summary."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.contract import CSV_COLUMNS
from engine.store import DecisionLog
from tests.engine.evaluation.test_second_edition_features import FEATURES, RULES

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "transactions.csv"
HEADER = list(CSV_COLUMNS)
GOOD = {
    "id": "T-1", "date": "2026-02-01", "product": "H200", "quantity": "100", "unit_price_usd": "30000",
    "destination": "DE", "customer_name": "Deutsche Rechenzentren GmbH", "customer_country": "DE",
    "end_use": "commercial-ai",
}  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER, delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["batch", *map(str, args)])
    return result.exit_code, result.output


def read_out(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as handle:
        return list(csv.DictReader(handle))


def test_every_example_row_gets_a_decision_in_input_order(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    code, output = run(EXAMPLES, "-o", out, "--workers", "1", "--summary", tmp_path / "s.json")
    assert code == 0, output
    rows = read_out(out)
    with EXAMPLES.open(newline="") as handle:
        source = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == [r["id"] for r in source]
    assert all(r["decision"] in ("allow", "deny", "review") and not r["error"] for r in rows)
    assert all(r[c] == s[c] for r, s in zip(rows, source, strict=True) for c in source[0])  # passed through
    assert all(r["explanation"].startswith(r["decision"].upper()) and r["ruleset_version"] for r in rows)
    summary = json.loads((tmp_path / "s.json").read_text())
    counts = {k: sum(r["decision"] == k for r in rows) for k in ("allow", "deny", "review")}
    assert summary["rows"] == len(rows) and {k: summary["decisions"][k] for k in counts} == counts
    assert summary["top_rules"][0]["count"] >= summary["top_rules"][-1]["count"] > 0
    assert f"{len(rows):,} rows" in output and "wrote" in output


BAD_ROWS = [
    ({"customer_name": ""}, "customer_name: is required"),
    ({"date": "2026-02-30"}, "date: "),
    ({"quantity": "-5"}, "quantity: "),
    ({"destination": "XX"}, "destination: `XX` is not an assigned"),
    ({"attestations": "us-third-party-tested"}, "attestations: `us-third-party-tested` is not in the pack's"),
    ({"customer_name": "Line one\nFORGED,row"}, "customer_name: holds a control"),
]  # fmt: skip


def test_each_bad_row_gets_an_error_naming_its_column_and_the_run_goes_on(tmp_path: Path) -> None:
    rows = [GOOD] + [{**GOOD, "id": f"B-{i}", **change} for i, (change, _) in enumerate(BAD_ROWS)] + [GOOD]
    source = write_csv(tmp_path / "in.csv", rows)
    with source.open("ab") as handle:  # not UTF-8; too many cells; too few
        handle.write(b"B-BYTES,2026-02-01,H200,1,1,US,DE,,Caf\xe9 GmbH,DE,,,,,,,,,,,\r\n")
        handle.write(("B-WIDE," + ",".join(["x"] * (len(HEADER) + 1)) + "\r\n").encode())
        handle.write(b"B-NARROW,2026-02-01\r\n")
    out = tmp_path / "out.csv"
    code, output = run(source, "-o", out, "--workers", "1")
    assert code == 0, output
    result = read_out(out)
    assert len(result) == len(rows) + 3
    assert result[0]["decision"] and result[len(BAD_ROWS) + 1]["decision"]  # the good rows around them
    for row, (_, message) in zip(result[1:], BAD_ROWS, strict=False):
        assert row["decision"] == "" and message in row["error"], row["error"]
    assert result[-3]["error"] == "customer_name: is not valid UTF-8"
    assert "the row has 23 cells; the header has 21" in result[-2]["error"]
    assert "the row has 2 cells; the header has 21" in result[-1]["error"]
    raw = out.read_bytes()
    assert b"Caf\xe9 GmbH" in raw  # the bytes passed through as they were
    assert "errors by column" in output


@pytest.mark.parametrize(
    "header, message",
    [
        (["id", "date", "quantity"], "lacks the required columns `unit_price_usd`, `destination`, `customer_name`"),
        ([*HEADER, "id"], "column `id` appears twice"),
        ([*HEADER, "decision"], "column `decision` is one the output adds"),
    ],
)
def test_a_bad_header_stops_before_any_work(tmp_path: Path, header: list[str], message: str) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD], header)
    code, output = run(source, "-o", tmp_path / "out.csv", "--workers", "1")
    assert code == 2 and message in output and "in.csv:1" in output
    assert not any(p.name.startswith("out.csv") for p in tmp_path.iterdir())


def test_an_unreadable_or_empty_file_stops_with_a_clear_message(tmp_path: Path) -> None:
    code, output = run(tmp_path / "missing.csv", "-o", tmp_path / "out.csv")
    assert code == 2 and "missing.csv: cannot be read" in output
    (tmp_path / "empty.csv").write_text("")
    code, output = run(tmp_path / "empty.csv", "-o", tmp_path / "out.csv")
    assert code == 2 and "the file is empty" in output


def test_a_bom_and_semicolons_are_read_and_the_decisions_are_the_same(tmp_path: Path) -> None:
    rows = [{**GOOD, "id": f"T-{i}", "quantity": str(10 + i)} for i in range(5)]
    plain, european = tmp_path / "plain.csv", tmp_path / "eu.csv"
    write_csv(plain, rows)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADER, delimiter=";", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    european.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode())
    for source in (plain, european):
        assert run(source, "-o", source.with_suffix(".out"), "--workers", "1")[0] == 0
    eu_out = european.with_suffix(".out").read_bytes()
    assert eu_out.startswith(b"\xef\xbb\xbf") and b";decision;fee_usd;" in eu_out
    decided = [[r[c] for c in ("decision", "fee_usd", "rules")] for r in read_out(plain.with_suffix(".out"))]
    with european.with_suffix(".out").open(newline="", encoding="utf-8-sig") as handle:
        again = [[r[c] for c in ("decision", "fee_usd", "rules")] for r in csv.DictReader(handle, delimiter=";")]
    assert decided == again and all(d[0] for d in decided)


def test_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    rows = [
        {**GOOD, "id": "=1+2", "customer_name": '=HYPERLINK("http://x.example","click")'},
        {**GOOD, "id": "+T", "customer_name": "@SUM(A1)"},
        {**GOOD, "id": "-T", "customer_name": "Safe Name", "license_number": "-L"},
    ]
    out = tmp_path / "out.csv"
    assert run(write_csv(tmp_path / "in.csv", rows), "-o", out, "--workers", "1")[0] == 0
    result = read_out(out)
    assert [r["id"] for r in result] == ["'=1+2", "'+T", "'-T"]
    assert result[0]["customer_name"].startswith("'=HYPERLINK") and result[1]["customer_name"] == "'@SUM(A1)"
    for row in result:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("cell", [" =1", "  +SUM(A1)", "\u00a0@cmd", "\uff1d1+2", "\u3000-2"])
def test_14_a_formula_behind_blanks_or_in_full_width_is_neutralised(tmp_path: Path, cell: str) -> None:
    out = tmp_path / "out.csv"
    source = write_csv(tmp_path / "in.csv", [{**GOOD, "note": cell}], header=[*HEADER, "note"])
    assert run(source, "-o", out, "--workers", "1")[0] == 0
    assert read_out(out)[0]["note"] == "'" + cell


def test_14_a_quote_left_open_stops_the_file_naming_its_line(tmp_path: Path) -> None:
    """Python's csv reader takes every line after an unclosed quote into one cell: two input lines would give
    one output row. The file stops instead, with the line to fix, and no output."""
    good = write_csv(tmp_path / "good.csv", [{**GOOD, "id": f"T-{i}"} for i in range(4)])
    lines = good.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace("Deutsche Rechenzentren GmbH", '"Deutsche Rechenzentren GmbH')
    broken = tmp_path / "broken.csv"
    broken.write_text("".join(lines))
    out = tmp_path / "out.csv"
    code, output = run(broken, "-o", out, "--workers", "1")
    assert code == 2 and f"{broken}:3: a quoted cell is not closed: the row runs on to line 5" in output
    assert not out.exists() and not out.with_name("out.csv.partial").exists()


def test_14_a_quoted_line_break_stays_one_row(tmp_path: Path) -> None:
    rows = [{**GOOD, "id": "T-1", "note": "first line\nsecond line"}, {**GOOD, "id": "T-2", "note": "x"}]
    out = tmp_path / "out.csv"
    assert run(write_csv(tmp_path / "in.csv", rows, header=[*HEADER, "note"]), "-o", out, "--workers", "1")[0] == 0
    result = read_out(out)
    assert [r["id"] for r in result] == ["T-1", "T-2"] and result[0]["note"] == "first line\nsecond line"


def test_the_output_is_the_same_bytes_for_any_number_of_workers(tmp_path: Path) -> None:
    outputs = []
    for workers in (1, 2, 3):
        out = tmp_path / f"out-{workers}.csv"
        code, output = run(EXAMPLES, "-o", out, "--workers", workers, "--chunk-rows", 37)
        assert code == 0, output
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_license_depletion_counts_earlier_allowed_rows_in_input_order(
    tmp_path: Path, write_pack: Callable[..., Path]
) -> None:
    pack = write_pack({"r.yaml": RULES}, manifest=FEATURES)
    base = {"date": "2026-02-01", "unit_price_usd": "10", "destination": "DE", "customer_name": "Acme GmbH"}
    rows = [
        {**base, "id": f"L-{i}", "quantity": "300", "license_number": "LIC-A" if i % 2 else "LIC-B"} for i in range(12)
    ]
    source = write_csv(tmp_path / "in.csv", rows)
    log = DecisionLog(str(tmp_path / "log.db"))
    log.migrate()
    log.close()
    for counted, held in ((["--database", tmp_path / "log.db"], "allow"), ([], "review")):
        outputs = []
        for workers in (1, 3):
            out = tmp_path / f"out-{workers}.csv"
            code, output = run(source, "-o", out, "--workers", workers, "--chunk-rows", 2, "--pack", pack, *counted)
            assert code == 0, output
            outputs.append(out.read_bytes())
        assert outputs[0] == outputs[1]
        result = read_out(tmp_path / "out-1.csv")
        for license_number in ("LIC-A", "LIC-B"):
            decisions = [r["decision"] for r in result if r["license_number"] == license_number]
            assert decisions == [held] * 3 + ["deny"] * 3  # 3 x 300 units fit in 1,000, the 4th does not
        fourth = [r for r in result if r["license_number"] == "LIC-A"][3]
        assert "license LIC-A exhausted: 900 of 1,000 units used, this line needs 300" in fourth["explanation"]
        first = result[0]
        if held == "review":  # without a log: the file's own rows are counted, and no license row is allowed
            assert first["rules"].endswith("USAGE-NOT-COUNTED")
            assert "usage not counted against the log" in first["explanation"]
            assert first["fee_usd"] == "0.00"


def test_json_lines_give_one_object_per_row(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD, {**GOOD, "id": "B", "quantity": "0"}])
    out = tmp_path / "out.jsonl"
    assert run(source, "-o", out, "--jsonl", "--workers", "1")[0] == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["row"] for line in lines] == [1, 2] and [line["line"] for line in lines] == [2, 3]
    assert lines[0]["decision"] and lines[0]["error"] is None and lines[0]["input"]["id"] == "T-1"
    assert lines[1]["decision"] is None and lines[1]["error"].startswith("quantity:")


def test_progress_is_quiet_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD])
    code, output = run(source, "-o", tmp_path / "out.csv", "--workers", "1")
    assert code == 0 and "rows/s" in output and "\r" not in output and "━" not in output


def big_input(tmp_path: Path, rows: int) -> Path:
    path = tmp_path / "big.csv"
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_csv.py"), "-o", str(path), "-n", str(rows)], check=True
    )
    return path


def clearance(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "engine.cli", "batch", *map(str, args)]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_run_leaves_no_output_and_resumes_to_the_same_bytes(tmp_path: Path, how: int) -> None:
    source = big_input(tmp_path, 6000)
    whole = tmp_path / "whole.csv"
    subprocess.run(clearance(source, "-o", whole, "--workers", "1"), check=True, capture_output=True)
    out = tmp_path / "out.csv"
    checkpoint = tmp_path / "out.csv.partial.json"
    args = (source, "-o", out, "--workers", "1", "--chunk-rows", "50", "--checkpoint-seconds", "0")
    process = subprocess.Popen(clearance(*args), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not checkpoint.exists() or json.loads(checkpoint.read_text())["rows"] < 500:
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.05)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=60)
    assert not out.exists()  # nothing posing as complete
    if how == signal.SIGTERM:
        assert process.returncode == 130 and "--resume" in stderr
    done = json.loads(checkpoint.read_text())["rows"]
    assert 500 <= done < 6000
    resumed = subprocess.run(clearance(*args, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert out.read_bytes() == whole.read_bytes()
    assert not checkpoint.exists() and not (tmp_path / "out.csv.partial").exists()


def test_a_checkpoint_for_another_input_is_refused(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [GOOD])
    out = tmp_path / "out.csv"
    (tmp_path / "out.csv.partial").write_text("id\n")
    (tmp_path / "out.csv.partial.json").write_text(json.dumps({"fingerprint": {"input": "other"}, "rows": 1}))
    code, output = run(source, "-o", out, "--workers", "1", "--resume")
    assert code == 2 and "the checkpoint is for another input" in output


def test_the_same_batch_on_a_dask_cluster_gives_the_same_bytes(tmp_path: Path) -> None:
    import distributed  # a dependency of the product: missing, this test fails

    local = tmp_path / "local.csv"
    assert run(EXAMPLES, "-o", local, "--workers", "1")[0] == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        out = tmp_path / "dask.csv"
        code, output = run(EXAMPLES, "-o", out, "--scheduler", cluster.scheduler_address, "--chunk-rows", 100)
        assert code == 0, output
    assert out.read_bytes() == local.read_bytes()
    assert "dask" in output or "rows" in output


def test_checking_a_csv_file_points_to_batch(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(EXAMPLES)])
    assert result.exit_code == 2 and "clearance batch" in result.output


def test_a_terminal_gets_a_progress_bar_with_rows_per_second(tmp_path: Path) -> None:
    import pty

    source = big_input(tmp_path, 3000)
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        clearance(source, "-o", tmp_path / "out.csv", "--workers", "1", "--chunk-rows", "100"),
        stdout=subprocess.DEVNULL, stderr=follower, env={**os.environ, "COLUMNS": "120", "TERM": "xterm"},
    )  # fmt: skip
    os.close(follower)
    seen = b""
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not data:
            break
        seen += data
    assert process.wait(timeout=120) == 0
    os.close(leader)
    text = seen.decode(errors="replace")
    assert "rows/s" in text and "big.csv" in text and "━" in text  # the bar, named after the file, with its rate
    assert "3,000 rows in" in text  # and the summary after it


class _Later:
    """A chunk that completes only when its result is asked for."""

    def __init__(self, work: Callable[[], Any]):
        self.work, self.value = work, None

    def done(self) -> bool:
        return self.value is not None

    def result(self) -> Any:
        if self.value is None:
            self.value = self.work()
        return self.value


class _ReversedEngine:
    """Of each pair of chunks, the second completes at once and the first only when its result is asked for: a
    runner that writes whatever completes first writes every pair backwards (deterministically, no timing)."""

    def __init__(self, options: Any, pack: Any, header: list[str]):
        from engine.batch.judge import Judge

        self.judge = Judge(pack, header)
        self.count = 0

    def __enter__(self) -> Callable[[list[list[str]]], Any]:
        def submit(rows: list[list[str]]) -> Any:
            self.count += 1
            chunk = _Later(lambda: (self.judge.chunk(rows), dict.fromkeys(self.judge.timing, 0)))
            if self.count % 2 == 0:
                chunk.result()  # the second of the pair is done before the first
            return chunk

        return submit

    def __exit__(self, *exc: Any) -> None:
        pass


def test_chunks_are_written_in_input_order_whatever_order_they_complete_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.batch.runner as runner

    rows = [{**GOOD, "id": f"T-{i}"} for i in range(8)]  # four chunks of two rows: two pairs, each completed backwards
    source = write_csv(tmp_path / "in.csv", rows)
    monkeypatch.setattr(runner, "Engine", _ReversedEngine)
    out = tmp_path / "out.csv"
    code, output = run(source, "-o", out, "--workers", "1", "--chunk-rows", "2")
    assert code == 0, output
    assert [r["id"] for r in read_out(out)] == [f"T-{i}" for i in range(8)]
