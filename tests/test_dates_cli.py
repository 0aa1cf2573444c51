"""One date parameter type for every date option of every command: YYYY-MM-DD,
DD/MM/YYYY (as the YAML takes them), today, tomorrow, hôm nay, ngày mai."""

from __future__ import annotations

import click
import pytest

from radiocli.cli import COMMANDS, cli
from radiocli.cli.common import DateOrMomentParam, DateParam

DATE_OPTIONS = {"--date", "--from", "--to", "--on", "--valid-from", "--valid-to"}


def every_command() -> list[tuple[str, click.Command]]:
    out = []
    for name in COMMANDS:
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        if isinstance(command, click.Group):
            out += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            out.append((name, command))
    return out


def test_every_date_option_uses_the_one_date_type():
    seen = []
    for name, command in every_command():
        for param in command.params:
            if isinstance(param, click.Option) and DATE_OPTIONS & set(param.opts):
                assert isinstance(param.type, (DateParam, DateOrMomentParam)), (name, param.opts)
                seen.append(f"{name} {param.opts[0]}")
    # plan, render, simulate, report summary|station|compliance, stations list, approve
    assert len(seen) >= 12, seen


@pytest.mark.parametrize("text,expected", [
    ("2021-08-05", "2021-08-05"), ("05/08/2021", "2021-08-05"), ("5/8/2021", "2021-08-05"),
    (" 05/08/2021 ", "2021-08-05"),
])
def test_dates_as_written(text, expected):
    from radiocli.cli.common import DATE

    assert DATE.convert(text, None, None).isoformat() == expected


def test_report_takes_vietnamese_dates(cli, tmp_path):
    """report --from/--to took only YYYY-MM-DD: 01/08/2021 was a usage error."""
    result = cli("report", "summary", "--from", "01/08/2021", "--to", "31/08/2021",
                 "--store", str(tmp_path / "empty-store"), "--json")
    assert result.exit_code == 1, result.output  # past the options, to the missing store
    assert "no such store" in result.output and "expected a date" not in result.output


def test_approve_keeps_date_and_time_forms():
    from radiocli.cli.common import DATE_OR_MOMENT

    assert DATE_OR_MOMENT.convert("30/09/2021", None, None) == "2021-09-30"
    assert DATE_OR_MOMENT.convert("2021-09-30T18:00+07:00", None, None) == \
        "2021-09-30T18:00+07:00"
    with pytest.raises(click.BadParameter):
        DATE_OR_MOMENT.convert("31/02/2021", None, None)
