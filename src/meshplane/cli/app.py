"""The ``meshplane`` application: command registration and the error edge."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from meshplane import __version__
from meshplane.cli import (
    cmd_codecs,
    cmd_demo,
    cmd_governance,
    cmd_lineage,
    cmd_provision,
    cmd_runtime,
    cmd_scaffold,
    cmd_test,
    cmd_validate,
)
from meshplane.cli.console import State, err, print_error
from meshplane.errors import InvalidInputError, MeshplaneError

app = typer.Typer(
    name="meshplane",
    help="Meshplane: a self-serve data mesh platform. Data products as code, governance as code, "
    "contracts enforced on the data.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"meshplane {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    State.debug = State.debug or debug


app.command()(cmd_demo.demo)
app.command()(cmd_scaffold.init)
app.add_typer(cmd_scaffold.new_app, name="new")
app.add_typer(cmd_scaffold.template_app, name="template")
app.command()(cmd_validate.validate)
app.command()(cmd_validate.schema)
app.command()(cmd_governance.check)
app.command()(cmd_governance.diff)
app.command()(cmd_governance.changelog)
app.add_typer(cmd_governance.policy_app, name="policy")
app.command()(cmd_provision.plan)
app.command()(cmd_provision.deploy)
app.command()(cmd_provision.undeploy)
app.command()(cmd_provision.status)
app.command()(cmd_provision.deprecate)
app.command("import-existing")(cmd_provision.import_existing)
app.add_typer(cmd_provision.adapter_app, name="adapter")
app.command("test")(cmd_test.test)
app.command("run")(cmd_runtime.run)
app.command()(cmd_runtime.runs)
app.command()(cmd_runtime.quarantine)
app.command()(cmd_runtime.versions)
app.command()(cmd_runtime.restore)
app.command()(cmd_runtime.read)
app.command()(cmd_lineage.lineage)
app.command("lineage-export")(cmd_lineage.lineage_export)
app.command("import")(cmd_codecs.import_)
app.command("export")(cmd_codecs.export_)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; domain errors become ``Error: …`` and exit code 1, never a traceback."""
    try:
        code = app(args=argv, standalone_mode=False)
    except MeshplaneError as exc:
        for diag in exc.diagnostics if isinstance(exc, InvalidInputError) else []:
            err.print(diag.render(), markup=False, highlight=False)
        print_error(exc.message, exc.hint)
        return exc.exit_code
    except typer.Exit as exc:
        return int(exc.exit_code or 0)
    except typer.Abort:
        print_error("aborted")
        return 130
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except typer.exceptions.TyperException as exc:  # usage errors: typer vendors click, whose errors land here
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print_error(str(exc))
        return int(getattr(exc, "exit_code", 2))
    except Exception as exc:  # the last line of defence: no traceback for users
        if State.debug:
            raise
        print_error(f"unexpected {type(exc).__name__}: {exc}", "re-run with --debug and report it as a bug")
        return 2
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
