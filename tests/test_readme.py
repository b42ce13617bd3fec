"""Every command the README shows runs as written (issue 14, "Done when"): each line of its
``sh`` blocks is run with a shell from a copy of the repository's data and notebooks, with
this environment's ``sla`` and ``papermill`` first on PATH, and must exit 0. A command the
sample data cannot run, or that another test already runs with the same arguments, is
listed in SKIPPED with the reason; a new README command is run unless it is listed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

README = ROOT / "README.md"

# command prefix -> why it is not run here
SKIPPED = {
    "make demo": "the set-up and the commands below; CI runs `make test` itself",
    "make test": "this very suite",
    "sla terms extract signed-contract.docx": "needs the parties' signed contract; tests/test_docx_terms.py extracts generated ones",
    "sla generate --months 12 --consultations-per-month 10000000": "6 GB of data, 14 minutes: benchmarks/ (make bench)",
    "sla fees --terms /data/big/": "reads the 6 GB data set of the line above",
    "sla report --terms data/samples/contract.yaml --data data/samples --month 2026-10 --as-of 2026-12-31":
        "the same report (every notebook and format, 2026-10, as of 2026-12-31) is built by tests/test_report_sample.py",
    "sla report --terms T --data D": "T and D stand for the reader's own terms file and data folder",
}


def readme_commands() -> list[str]:
    """The commands of the README's ``sh`` blocks: continuation lines joined, comments cut."""
    commands = []
    for block in re.findall(r"^```sh\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M):
        for command in re.sub(r"\\\n\s*", " ", block).splitlines():
            command = re.sub(r"\s+#\s.*$", "", command).strip()
            if command and not command.startswith("#"):
                commands.append(command)
    return commands


def _skip_reason(command: str) -> str | None:
    return next((why for prefix, why in SKIPPED.items() if command.startswith(prefix)), None)


COMMANDS = readme_commands()


def test_the_readme_shows_commands_and_every_skip_is_still_in_it():
    assert len(COMMANDS) >= 10
    stale = [prefix for prefix in SKIPPED if not any(c.startswith(prefix) for c in COMMANDS)]
    assert stale == [], "SKIPPED names commands the README no longer shows"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A folder laid out like the repository for what the commands read and write."""
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "data", folder / "data")
    shutil.copytree(ROOT / "notebooks", folder / "notebooks")
    return folder


@pytest.mark.parametrize("command", [c for c in COMMANDS if _skip_reason(c) is None])
def test_readme_command_runs_as_written(command, workdir):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    done = subprocess.run(command, shell=True, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
    assert "Traceback" not in done.stderr
