"""The structure the code keeps (STYLE.md): one-way dependencies between apps, and one transition kernel."""

import ast
import pathlib

from importlinter.application.use_cases import lint_imports

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ["core", "accounts", "orders", "notifications", "payouts", "aftersales", "logistics"]


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_import_contracts_hold(capsys, monkeypatch):
    """The import-linter contracts of pyproject.toml (the graph of docs/ARCHITECTURE.md): core imports no app,
    apps import downwards only, payouts and logistics are independent, no cycles inside an app."""
    monkeypatch.chdir(ROOT)
    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out


def test_no_status_assigned_outside_the_kernel():
    """Every status moves through core.transitions.transition: no `x.status = …` and no `.update(status=…)`
    anywhere else (the allowed-transitions tables are checked on every move)."""
    offenders = []
    for path in _sources():
        if path == ROOT / "core" / "transitions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AugAssign | ast.AnnAssign) else []
            for target in targets:
                for t in (target.elts if isinstance(target, ast.Tuple) else [target]):
                    if isinstance(t, ast.Attribute) and t.attr == "status":
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "update" \
                    and any(k.arg == "status" for k in node.keywords):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} (.update(status=…))")
    assert offenders == []
