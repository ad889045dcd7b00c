"""Users and groups as ``mesh.yaml`` declares them, and who owns what.

Group membership is read from the mesh model every time an identity is built, so removing someone from a
group in ``mesh.yaml`` takes effect at once, even for tokens issued before the change.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from meshplane.errors import AuthenticationError, NotFoundError
from meshplane.identity.model import Identity
from meshplane.spec.model import Mesh


class Directory:
    """The mesh's users and groups, indexed for lookups."""

    def __init__(self, mesh: Mesh) -> None:
        self.mesh = mesh
        self._users = {u.id: u for u in mesh.users}
        self._groups: dict[str, frozenset[str]] = {g.name: frozenset(g.members) for g in mesh.groups}
        member_of: dict[str, set[str]] = {}
        for group, members in self._groups.items():
            for member in members:
                member_of.setdefault(member, set()).add(group)
        self._member_of = {user: frozenset(groups) for user, groups in member_of.items()}

    @property
    def users(self) -> list[str]:
        return sorted(self._users)

    @property
    def groups(self) -> list[str]:
        return sorted(self._groups)

    def has_user(self, user: str) -> bool:
        return user in self._users

    def has_group(self, group: str) -> bool:
        return group in self._groups

    def display_name(self, user: str) -> str:
        found = self._users.get(user)
        return (found.name if found and found.name else None) or user

    def members(self, group: str) -> frozenset[str]:
        return self._groups.get(group, frozenset())

    def groups_of(self, user: str) -> frozenset[str]:
        return self._member_of.get(user, frozenset())

    def identity(self, user: str, *, data_product: str | None = None) -> Identity:
        """The identity of a mesh user; AuthenticationError (with the closest names) for anyone else."""
        if user not in self._users:
            raise AuthenticationError(f"`{user}` is not a user of mesh `{self.mesh.name}`", hint=self._hint(user))
        return Identity(user, self.groups_of(user), data_product)

    def require_principal(self, name: str) -> str:
        """``name`` as a grantable principal (a user or a group); NotFoundError otherwise."""
        if name in self._users or name in self._groups:
            return name
        close = difflib.get_close_matches(name, [*self._users, *self._groups], n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "principals are the users and groups of mesh.yaml"
        raise NotFoundError(f"no user or group `{name}` in mesh `{self.mesh.name}`", hint=hint)

    def owner_group_of_domain(self, domain: str) -> str | None:
        found = self.mesh.domain(domain)
        return found.owner_group if found else None

    def is_owner(self, identity: Identity, *, domain: str, owner: str | None, owner_group: str | None = None) -> bool:
        """Whether ``identity`` belongs to the team owning a data product: the product's ``owner`` (a user or
        a group), its ``ownerGroup``, or the owner group of its domain."""
        teams: Iterable[str | None] = (owner, owner_group, self.owner_group_of_domain(domain))
        principals = {identity.user, *identity.groups}
        return any(team is not None and team in principals for team in teams)

    def _hint(self, user: str) -> str:
        close = difflib.get_close_matches(user, list(self._users), n=3)
        if close:
            return f"did you mean {', '.join(close)}?"
        if not self._users:
            return "mesh.yaml declares no users; add them under `users:`"
        return f"known users: {', '.join(sorted(self._users)[:10])}"
