"""The log's tamper evidence on real databases: every edit, deletion, reorder or truncation of a stored row
(decisions, events, reviews, usage totals, the head) is named by `log verify`; a keyed log cannot be rebuilt
without its key; an anchor shows a log cut back or rewritten; a version's local copy is checked on load."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

import engine
from api.cli import main
from engine.store import DecisionLog, StoreError
from engine.store import chain as chained
from engine.store.schema import decisions, events, rulesets
from tests.conftest import tx

KEY = b"k" * 48
GULF = {"id": "C-GULF", "name": "Gulf Compute LLC", "country": "AE"}


def fill(store: DecisionLog, publish: bool = True) -> dict[str, str]:
    """A small working log: allowed lines under a license (usage), a deny, a review resolved, a version
    published. Returns the decision ids by transaction id."""
    pack = engine.load_pack()
    made = {}
    lines = [
        tx(id="L-1", date="2026-03-01", product="H100", quantity=1200, destination="AE", customer=GULF),
        tx(id="J-1", date="2026-03-01", product="H100", quantity=5, destination="JP",
           customer={"name": "Sakura Internet Inc.", "country": "JP"}),
        tx(id="R-1", product="L40S", destination="SG", end_use="unknown",
           customer={"name": "Lion City Cloud Pte. Ltd.", "country": "SG"}),
        tx(id="L-2", date="2026-03-02", product="H100", quantity=800, destination="AE", customer=GULF),
        tx(id="D-1", date="2025-12-20"),
    ]  # fmt: skip
    for data in lines:
        record, _ = store.submit(pack, engine.parse_transaction(data), submitted_by="0123456789abcdef")
        made[data["id"]] = record["decision_id"]
    store.resolve(made["R-1"], "reject", "end use not established", "ana")
    if publish:
        store.publish(engine.default_pack_path(), "the shipped pack", by="ana")
    return made


def verify(store: DecisionLog, *args: str, key: bytes | None = None) -> tuple[int, str]:
    command = ["log", "verify", "--database", store.url, *args]
    env = {"CLEARANCE_LOG_KEY": key.decode()} if key else {}
    result = CliRunner().invoke(main, command, env=env)
    return result.exit_code, result.output


def execute(store: DecisionLog, statement: Any, **values: Any) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement) if isinstance(statement, str) else statement, values)


def seq_of(store: DecisionLog, transaction_id: str) -> int:
    with store.engine.connect() as connection:
        found = connection.execute(select(decisions.c.seq).where(decisions.c.transaction_id == transaction_id))
        return int(found.scalar_one())


@pytest.fixture
def filled(store: DecisionLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CLEARANCE_CACHE", str(tmp_path / "cache"))
    return fill(store)


def test_an_untouched_log_is_intact_and_covers_events(store: DecisionLog, filled: dict[str, str]) -> None:
    code, output = verify(store)
    assert code == 0 and "7 entries checked (unkeyed): the chain is intact" in output, output
    with store.engine.connect() as connection:
        kinds = [row.kind for row in connection.execute(select(events.c.kind).order_by(events.c.seq))]
    assert kinds == ["review-resolved", "version-published"]


# item 5: each way the first log said "intact" ------------------------------------------------------------------
def test_5_the_last_rows_deleted_with_the_chain_head_row_is_reported(
    store: DecisionLog, filled: dict[str, str]
) -> None:
    execute(store, "delete from events")
    execute(store, "delete from chain_head")
    code, output = verify(store)
    assert code == 1 and "the chain head is missing" in output, output


def test_5_every_row_deleted_is_reported(store: DecisionLog, filled: dict[str, str]) -> None:
    for table in ("reviews", "events", "decisions", "fact_totals", "rulesets", "chain_head"):
        execute(store, f"delete from {table}")
    code, output = verify(store)
    assert code == 1 and "0 entries checked" in output and "the chain head is missing" in output, output


def test_5_a_resolution_changed_from_reject_to_release_is_reported(store: DecisionLog, filled: dict[str, str]) -> None:
    execute(store, "update reviews set resolution = 'release' where decision_id = :d", d=filled["R-1"])
    code, output = verify(store)
    assert code == 1 and f"the review of decision {filled['R-1']} disagrees with the chain in resolution" in output


def test_5_license_usage_reset_is_reported_and_would_reopen_the_license(
    store: DecisionLog, filled: dict[str, str]
) -> None:
    assert store.usage()[("license_usage", "D-2026-7781")]["units"] == 2000
    execute(store, "delete from fact_totals")
    code, output = verify(store)
    assert code == 1 and "the usage of license_usage `D-2026-7781` reads nothing" in output, output
    assert "add up to units 2000" in output


@pytest.mark.parametrize("column", ["ruleset_version", "submitted_by", "ruleset_pack"])
def test_5_a_ruleset_or_submitter_column_edited_is_reported(
    store: DecisionLog, filled: dict[str, str], column: str
) -> None:
    seq = seq_of(store, "J-1")
    execute(store, f"update decisions set {column} = 'forged' where seq = :s", s=seq)
    code, output = verify(store)
    assert code == 1 and f"entry {seq} (" in output, output


# every stored column, one at a time ----------------------------------------------------------------------------
def _json_edit(value: Any) -> Any:
    data = json.loads(value) if isinstance(value, str) else value
    if data is None:
        return [["license_usage", "D-2026-7781", {"units": "0"}]]
    if isinstance(data, dict):
        key = "fee_usd" if "fee_usd" in data else "quantity" if "quantity" in data else next(iter(data))
        data = {**data, key: "1.00" if key == "fee_usd" else 7 if key == "quantity" else "edited"}
    else:
        data = [*data, ["x", "y", {}]]
    return data


EDITS: dict[str, Callable[[Any], Any]] = {
    "decision_id": lambda v: "f" * 32,
    "transaction_id": lambda v: "FORGED",
    "content_digest": lambda v: "0" * 64,
    "decision": _json_edit,
    "transaction": _json_edit,
    "facts": _json_edit,
    "submitted_by": lambda v: "someoneelse",
    "chain": lambda v: "1" * 64,
    "chain_format": lambda v: None,
    "outcome": lambda v: "deny" if v != "deny" else "allow",
    "fee_usd": lambda v: Decimal(v) + 1,
    "customer_name": lambda v: "Someone Else Ltd",
    "customer_id": lambda v: "C-OTHER",
    "transaction_date": lambda v: dt.date(2020, 1, 1),
    "ruleset_pack": lambda v: "other-pack",
    "ruleset_version": lambda v: "1999-01-01",
    "ruleset_digest": lambda v: "sha256:" + "0" * 64,
    "ruleset_label": lambda v: "forged-label",
    "evaluated_at": lambda v: v + dt.timedelta(microseconds=1),
}


def test_edits_cover_every_column_of_a_decision() -> None:
    assert set(EDITS) == {c.name for c in decisions.c} - {"seq"}


@pytest.mark.parametrize("column", sorted(EDITS))
def test_any_column_edited_for_one_entry_is_named(store: DecisionLog, column: str) -> None:
    fill(store, publish=False)
    seq = seq_of(store, "L-2")
    with store.engine.connect() as connection:
        value = connection.execute(select(decisions.c[column]).where(decisions.c.seq == seq)).scalar()
    execute(store, update(decisions).where(decisions.c.seq == seq).values({column: EDITS[column](value)}))
    code, output = verify(store)
    assert code == 1 and f"entry {seq} (" in output, output
    assert "entry 1 (" not in output  # the entries before it are not blamed


# item 6: the keyed chain and the anchor ------------------------------------------------------------------------
def recompute_unkeyed(store: DecisionLog) -> None:
    """What an attacker with database access but no key does after an edit: hash every entry again."""
    previous = chained.GENESIS
    plain = chained.Chain(None)
    with store.engine.begin() as connection:
        for kind, entry in list(chained._entries(connection)):
            if kind == "decision":
                previous = plain.link(previous, chained.decision_body(entry, entry["chain_format"]))
                connection.execute(update(decisions).where(decisions.c.seq == entry["seq"]).values(chain=previous))
            else:
                previous = plain.link(previous, chained.event_body(entry))
                connection.execute(update(events).where(events.c.seq == entry["seq"]).values(chain=previous))
        seq = connection.execute(text("select max(seq) from decisions")).scalar()
        last = max(seq, connection.execute(text("select coalesce(max(seq), 0) from events")).scalar())
        connection.execute(text("update chain_head set seq = :s, hash = :h, mac = NULL"), {"s": last, "h": previous})


def test_6_an_edit_with_every_hash_recomputed_passes_unkeyed_but_not_against_an_anchor(
    store: DecisionLog, filled: dict[str, str]
) -> None:
    anchor = CliRunner().invoke(main, ["log", "anchor", "--database", store.url]).output.strip()
    assert anchor.startswith("7:")
    seq = seq_of(store, "D-1")
    with store.engine.connect() as connection:
        decision = connection.execute(select(decisions.c.decision).where(decisions.c.seq == seq)).scalar_one()
    execute(store, update(decisions).where(decisions.c.seq == seq).values(decision={**decision, "note": "x"}))
    recompute_unkeyed(store)
    assert verify(store)[0] == 0  # the limit of an unkeyed chain, as docs/security.md says
    code, output = verify(store, "--anchor", anchor)
    assert code == 1 and "entry 7 is not the one anchored" in output, output


def test_6_a_keyed_log_cannot_be_rebuilt_without_its_key(database: str, tmp_path: Path) -> None:
    store = DecisionLog(database, key=KEY)
    store.migrate()
    made = fill(store)
    code, output = verify(store, key=KEY)
    assert code == 0 and "(keyed)" in output, output
    assert verify(store)[0] == 1  # without the key, a keyed log is not said to be intact
    code, output = verify(store, key=b"x" * 48)
    assert code == 1 and "the key given is not this log's key" in output and "entry 1 (" not in output
    seq = seq_of(store, "D-1")
    execute(store, "update decisions set submitted_by = 'forged' where seq = :s", s=seq)
    recompute_unkeyed(store)
    code, output = verify(store, key=KEY)
    assert code == 1 and f"entry {seq} (" in output and "not written with the log's key" in output, output
    keyless = DecisionLog(database)
    with pytest.raises(StoreError, match="keyed and none is given"):
        keyless.record_event("note", made["R-1"], {}, None)
    keyless.close()
    store.close()


def test_6_entries_cut_off_with_the_head_moved_back_are_caught_by_the_key_or_an_anchor(
    database: str, tmp_path: Path
) -> None:
    store = DecisionLog(database, key=KEY)
    store.migrate()
    fill(store)
    anchor = store.anchor()
    with store.engine.connect() as connection:
        kept = connection.execute(select(decisions.c.seq, decisions.c.chain).order_by(decisions.c.seq)).all()[2]
    for table in ("events", "reviews"):
        execute(store, f"delete from {table}")
    execute(store, "delete from decisions where seq > :s", s=kept.seq)
    execute(store, "delete from fact_totals")
    execute(store, "update chain_head set seq = :s, hash = :h", s=kept.seq, h=kept.chain)
    code, output = verify(store, key=KEY)
    assert code == 1 and "not written with the log's key" in output, output
    code, output = verify(store, "--anchor", f"{anchor.seq}:{anchor.hash}", key=KEY)
    assert code == 1 and f"the anchor names entry {anchor.seq}, which the log no longer holds" in output
    store.close()


def test_6_an_anchor_that_is_not_one_is_a_usage_error(store: DecisionLog) -> None:
    code, output = verify(store, "--anchor", "12:nothex")
    assert code == 2 and "an anchor is `SEQ:HASH`" in output


# the property: any single change to a stored row is reported in keyed mode ---------------------------------------
@pytest.fixture(scope="module")
def keyed_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("keyed")
    path = root / "base.db"
    store = DecisionLog(str(path), key=KEY)
    store.migrate()
    fill(store)
    store.close()
    return path


TABLES = {
    "decisions": "seq",
    "events": "seq",
    "reviews": "decision_id",
    "fact_totals": "key",
    "chain_head": "id",
    "rulesets": "digest",
}


def _changed(value: Any, draw: Any) -> Any:
    if value is None:
        return draw(st.sampled_from(["x", 1, "{}"]))
    if isinstance(value, int):
        return value + draw(st.integers(min_value=1, max_value=3)) * draw(st.sampled_from([1, -1]))
    if isinstance(value, float):
        return value + 1
    text_value = str(value)
    if text_value.startswith(("{", "[")):
        data = json.loads(text_value)
        return json.dumps(_json_mutation(data, draw))
    places = [i for i, ch in enumerate(text_value) if ch.isalnum()] or [0]
    position = draw(st.sampled_from(places))
    old = text_value[position : position + 1]
    pool = "0123456789" if old.isdigit() else "abcdefghijklmnopqrstuvwxyz"
    replacement = draw(st.sampled_from([c for c in pool if c != old.lower()]))
    return text_value[:position] + replacement + text_value[position + 1 :]


def _json_mutation(data: Any, draw: Any) -> Any:
    if isinstance(data, dict) and data:
        key = draw(st.sampled_from(sorted(data)))
        inner = data[key]
        return {**data, key: _json_mutation(inner, draw) if isinstance(inner, dict | list) and inner else "edited"}
    if isinstance(data, list) and data:
        index = draw(st.integers(min_value=0, max_value=len(data) - 1))
        copy = list(data)
        inner = copy[index]
        copy[index] = _json_mutation(inner, draw) if isinstance(inner, dict | list) and inner else "edited"
        return copy
    return {"edited": True}


@st.composite
def mutations(draw: Any, path: Path) -> tuple[str, Callable[[sqlite3.Connection], bool]]:
    """One change to one stored row: an edit of one cell, a deletion, a swap of two entries, or a truncation."""
    kind = draw(st.sampled_from(["edit", "edit", "edit", "delete", "swap", "truncate"]))
    with sqlite3.connect(path) as connection:
        if kind == "swap":
            seqs = [r[0] for r in connection.execute("select seq from decisions order by seq")]
            a, b = sorted(draw(st.lists(st.sampled_from(seqs), min_size=2, max_size=2, unique=True)))

            def swap(c: sqlite3.Connection) -> bool:
                c.execute("update decisions set seq = -1 where seq = ?", (a,))
                c.execute("update decisions set seq = ? where seq = ?", (a, b))
                c.execute("update decisions set seq = ? where seq = -1", (b,))
                return True

            return f"swap entries {a} and {b}", swap
        if kind == "truncate":
            last = connection.execute("select max(seq) from events").fetchone()[0]
            count = draw(st.integers(min_value=1, max_value=3))
            move_head = draw(st.booleans())

            def truncate(c: sqlite3.Connection) -> bool:
                cut = last - count + 1
                c.execute("delete from events where seq >= ?", (cut,))
                doomed = [r[0] for r in c.execute("select decision_id from decisions where seq >= ?", (cut,))]
                c.executemany("delete from reviews where decision_id = ?", [(d,) for d in doomed])
                c.execute("delete from decisions where seq >= ?", (cut,))
                if move_head:
                    row = c.execute(
                        "select seq, chain from (select seq, chain from decisions union all "
                        "select seq, chain from events) order by seq desc limit 1"
                    ).fetchone()
                    c.execute("update chain_head set seq = ?, hash = ?", row or (0, chained.GENESIS))
                return True

            return f"truncate the last {count} entries (head moved: {move_head})", truncate
        table = draw(st.sampled_from(sorted(TABLES)))
        key = TABLES[table]
        rows = connection.execute(f"select * from {table}").fetchall()
        names = [d[0] for d in connection.execute(f"select * from {table}").description]
        assume_rows = [r for r in rows if not (table == "fact_totals" and r[names.index("amounts")] in ("{}", None))]
        row = draw(st.sampled_from(assume_rows))
        ident = row[names.index(key)]
        if kind == "delete":

            def delete(c: sqlite3.Connection) -> bool:
                c.execute(f'delete from {table} where "{key}" = ?', (ident,))
                return True

            return f"delete {table} {ident}", delete
        column = draw(st.sampled_from(names))
        old = row[names.index(column)]
        new = _changed(old, draw)

        def edit(c: sqlite3.Connection) -> bool:
            if new == old:
                return False
            c.execute(f'update {table} set "{column}" = ? where "{key}" = ?', (new, ident))
            return True

        return f"edit {table}.{column} of {ident}: {old!r} -> {new!r}", edit


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_edit_deletion_reorder_or_truncation_is_reported_in_keyed_mode(
    keyed_log: Path, data: st.DataObject
) -> None:
    what, change = data.draw(mutations(keyed_log))
    with tempfile.TemporaryDirectory() as scratch:  # a copy of its own (a file of another example's would keep its WAL)
        copy = Path(scratch) / "copy.db"
        shutil.copyfile(keyed_log, copy)
        connection = sqlite3.connect(copy)
        try:
            with connection:
                changed = change(connection)
        except sqlite3.IntegrityError:  # a key edited onto another row's: not a change the database takes
            changed = False
        finally:
            connection.close()
        if changed:
            store = DecisionLog(str(copy), key=KEY)
            report = store.verify()
            store.close()
            assert report.problems, f"not reported: {what}"


# item 7: a version's local copy ----------------------------------------------------------------------------------
def test_7_a_tampered_local_copy_is_replaced_and_an_edited_log_copy_refused(
    store: DecisionLog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARANCE_CACHE", str(tmp_path / "cache"))
    record, _ = store.publish(engine.default_pack_path(), "the shipped pack", by="ana")
    first = store.load_version(record["digest"])
    rules = first.root / "rules" / "20-china-route.yaml"
    rules.write_text(rules.read_text().replace("rate: 0.25", "rate: 0.99"))  # a tampered copy
    assert store.load_version(record["digest"]) is first  # this process holds what it compiled from the log
    later = DecisionLog(store.url)  # another process, or this one restarted
    again = later.load_version(record["digest"])
    later.close()
    assert again.digest == record["digest"] and "rate: 0.25" in rules.read_text()
    with store.engine.connect() as connection:
        files = dict(connection.execute(select(rulesets.c.files)).scalar_one())
    name = "rules/20-china-route.yaml"
    files[name] = files[name].replace("rate: 0.25", "rate: 0.30")
    execute(store, update(rulesets).values(files=files))
    with pytest.raises(StoreError, match="the log's copy was altered"):
        store.load_version(record["digest"])
    assert "rate: 0.25" in rules.read_text() or not rules.exists()  # never the edited files in force


def test_6_a_server_will_not_start_on_a_keyed_log_without_its_key(tmp_path: Path) -> None:
    path = str(tmp_path / "keyed.db")
    store = DecisionLog(path, key=KEY)
    store.migrate()
    store.record_event("note", "start", {}, None)  # the first keyed entry: the log is keyed from here
    store.close()
    result = CliRunner().invoke(main, ["serve", "--database", path, "--port", "1"], env={"CLEARANCE_LOG_KEY": ""})
    assert result.exit_code == 2 and "this decision log is keyed and none is given" in result.output
    wrong = CliRunner().invoke(main, ["serve", "--database", path, "--port", "1"], env={"CLEARANCE_LOG_KEY": "y" * 40})
    assert wrong.exit_code == 2 and "the key given is another" in wrong.output
