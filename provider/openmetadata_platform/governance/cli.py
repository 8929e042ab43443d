"""``openmetadata-platform-governance plan|apply|drift|validate FOLDER``: the CI entry point.

Built with click (commands, options, usage errors) and rich (the plan, coloured by add /
change / remove on a terminal, plain text when piped), as the team's CLIs are.

The server comes from the environment, never from arguments (a token on a command line ends
up in shell history and CI logs):

- ``OPENMETADATA_HOST_PORT``: e.g. ``http://localhost:8585/api``;
- ``OPENMETADATA_JWT_TOKEN``: the ingestion bot's token;

or, with ``--conn-id``, an Airflow connection (``AIRFLOW_CONN_<ID>`` or the metadata DB).

Exit codes: 0 success (and, for ``drift``, no drift); 1 bad input or refused write (file,
line and field on stderr; nothing written on bad input); 2 usage; 3 drift with ``--fail-on-drift``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import click

PROG = "openmetadata-platform-governance"
EXIT_OK, EXIT_INPUT, EXIT_DRIFT = 0, 1, 3
# Rich styles of the plan's lines, by their leading symbol (see plan.render_plan).
STYLES = {"+": "green", "~": "yellow", "-": "red"}


def _client(conn_id: str | None):
    """The ``OpenMetadata`` client from ``--conn-id`` or the environment.

    Raises:
        click.ClickException: neither ``--conn-id`` nor both ``OPENMETADATA_*`` variables (exit 1).
    """
    if conn_id:
        from openmetadata_platform.hooks.openmetadata import OpenMetadataHook

        return OpenMetadataHook(conn_id).get_conn()
    from metadata.generated.schema.entity.services.connections.metadata.openMetadataConnection import (
        OpenMetadataConnection,
    )
    from metadata.ingestion.ometa.ometa_api import OpenMetadata

    host_port, token = os.environ.get("OPENMETADATA_HOST_PORT"), os.environ.get("OPENMETADATA_JWT_TOKEN")
    if not host_port or not token:
        raise click.ClickException(
            "set OPENMETADATA_HOST_PORT (e.g. http://localhost:8585/api) and OPENMETADATA_JWT_TOKEN, "
            "or pass --conn-id of an Airflow connection"
        )
    return OpenMetadata(
        OpenMetadataConnection(hostPort=host_port, authProvider="openmetadata", securityConfig={"jwtToken": token})
    )


def print_plan(text: str, err: bool = False) -> None:
    """Print a rendered plan (:func:`~.plan.render_plan`) with rich: ``+`` green, ``~`` yellow,
    ``-`` red. No markup is interpreted (names may hold brackets) and lines never wrap (CI
    logs are searched by line)."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=err, highlight=False, soft_wrap=True)
    for line in text.splitlines():
        style = STYLES.get(line.lstrip()[:1]) if line.startswith(" ") else "bold"
        console.print(Text(line, style=style or ""))


def _shared_options(command: Callable) -> Callable:
    """The options every command accepts (as the argparse CLI did, so CI scripts keep working)."""
    for option in reversed(
        [
            click.option("--prune", is_flag=True, help="Remove values of declared fields the files no longer list."),
            click.option("--fail-on-drift", is_flag=True, help="drift: exit 3 when there is drift."),
            click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON instead of text."),
            click.option(
                "--conn-id", default=None, help="Airflow connection id instead of the OPENMETADATA_* variables."
            ),
        ]
    ):
        command = option(command)
    return click.argument("folder", type=click.Path(file_okay=False))(command)


def _run(mode: str, folder: str, prune: bool, fail_on_drift: bool, as_json: bool, conn_id: str | None) -> int:
    """Run one mode; print the result; return the exit code."""
    from openmetadata_platform.governance import (
        DriftError,
        GovernanceError,
        apply,
        build_plan,
        drift,
        load_folder,
        render_plan,
    )

    try:
        spec = load_folder(folder)
        if mode == "validate":
            click.echo(f"{len(spec.files)} governance files valid: {len(spec.tables)} tables")
            return EXIT_OK
        client = _client(conn_id)
        if mode == "plan":
            result, title = build_plan(client, spec, prune).to_dict(), "OpenMetadata governance plan"
        elif mode == "apply":
            result, title = apply(client, spec, prune), "Applied governance plan"
        else:
            result, title = drift(client, spec, prune, fail=fail_on_drift), "Governance drift"
    except DriftError as exc:
        if as_json:
            click.echo(json.dumps(exc.plan, indent=2))
        else:
            print_plan(str(exc))
        return EXIT_DRIFT
    except GovernanceError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_INPUT
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        print_plan(render_plan(result, title=title))
    return EXIT_OK


@click.group(name=PROG, help="Governance and data contracts as code for OpenMetadata.")
def cli() -> None:
    """The command group; see the module docstring."""


@cli.command(help="Check the files only (JSON Schema, references between files); no server.")
@_shared_options
def validate(**options) -> int:
    """``validate FOLDER``."""
    return _run("validate", **options)


@cli.command(help="Show what apply would change (reads only). For pull requests.")
@_shared_options
def plan(**options) -> int:
    """``plan FOLDER``."""
    return _run("plan", **options)


@cli.command(help="Write exactly the plan with JSON Patch. For the main branch.")
@_shared_options
def apply(**options) -> int:
    """``apply FOLDER``."""
    return _run("apply", **options)


@cli.command(help="Report what changed in the catalog since the files were applied.")
@_shared_options
def drift(**options) -> int:
    """``drift FOLDER [--fail-on-drift]``."""
    return _run("drift", **options)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring).

    Args:
        argv: the arguments after the program name (default: ``sys.argv[1:]``).

    Non-standalone click, so that the code is returned (tests, the console script's
    ``sys.exit(main())``) rather than raised.
    """
    try:
        code = cli.main(args=argv, prog_name=PROG, standalone_mode=False)
    except click.ClickException as exc:  # usage errors (2), missing server settings (1)
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_INPUT
    return code if isinstance(code, int) else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
