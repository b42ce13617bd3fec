"""pyproject.toml and environment.yml describe the same environment."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# PyPI name -> conda-forge name, where the two differ (none today).
PYPI_TO_CONDA: dict[str, str] = {"duckdb": "python-duckdb"}  # conda-forge names the Python package so
# Entries of environment.yml that are tooling, not dependencies of the package.
CONDA_ONLY = {"pip"}

_REQUIREMENT = re.compile(r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(?:;.*)?$")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(requirement: str) -> tuple[str, str]:
    match = _REQUIREMENT.match(requirement)
    assert match, f"cannot read requirement {requirement!r}"
    return _normalise(match["name"]), match["spec"].replace(" ", "")


def _lower_bound(spec: str) -> str | None:
    bounds = [part[2:] for part in spec.split(",") if part.startswith(">=")]
    return bounds[0] if len(bounds) == 1 else None


@pytest.fixture(scope="module")
def pyproject() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)


@pytest.fixture(scope="module")
def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pypi_requirements(pyproject) -> dict[str, str]:
    project = pyproject["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():  # the test extras included
        requirements += extra
    parsed = [_parse(r) for r in requirements]
    names = [name for name, _ in parsed]
    assert len(names) == len(set(names)), f"listed twice in pyproject.toml: {names}"
    return dict(parsed)


@pytest.fixture(scope="module")
def conda_requirements(environment) -> dict[str, str]:
    entries = [e for e in environment["dependencies"] if isinstance(e, str)]
    for block in environment["dependencies"]:  # packages conda-forge lacks come from PyPI
        if isinstance(block, dict):
            entries += block.get("pip", [])
    parsed = [_parse(e) for e in entries]
    names = [name for name, _ in parsed]
    assert len(names) == len(set(names)), f"listed twice in environment.yml: {names}"
    return {name: spec for name, spec in parsed if name not in CONDA_ONLY}


def test_environment_uses_conda_forge(environment):
    assert environment["channels"] == ["conda-forge"]
    blocks = [e for e in environment["dependencies"] if not isinstance(e, str)]
    assert all(set(b) == {"pip"} for b in blocks), "only a `pip:` block may stand beside the conda packages"


def test_same_package_set(pypi_requirements, conda_requirements):
    expected = {PYPI_TO_CONDA.get(name, name) for name in pypi_requirements} | {"python"}
    assert set(conda_requirements) == expected


def test_same_lower_bounds(pypi_requirements, conda_requirements):
    for name, spec in pypi_requirements.items():
        conda_name = PYPI_TO_CONDA.get(name, name)
        assert _lower_bound(conda_requirements[conda_name]) == _lower_bound(spec), name


def test_python_version_matches(pyproject, conda_requirements):
    assert _lower_bound(conda_requirements["python"]) == _lower_bound(pyproject["project"]["requires-python"])


def test_every_dependency_has_a_lower_bound(pypi_requirements, conda_requirements, pyproject):
    missing = [f"pyproject.toml: {n}" for n, s in pypi_requirements.items() if _lower_bound(s) is None]
    missing += [f"environment.yml: {n}" for n, s in conda_requirements.items() if _lower_bound(s) is None]
    assert missing == []
    assert _lower_bound(pyproject["project"]["requires-python"]) is not None


def test_test_extras_present(pypi_requirements):
    assert {"pytest", "hypothesis"} <= set(pypi_requirements)


def test_console_script(pyproject):
    assert pyproject["project"]["scripts"]["sla"] == "sla_lib.cli:main"


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("pandas>=3.0", ("pandas", ">=3.0")),
        ("chinese_calendar >= 1.11", ("chinese-calendar", ">=1.11")),
        ("PyYAML>=6.0", ("pyyaml", ">=6.0")),
        ("pytest[testing]>=8.0,<10; python_version>='3.11'", ("pytest", ">=8.0,<10")),
        ("pip", ("pip", "")),
    ],
)
def test_requirement_parser(requirement, expected):
    assert _parse(requirement) == expected
