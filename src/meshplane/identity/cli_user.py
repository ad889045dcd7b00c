"""Which mesh user the CLI acts as: ``--as USER``, else ``MESHPLANE_USER``, else the OS user if the mesh knows it."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping

from meshplane.errors import AuthenticationError
from meshplane.identity.directory import Directory
from meshplane.identity.model import Identity

USER_ENV = "MESHPLANE_USER"


def resolve_cli_identity(
    directory: Directory,
    as_user: str | None = None,
    *,
    data_product: str | None = None,
    env: Mapping[str, str] | None = None,
    os_user: str | None = None,
) -> Identity:
    """The identity a CLI command acts as. Explicit beats implicit: ``--as`` over ``MESHPLANE_USER`` over the
    login name; the login name is used only when it is a mesh user, and otherwise the error says how to pick one.
    """
    environ = os.environ if env is None else env
    chosen = as_user or environ.get(USER_ENV) or None
    if chosen:
        return directory.identity(chosen, data_product=data_product)
    login = os_user if os_user is not None else _login()
    if login and directory.has_user(login):
        return directory.identity(login, data_product=data_product)
    users = ", ".join(directory.users[:8]) or "none declared"
    raise AuthenticationError(
        f"no mesh user to act as (the login name `{login or '?'}` is not a user of mesh `{directory.mesh.name}`)",
        hint=f"pass `--as USER` or set {USER_ENV}; users: {users}",
    )


def _login() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (containers)
        return None
