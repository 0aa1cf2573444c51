"""CLI conventions: help with an example everywhere, exit codes, language, no tracebacks,
and a core that never imports click or rich."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from radiocli.cli import COMMANDS, cli as group


def all_commands():
    ctx = click.Context(group)
    for name in COMMANDS:
        command = group.get_command(ctx, name)
        yield name, command
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield f"{name} {sub.name}", sub


@pytest.mark.parametrize("name,command", list(all_commands()), ids=lambda x: str(x)[:30])
def test_every_command_has_help_with_an_example(name, command):
    text = (command.help or "") + (command.epilog or "")
    assert "Example" in text or "Ví dụ" in text, f"radiocli {name} has no example in its help"


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_usage_errors_exit_2_and_problems_exit_1(cli, project):
    assert cli("no-such-command").exit_code == 2
    assert cli("plan", "--days", "0").exit_code == 2
    (project / "schedules" / "bad.yaml").write_text("programs: [", encoding="utf-8")
    result = cli("--schedules", str(project / "schedules"), "plan", "--date", "2021-08-02")
    assert result.exit_code == 1
    assert "bad.yaml:" in result.output and "Traceback" not in result.output


def test_missing_schedules_folder_is_a_clear_error(cli, tmp_path):
    result = cli("--schedules", str(tmp_path / "nowhere"), "plan", "--date", "2021-08-02")
    assert result.exit_code == 1
    assert "no such schedules folder" in result.output


def test_messages_follow_lang(cli, project):
    (project / "schedules" / "bad.yaml").write_text("programs: [", encoding="utf-8")
    english = cli("--lang", "en", "--schedules", str(project / "schedules"), "validate")
    vietnamese = cli("--lang", "vi", "--schedules", str(project / "schedules"), "validate")
    assert ": error:" in english.output
    assert ": lỗi:" in vietnamese.output


def test_core_never_imports_click_or_rich():
    code = (
        "import sys, radiocli.schedule, radiocli.plan, radiocli.plan.validate, "
        "radiocli.aslog.writer, radiocli.play.simulate\n"
        "bad = [m for m in ('click', 'rich') if m in sys.modules]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_help_does_not_import_heavy_engines():
    code = (
        "import sys\nfrom radiocli.cli import main\nsys.argv=['radiocli','--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pyttsx3', 'pydub', 'duckdb', 'apscheduler', 'openpyxl', 'yaml')"
        " if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy)); sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_works():
    result = subprocess.run([sys.executable, "-m", "radiocli", "--version"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "radiocli" in result.stdout


def test_cli_reference_is_up_to_date():
    """docs/cli.md is generated from --help; regenerate with scripts/cli_reference.py."""
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "cli_reference.py"
    result = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
