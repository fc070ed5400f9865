"""The project stands alone (issue 22, item 17): nothing in the repository points outside it — no path into a
sibling checkout or the machine it was written on — every house document a docstring cites is in the
repository, and the payout benchmark's reference endpoint is vendored under bench/."""

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "var", "staticfiles", ".pytest_cache",
             ".ruff_cache", "test-results", "playwright-report"}
TEXT_SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".sh", ".lua", ".html", ".json", ".yml", ".yaml",
                 ".po", ".js", ".css", ".env", ".example", ""}
# A path out of the clone: into a sibling directory (../shared, ../../x) or an absolute path on the machine the
# code was written on.
OUTSIDE = re.compile(r"\.\./shared|/work/(?:shared|main|wt)\b|(?<![\w.])\.\./\.\./(?!\w+\.py)")
CITED_DOC = re.compile(r"\b([A-Z][A-Z_]+\.md)\b")


def _files():
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for name in filenames:
            if name.startswith("."):
                continue
            path = pathlib.Path(dirpath) / name
            if path.suffix in TEXT_SUFFIXES and path.stat().st_size < 2_000_000:
                try:
                    yield path, path.read_text(encoding="utf-8")
                except UnicodeDecodeError:
                    continue


def test_nothing_in_the_repository_points_outside_it():
    """Issue 22.17: no file names a path outside the clone (../shared, /work/…)."""
    found = []
    for path, text in _files():
        if path == pathlib.Path(__file__):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == []


def test_every_house_document_cited_is_in_the_repository():
    """Issue 22.17: a docstring or a doc that cites STYLE.md, PERFORMANCE.md … cites a file of the clone."""
    present = {p.name for p, _text in _files() if p.suffix == ".md"}
    missing = set()
    for path, text in _files():
        if path.suffix in (".py", ".md", ".html"):
            missing |= {f"{name} (cited in {path.relative_to(ROOT)})" for name in CITED_DOC.findall(text)
                        if name not in present}
    assert sorted(missing) == []


def test_the_benchmark_has_what_it_needs_inside_the_clone():
    """Issue 22.17 / 21.5: the reference endpoint is vendored under bench/, and the benchmark checks what it
    needs before any seeding, failing fast with a clear message (here: a reference directory that is not
    there)."""
    reference = ROOT / "bench" / "perf_reference"
    for part in ("manage.py", "perfdemo/settings.py", "perfdemo/wsgi.py", "payouts/views.py", "bench/post.lua",
                 "payouts/management/commands/seed.py", "payouts/management/commands/invariants.py"):
        assert (reference / part).is_file(), part
    env = {**os.environ, "BENCH_REFERENCE": str(ROOT / "bench" / "no-such-reference")}
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "payouts_api.py"), "--check-only"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert "no-such-reference" in run.stdout + run.stderr and "reference endpoint" in run.stdout + run.stderr
