"""The documents the code cites live in the repository (docs/), and every section cited as
``docs/DOMAIN.md §2.2`` exists there as a heading."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITE = re.compile(r"docs/(DOMAIN|DESIGN|INTERCHANGE)\.md(?:`?\s*§\s*(\d+(?:\.\d+)?))?")


def _files():
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    return [ROOT / f for f in out if f.endswith((".py", ".md", ".yaml")) and (ROOT / f).is_file()]


def _sections(doc: Path) -> set[str]:
    heads = re.findall(r"^#{2,4}\s+(\d+(?:\.\d+)?)\.?\s", doc.read_text(encoding="utf-8"), flags=re.M)
    return set(heads)


def test_cited_docs_and_sections_exist():
    sections = {name: _sections(ROOT / "docs" / f"{name}.md") for name in ("DOMAIN", "DESIGN", "INTERCHANGE")}
    cited, missing = 0, []
    for f in _files():
        text = f.read_text(encoding="utf-8", errors="replace")
        for name, sec in CITE.findall(text):
            cited += 1
            if sec and sec not in sections[name] and sec.split(".")[0] not in sections[name]:
                missing.append(f"{f.relative_to(ROOT)}: docs/{name}.md §{sec}")
    assert cited > 60, cited
    assert not missing, missing


def test_no_doc_reference_outside_the_repository():
    bad = [str(f.relative_to(ROOT)) for f in _files()
           if "shared/docs/" in f.read_text(encoding="utf-8", errors="replace") and f.name != Path(__file__).name]
    assert not bad, bad
