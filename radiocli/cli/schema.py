"""radiocli schema"""

from __future__ import annotations

import json

import click


@click.command("schema")
def command() -> None:
    """Print the JSON Schema of the schedule format (for editor autocompletion).

    Example: radiocli schema > schedule.schema.json
    (then in VS Code with the YAML extension: "yaml.schemas": {"schedule.schema.json":
    "schedules/**/*.yaml"})
    """
    from radiocli.schedule.schema import json_schema

    click.echo(json.dumps(json_schema(), ensure_ascii=False, indent=2))
