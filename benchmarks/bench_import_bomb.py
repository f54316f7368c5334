"""How long a hostile library export takes to be refused (issue 18): a YAML alias bomb of
under 2 kB (≈ 3.9·10⁸ strings once expanded) and a 100,000-deep JSON file. Prints seconds and
the database size before/after (it must not grow). Run:
``PYTHONPATH=$PWD python benchmarks/bench_import_bomb.py``."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from valuation import api  # noqa: E402
from valuation.core.errors import ValidationError  # noqa: E402


def _bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return ("format: valuation-library-export\nformat_version: 1\nentries:\n"
            "- library: standards\n  key: BOMB\n  version: 1\n  status: active\n  author: x\n"
            "  content_hash: x\n  content:\n" + "".join(f"    {ln}\n" for ln in lines))


def _size(db: Path) -> int:
    return sum(os.path.getsize(f) for f in (db, Path(f"{db}-wal")) if os.path.exists(f))


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        db = Path(d) / "b.db"
        store = api.open_library(f"sqlite:///{db}", init=True)
        files = {"yaml alias bomb": (Path(d) / "bomb.yaml", _bomb()),
                 "json 100k deep": (Path(d) / "deep.json", "[" * 100_000 + "]" * 100_000)}
        for name, (path, text) in files.items():
            path.write_text(text, "utf-8")
            before = _size(db)
            t0 = time.perf_counter()
            try:
                store.import_(path, author="bench")
                outcome = "IMPORTED (wrong)"
            except ValidationError as e:
                outcome = f"refused: {e.issues[0].message_en[:70]}"
            dt = time.perf_counter() - t0
            print(f"{name:<18} {path.stat().st_size:>8} bytes  {dt * 1000:8.2f} ms  "
                  f"db {before} → {_size(db)} bytes  {outcome}")


if __name__ == "__main__":
    main()
