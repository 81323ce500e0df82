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


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _resolve(name: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(name, path).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _private_crossings(name: str, path: Path, tree: ast.Module) -> list[str]:
    """Private names used outside their home: a ``_name`` imported from anywhere, a private
    module (``pkg._mod``) imported from outside its package, a private attribute of another object."""
    crossings = []
    own = _private_defined(tree)
    here = _package_of(name, path)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = _resolve(name, path, node)
            for alias in node.names:
                full = f"{target}.{alias.name}".split(".")
                private = [i for i, part in enumerate(full) if part.startswith("_") and not part.startswith("__")]
                for i in private:
                    home = ".".join(full[:i])
                    if i == len(full) - 1 and not _is_module(".".join(full)):
                        crossings.append(f"{name}: from {target} import {alias.name}")
                    elif home != here:
                        crossings.append(f"{name}: from {target} import {alias.name} (private to {home})")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if any(p.startswith("_") and not p.startswith("__") for p in parts):
                    crossings.append(f"{name}: import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            if node.attr in own or node.attr in PROTOCOL_NAMES:
                continue
            crossings.append(f"{name}: {ast.unparse(node)} (line {node.lineno})")
    return crossings


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").exists() or (PACKAGE.parent / rel / "__init__.py").exists()


def test_no_private_name_crosses_a_package() -> None:
    """Ours or a library's: a private module is imported only by its own package, a private name
    never leaves its module."""
    crossings = []
    for name, (path, tree) in _modules().items():
        crossings += _private_crossings(name, path, tree)
    assert crossings == [], crossings


def test_the_privacy_checker_sees_each_kind_of_crossing(tmp_path: Path) -> None:
    pkg = PACKAGE / "wire"
    inside = ast.parse("from . import _guard\nfrom ._guard import Guard\n")
    assert _private_crossings("smsstats_nb.wire", pkg / "__init__.py", inside) == []
    outside = ast.parse("from ..wire import _guard\nfrom ..wire._guard import Guard\nfrom .x import _helper\n")
    found = _private_crossings("smsstats_nb.client._client", PACKAGE / "client" / "_client.py", outside)
    assert len(found) == 3, found
    library = ast.parse("def f(r):\n    return r.responses._lock\n")
    assert _private_crossings("smsstats_nb.store._readonly", tmp_path / "r.py", library)


def test_one_module_reads_the_environment() -> None:
    readers = sorted(
        name
        for name, (path, _) in _modules().items()
        if "os.environ" in path.read_text() or "getenv(" in path.read_text()
    )
    assert readers == ["smsstats_nb.core._settings"]


def test_time_rules_read_the_injected_clock() -> None:
    """The modules that own a time rule never call time.time/monotonic/sleep themselves."""
    for module in (
        "wire/_guard",
        "store/_quota",
        "client/_sync",
        "client/_transport",
        "store/_local",
        "store/_frames",
        "store/_redis",
    ):
        text = (PACKAGE / f"{module}.py").read_text()
        for call in ("time.time()", "time.monotonic()", "time.sleep(", "datetime.now("):
            assert call not in text, f"{module} calls {call}"
