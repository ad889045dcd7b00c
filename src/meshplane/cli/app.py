"""The ``meshplane`` application: command registration and the error edge.

Commands are registered lazily. Importing every command module costs well over a second (DuckDB, Delta,
SQLAlchemy, OpenLineage, Copier…), so ``main`` builds the Typer app with only the command that was asked
for; ``--help`` without a command, and an unknown command, build the whole app. ``COMMANDS`` is the one list
of commands, in the order ``--help`` shows them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence
from typing import Annotated, NamedTuple

import typer

from meshplane import __version__
from meshplane.cli.console import State, err, print_error
from meshplane.errors import InvalidInputError, MeshplaneError


class Entry(NamedTuple):
    """Where a command lives: ``module`` under ``meshplane.cli``, the attribute, and whether it is a group."""

    module: str
    attribute: str
    group: bool = False


COMMANDS: dict[str, Entry] = {
    "demo": Entry("cmd_demo", "demo"),
    "init": Entry("cmd_scaffold", "init"),
    "new": Entry("cmd_scaffold", "new_app", group=True),
    "template": Entry("cmd_scaffold", "template_app", group=True),
    "validate": Entry("cmd_validate", "validate"),
    "schema": Entry("cmd_validate", "schema"),
    "check": Entry("cmd_governance", "check"),
    "diff": Entry("cmd_governance", "diff"),
    "changelog": Entry("cmd_governance", "changelog"),
    "policy": Entry("cmd_governance", "policy_app", group=True),
    "plan": Entry("cmd_provision", "plan"),
    "deploy": Entry("cmd_provision", "deploy"),
    "undeploy": Entry("cmd_provision", "undeploy"),
    "status": Entry("cmd_provision", "status"),
    "deprecate": Entry("cmd_provision", "deprecate"),
    "import-existing": Entry("cmd_provision", "import_existing"),
    "adapter": Entry("cmd_provision", "adapter_app", group=True),
    "test": Entry("cmd_test", "test"),
    "run": Entry("cmd_runtime", "run"),
    "runs": Entry("cmd_runtime", "runs"),
    "quarantine": Entry("cmd_runtime", "quarantine"),
    "versions": Entry("cmd_runtime", "versions"),
    "restore": Entry("cmd_runtime", "restore"),
    "read": Entry("cmd_runtime", "read"),
    "lineage": Entry("cmd_lineage", "lineage"),
    "lineage-export": Entry("cmd_lineage", "lineage_export"),
    "import": Entry("cmd_codecs", "import_"),
    "export": Entry("cmd_codecs", "export_"),
    "query": Entry("cmd_query", "query"),
    "serve": Entry("cmd_serve", "serve"),
    "access": Entry("cmd_access", "access_app", group=True),
    "token": Entry("cmd_access", "token_app", group=True),
}

ROOT_OPTIONS = frozenset({"--debug", "--version", "-h", "--help"})


def _version(value: bool) -> None:
    if value:
        typer.echo(f"meshplane {__version__}")
        raise typer.Exit()


def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    State.debug = State.debug or debug


def build_app(names: Iterable[str] | None = None) -> typer.Typer:
    """The Typer app with the commands ``names`` (every command when ``None``), importing only their modules."""
    app = typer.Typer(
        name="meshplane",
        help="Meshplane: a self-serve data mesh platform. Data products as code, governance as code, "
        "contracts enforced on the data.",
        no_args_is_help=True,
        rich_markup_mode="rich",
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    wanted = set(COMMANDS if names is None else names)
    for name, entry in COMMANDS.items():
        if name not in wanted:
            continue
        target = getattr(importlib.import_module(f"meshplane.cli.{entry.module}"), entry.attribute)
        if entry.group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def requested(argv: Sequence[str]) -> str | None:
    """The command ``argv`` asks for, when it is a known one (the first word that is not a root option)."""
    for word in argv:
        if word in ROOT_OPTIONS:
            continue
        return word if word in COMMANDS else None
    return None


def __getattr__(name: str) -> typer.Typer:
    """``meshplane.cli.app.app``: the whole app, for the docs generator and tests (built on first use)."""
    if name == "app":
        return build_app()
    raise AttributeError(name)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; domain errors become ``Error: …`` and exit code 1, never a traceback."""
    args = sys.argv[1:] if argv is None else argv
    command = requested(args)
    names = [command] if command else ([] if "--version" in args else None)
    try:
        code = build_app(names)(args=args, standalone_mode=False)
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
