"""Pack load time: seconds to load and compile generated packs, and per 1,000 rules.

    python -m benchmarks.pack_load_bench                    # 1,000, 10,000 and 50,000 rules
    python -m benchmarks.pack_load_bench --sizes 1000 --in-list 8000

`--in-list N` also times a pack whose one rule tests membership in a literal list of N items (loading grew
quadratically with N before expressions were sliced by offset)."""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import engine
from benchmarks.engine_bench import generated_pack


def timed_load(root: Path) -> float:
    start = time.perf_counter()
    engine.load_pack(root)
    return time.perf_counter() - start


def list_pack(root: Path, items: int) -> Path:
    (root / "rules").mkdir(parents=True)
    (root / "pack.yaml").write_text('name: in-list\nversion: "1"\ntitle: one long literal list\n')
    members = ", ".join(f'"P{i}"' for i in range(items))
    rule = (
        f"rules:\n  - id: LONG-LIST\n    title: long list\n    effect: review\n"
        f"    when: 'product in [{members}]'\n    message: m\n    cite: generated\n"
    )
    (root / "rules" / "list.yaml").write_text(rule)
    return root


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000", help="comma-separated rule counts")
    parser.add_argument("--in-list", type=int, default=8000, help="items of the literal `in` list (0: skip)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            seconds = timed_load(generated_pack(Path(tmp) / f"gen-{size}", size))
            print(f"{size:>7,} rules: loaded in {seconds:7.2f} s, {seconds / size * 1000:6.3f} s per 1,000 rules")
        if args.in_list:
            seconds = timed_load(list_pack(Path(tmp) / "in-list", args.in_list))
            print(f"one rule with a literal list of {args.in_list:,} items: loaded in {seconds:.3f} s")


if __name__ == "__main__":
    main()
