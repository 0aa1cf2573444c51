"""Shared fixtures: every test gets its own radiocli home; the sample schedules and a
CLI runner are one argument away."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "schedules"


@pytest.fixture(autouse=True)
def radiocli_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                  ) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("RADIOCLI_HOME", str(home))
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    from radiocli.i18n import set_language

    set_language("en")  # core messages are made in the language last set: start in English
    return home


@pytest.fixture
def sample_schedules() -> Path:
    return SAMPLE


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the sample project (schedules/ and audio/) in tmp_path."""
    shutil.copytree(SAMPLE, tmp_path / "schedules")
    shutil.copytree(REPO / "audio", tmp_path / "audio")
    return tmp_path


@pytest.fixture
def cli():
    """Run radiocli in-process: cli("plan", "--date", ...) -> click Result."""
    from radiocli.cli import cli as group

    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(group, list(args), input=input, catch_exceptions=False)

    return run
