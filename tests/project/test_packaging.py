"""environment.yml mirrors pyproject.toml; the README's commands exist in the Makefile and CI."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["test"]]


def _environment_entries() -> list[str]:
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    return [m.group(1) for m in re.finditer(r"^  - ([A-Za-z][^\s:]*)\s*$", text, re.M)]


def test_environment_yml_lists_the_same_packages_as_pyproject() -> None:
    listed = {_name(e) for e in _environment_entries()} - {"python", "pip"}
    assert listed == {_name(r) for r in _requirements()}


def test_environment_yml_versions_match() -> None:
    entries = {_name(e): e for e in _environment_entries()}
    for req in _requirements():
        bounds = re.sub(r"^[A-Za-z0-9_.\-]+(\[[^\]]*\])?", "", req)
        assert entries[_name(req)].endswith(bounds), (req, entries[_name(req)])


def test_readme_quick_start_matches_the_makefile_and_ci() -> None:
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "make demo" in readme and "make test" in readme
    assert (
        re.search(r"^demo:", makefile, re.M)
        and re.search(r"^test:", makefile, re.M)
        and re.search(r"^lab:", makefile, re.M)
    )
    assert "make test" in (ROOT / ".ci" / "run").read_text()
