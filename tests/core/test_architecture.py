"""The structure the code keeps (STYLE.md): one-way dependencies between apps, and one transition kernel."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
APPS = ["core", "accounts", "orders", "notifications", "payouts", "aftersales", "logistics", "chattools", "workbench",
        "platforms", "ops"]


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_import_contracts_hold():
    """The import-linter contracts of pyproject.toml (the graph of docs/ARCHITECTURE.md): core imports no app,
    apps import downwards only, payouts and logistics are independent, no cycles inside an app."""
    run = subprocess.run([str(pathlib.Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


# Set-based moves that are not transitions of one object, each with its reason.
SET_BASED = {
    ("aftersales/services.py", "entry_close_due"): "ASE-R01 sweep: closes a batch of entries and writes their "
                                                   "operation-log events in the same transaction",
    ("logistics/services.py", "interception_result_apply"): "Parcel.status mirrors the courier's report (no "
                                                            "table); the move is the interception's event",
    ("logistics/services.py", "interception_return_report"): "Parcel.status mirrors the courier's report",
    ("payouts/provider.py", "submit"): "SandboxTransfer.status is the sandbox rail's own book (what the rail "
                                       "would say), not a payout's status",
    ("payouts/provider.py", "cancel"): "SandboxTransfer.status: the sandbox rail cancelling its own transfer",
}


def _nodes_outside_set_based(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for fn in ast.walk(tree):
        if isinstance(fn, ast.FunctionDef) and (str(path.relative_to(ROOT)), fn.name) in SET_BASED:
            skipped.update(id(n) for n in ast.walk(fn))
    return [node for node in ast.walk(tree) if id(node) not in skipped]


def test_no_status_assigned_outside_the_kernel():
    """Every status moves through core.transitions.transition: no `x.status = …` and no `.update(status=…)`
    anywhere else (the allowed-transitions tables are checked on every move), but for the set-based moves
    listed with their reasons."""
    offenders = []
    for path in _sources():
        if path == ROOT / "core" / "transitions.py":
            continue
        for node in _nodes_outside_set_based(path):
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


def _diagram_edges() -> set[tuple[str, str]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = text.split("```mermaid", 1)[1].split("```", 1)[0]
    edges = set()
    for line in block.splitlines():
        if "-->" in line:
            left, right = (part.strip().split("[")[0].split("(")[0].strip() for part in line.split("-->"))
            edges.add((left, right))
    return edges


def test_architecture_diagram_is_the_real_graph():
    """The Mermaid graph in docs/ARCHITECTURE.md draws exactly the app-level imports that exist (an arrow
    `a --> b`: a imports b), and every arrow points down the import-linter layers."""
    import grimp

    graph = grimp.build_graph(*APPS)
    real = {(a, b) for a in APPS for b in APPS
            if a != b and graph.direct_import_exists(importer=a, imported=b, as_packages=True)}
    assert _diagram_edges() == real
    layers = [["ops"], ["chattools", "workbench"], ["logistics"], ["payouts", "aftersales"], ["platforms"], ["notifications"],
              ["orders"], ["accounts"], ["core"]]
    rank = {app: i for i, names in enumerate(layers) for app in names}
    assert all(rank[a] < rank[b] for a, b in real)
