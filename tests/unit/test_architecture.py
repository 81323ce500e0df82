"""The package's shape: no import circle (imports inside functions count), no private name used
across modules, one reader of the environment, one clock. `make lint` also runs import-linter's
layers contract (pyproject.toml); this test reads the source itself, so it also catches what a
contract between layers cannot: a private crossing inside one layer."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "smsstats_nb"

#: Names with a leading underscore that belong to another library's public protocol.
PROTOCOL_NAMES = {
    "_repr_html_",  # IPython's rich display protocol
    "_repr_mimebundle_",
    "_replace",  # namedtuple's public API (urllib's SplitResult)
    "_content",  # requests.Response: the body is set there after a capped, deadline-bound read
    "_content_consumed",
    "_lock",  # requests-cache's SQLiteDict: the read-only backend shares the responses' lock
}


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = (path, ast.parse(path.read_text()))
    return out


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def _imports(name: str, path: Path, tree: ast.Module, modules: set[str]) -> set[str]:
    """Package modules imported by ``name`` anywhere (functions included), TYPE_CHECKING excluded."""
    skip = _type_checking_nodes(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in modules else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in modules and m != name}


def test_no_import_circle_inside_the_package() -> None:
    modules = _modules()
    graph = {n: _imports(n, p, t, set(modules)) for n, (p, t) in modules.items()}

    def reaches(start: str, goal: str) -> list[str] | None:
        stack, seen = [(start, [start])], {start}
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == goal:
                    return [*trail, nxt]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*trail, nxt]))
        return None

    circles = [trail for name in graph for nxt in graph[name] if (trail := reaches(nxt, name))]
    assert circles == [], circles


def test_the_checker_sees_a_circle_through_a_lazy_import(tmp_path: Path) -> None:
    tree_a = ast.parse("def f():\n    from .b import g\n")
    assert _imports("pkg.a", tmp_path / "a.py", tree_a, {"pkg.a", "pkg.b"}) == {"pkg.b"}
    guarded = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import g\n")
    assert _imports("pkg.a", tmp_path / "a.py", guarded, {"pkg.a", "pkg.b"}) == set()


def _private_defined(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_no_private_name_crosses_a_module() -> None:
    crossings = []
    for name, (_, tree) in _modules().items():
        own = _private_defined(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                crossings += [
                    f"{name}: from {node.module} import {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if node.attr in own or node.attr in PROTOCOL_NAMES:
                    continue
                crossings.append(f"{name}: {ast.unparse(node)} (line {node.lineno})")
    assert crossings == [], crossings


def test_one_module_reads_the_environment() -> None:
    readers = sorted(
        name
        for name, (path, _) in _modules().items()
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    )
    assert readers == ["smsstats_nb.settings"]


def test_time_rules_read_the_injected_clock() -> None:
    """The modules that own a time rule never call time.time/monotonic/sleep themselves."""
    for module in ("guard", "quota", "sync", "transport", "store/local", "store/frames", "store/redis"):
        text = (PACKAGE / f"{module}.py").read_text()
        for call in ("time.time()", "time.monotonic()", "time.sleep(", "datetime.now("):
            assert call not in text, f"{module} calls {call}"
