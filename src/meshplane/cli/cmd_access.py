"""``meshplane access …`` and ``meshplane token issue``: thin shells over ``meshplane.access.AccessService``.

Every command acts as a mesh user: ``--as USER``, else ``MESHPLANE_USER``, else the login name when the mesh
knows it. Ports are named as in gateway SQL (``sales.orders.orders``) or any other way
:mod:`meshplane.access.naming` accepts. Text output names things the short way people read them
(``sales/orders``, ``dp:marketing/c360``) and fits an 80-column terminal; ``--format json`` prints the full
records, ids and all. Problems applying a decision to PostgreSQL follow the command's output on stderr.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from meshplane.access import AccessService, PortGrant
from meshplane.access.catalog import port_of, protected_columns
from meshplane.access.model import effective_masks, parse_expiry
from meshplane.access.naming import Names
from meshplane.cli.console import Format, err, out
from meshplane.cli.options import AsOpt, EnvOpt, FmtOpt, MeshOpt
from meshplane.cli.report import emit_json
from meshplane.errors import InvalidInputError, NotFoundError
from meshplane.identity import DEFAULT_TTL, Identity, resolve_cli_identity, tokens_for
from meshplane.provisioning.gating import gated_reads, gating_mode
from meshplane.provisioning.service import Session, open_session
from meshplane.registry.access import AccessRequest, Grant
from meshplane.registry.access_models import PrincipalKind, RequestState
from meshplane.spec.durations import parse_duration

access_app = typer.Typer(help="Request, decide, revoke and list access to output ports.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for the REST API.", no_args_is_help=True)

ExpiresOpt = Annotated[str | None, typer.Option("--expires", help="A duration (30d, 12h) or a date (2027-01-31).")]
ProductArg = Annotated[
    str, typer.Argument(help="The data product, any major: sales/orders, orders, orders_v2 or its id.")
]

_STATE_STYLE = {"PENDING": "yellow", "APPROVED": "green", "ACTIVE": "green", "DENIED": "red", "REVOKED": "dim"}
_UNSWEPT = "EXPIRED*"
_UNSWEPT_NOTE = "* past its expiry, so it no longer counts; `meshplane access sweep` records that"


class _Command:
    """One access command's world: the access service over the session's registry, who acts (resolved on
    first use), and the names things are printed with."""

    def __init__(self, session: Session, as_user: str | None) -> None:
        self.svc = access_service(session)
        self.environment = session.coordinator.target.environment
        self._as_user = as_user

    @cached_property
    def identity(self) -> Identity:
        return resolve_cli_identity(self.svc.directory, self._as_user)

    @cached_property
    def names(self) -> Names:
        return self.svc.catalog().names()


def access_service(session: Session) -> AccessService:
    """The access service over a session: its registry, mesh and environment, and the workspace's descriptors
    (so requests may name products not deployed yet)."""
    model = session.workspace.mesh_model
    assert model is not None  # open_session refuses a folder without mesh.yaml
    models = [m for _, m in session.workspace.models()]
    return AccessService(session.registry, model, environment=session.coordinator.target.environment, extra=models)


@contextmanager
def _command(mesh: Path, env: str | None, as_user: str | None = None, *, acting: bool = True) -> Iterator[_Command]:
    """Open the mesh for one command; an acting command fails on an unknown user before it does anything.
    Warnings the service collected are printed last, after the command's own output (or before its error)."""
    with open_session(mesh, env) as session:
        command = _Command(session, as_user)
        if acting:
            _ = command.identity
        try:
            yield command
        finally:
            for warning in command.svc.warnings:
                err.print(f"[yellow]warning:[/] {escape(warning)}")


@access_app.command("request")
def request(
    port: Annotated[
        str,
        typer.Argument(
            help="The port: domain.product.port as in queries (sales.orders.orders), product.port, "
            "product_v2.port for one major, or DATA_PRODUCT_ID.port."
        ),
    ],
    purpose: Annotated[str, typer.Option("--purpose", help="What the data is for; the owners decide on it.")],
    expires: ExpiresOpt = None,
    for_product: Annotated[
        str | None, typer.Option("--for-product", help="Request for a data product you own (its input port).")
    ] = None,
    for_group: Annotated[str | None, typer.Option("--for-group", help="Request for a group you belong to.")] = None,
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Ask the owning team for read access to an output port."""
    with _command(mesh, env, as_user) as cmd:
        req = cmd.svc.request(
            cmd.identity,
            port,
            purpose=purpose,
            expires_at=parse_expiry(expires),
            for_product=for_product,
            for_group=for_group,
        )
        if fmt is Format.JSON:
            emit_json(req.to_dict())
            return
        dp = cmd.svc.catalog().get(req.dp_id)
        owners = ", ".join(cmd.svc.owners(dp)) if dp else "unknown"
        behalf = "" if req.requester_kind is PrincipalKind.USER else f" for {_principal(cmd.names, req)}"
        until = f" until {_date(req.expires_at)}" if req.expires_at else ""
        name = cmd.names.port_name(req.dp_id, req.port)
        out.print(escape(f"Request {req.id}{behalf} on {name}{until} is PENDING; its owners decide: {owners}"))
        out.print("[dim]Follow it with `meshplane access list --mine`.[/]")


@access_app.command("approve")
def approve(
    request_id: Annotated[int, typer.Argument(help="The request id (see `meshplane access list --pending`).")],
    row_filter: Annotated[
        str | None, typer.Option("--filter", help="Rows the grantee sees, as SQL: \"region = 'EU'\".")
    ] = None,
    mask: Annotated[
        list[str] | None, typer.Option("--mask", help="COLUMN=hash|redact|null; repeat for more columns.")
    ] = None,
    unmask_pii: Annotated[
        list[str] | None, typer.Option("--unmask-pii", help="A PII/sensitive column to show in clear; repeatable.")
    ] = None,
    expires: ExpiresOpt = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit log).")] = None,
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Approve a request as an owner; PII columns stay masked unless unmasked here."""
    with _command(mesh, env, as_user) as cmd:
        grant = cmd.svc.approve(
            cmd.identity,
            request_id,
            row_filter=row_filter,
            masks=mask or [],
            unmask_pii=unmask_pii or [],
            expires_at=parse_expiry(expires),
            reason=reason,
        )
        _print_grants(cmd, [grant], fmt, "Approved", single=True)


@access_app.command("deny")
def deny(
    request_id: Annotated[int, typer.Argument(help="The request id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; the requester sees it.")],
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Deny a request as an owner, saying why."""
    with _command(mesh, env, as_user) as cmd:
        req = cmd.svc.deny(cmd.identity, request_id, reason=reason)
        if fmt is Format.JSON:
            emit_json(req.to_dict())
            return
        who, name = _principal(cmd.names, req), cmd.names.port_name(req.dp_id, req.port)
        out.print(escape(f"Denied request {req.id} ({who} on {name}): {req.reason}"))


@access_app.command("revoke")
def revoke(
    request_id: Annotated[int, typer.Argument(help="The approved request whose access ends.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit log).")] = None,
    major: Annotated[int | None, typer.Option("--major", help="End only the grant on this major.")] = None,
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """End access: owners revoke, a requester may give access up."""
    with _command(mesh, env, as_user) as cmd:
        ended = cmd.svc.revoke(cmd.identity, request_id, reason=reason, major=major)
        _print_grants(cmd, ended, fmt, "Revoked")


@access_app.command("list")
def list_(
    pending: Annotated[bool, typer.Option("--pending", help="Requests waiting for your decision.")] = False,
    mine: Annotated[bool, typer.Option("--mine", help="Requests you filed or that are for you.")] = False,
    grants: Annotated[bool, typer.Option("--grants", help="Your grants, and what you may read.")] = False,
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Requests and grants: by default yours and those waiting for you."""
    with _command(mesh, env, as_user) as cmd:
        me, environment = cmd.identity, cmd.environment
        both = not pending and not mine and not grants
        queue = cmd.svc.pending_for(me, environment=environment) if pending or both else []
        own = cmd.svc.mine(me, environment=environment) if mine or both else []
        held = cmd.svc.grants_of(me, environment=environment) if grants or both else []
        readable = cmd.svc.effective_grants(me, environment) if grants else []
        if fmt is Format.JSON:
            emit_json(
                {
                    "user": me.to_dict(),
                    "pending": [r.to_dict() for r in queue],
                    "mine": [r.to_dict() for r in own],
                    "grants": [g.to_dict() for g in held],
                    "readable": [g.to_dict() for g in readable],
                }
            )
            return
        sections: list[Callable[[], None]] = []
        if pending or both:
            sections.append(lambda: _requests_table(cmd, f"Waiting for {me.user}'s decision", queue, owner=True))
        if mine or both:
            sections.append(lambda: _requests_table(cmd, f"Requests of {me.user}", own))
        if grants or both:
            sections.append(lambda: _grants_table(cmd, f"Grants of {me.user}", held))
        if grants:
            sections.append(lambda: _readable_table(cmd, f"What {me.user} may read now", readable))
        for n, show in enumerate(sections):
            if n:
                out.print()
            show()


@access_app.command("migrate")
def migrate(
    dataproduct: ProductArg,
    to_major: Annotated[
        int | None, typer.Option("--to-major", help="Confirm: copy the offered grants onto this major.")
    ] = None,
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Show the grants offered for a new major, or (with --to-major) move them there once, as an owner."""
    with _command(mesh, env, as_user) as cmd:
        if to_major is not None:
            moved = cmd.svc.migrate_grants(cmd.identity, dataproduct, to_major)
            _print_grants(cmd, moved, fmt, "Migrated", none="No grant to migrate: every live one is there already.")
            return
        offers = cmd.svc.offers(dataproduct)
        if fmt is Format.JSON:
            emit_json([o.to_dict() for o in offers])
            return
        if not offers:
            out.print("No grants to migrate.")
            return
        names = cmd.names
        for o in offers:
            g = o.grant
            note = "[green]can move[/]" if o.problem is None else f"[yellow]cannot move: {escape(o.problem)}[/]"
            out.print(
                escape(f"grant {g.id}: {_principal(names, g)} reads {names.port_name(g.dp_id, g.port)} → ")
                + f"{escape(names.label(o.to_dp_id))}: {note}"
            )
        target = offers[0].to_dp_id
        if any(o.problem is None for o in offers):
            label, major = names.label(target), target.rpartition(":")[2]
            out.print(f"[dim]An owner confirms once: `meshplane access migrate {escape(label)} --to-major {major}`.[/]")


@access_app.command("sweep")
def sweep(mesh: MeshOpt = Path(), env: EnvOpt = None, fmt: FmtOpt = Format.TEXT) -> None:
    """Mark expired grants EXPIRED (audited and announced); run it from cron. Expired grants never count anyway."""
    with _command(mesh, env, acting=False) as cmd:
        expired = cmd.svc.sweep()
        _print_grants(cmd, expired, fmt, "Expired", none="No grant was past its expiry.")


@access_app.command("sync")
def sync(
    dataproduct: Annotated[str | None, typer.Argument(help="Only this data product.")] = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Converge PostgreSQL roles, grants, row-level security and masked views to the live grants."""
    with _command(mesh, env, acting=False) as cmd:
        logs = cmd.svc.sync_postgres(dp_ref=dataproduct)
        if fmt is Format.JSON:
            emit_json({"changes": logs})
            return
        for line in logs or ["No PostgreSQL output port to enforce, or nothing to change."]:
            out.print(escape(line))


@access_app.command("relay")
def relay(
    nats: Annotated[str | None, typer.Option("--nats", help="NATS URL (default: MESHPLANE_NATS_URL or local).")] = None,
    prefix: Annotated[str, typer.Option("--prefix", help="Prepended to every subject.")] = "",
    mesh: MeshOpt = Path(),
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Publish the outbox's unpublished events to NATS JetStream (de-duplicated by message id)."""
    from meshplane.access.relay import relay_once

    with open_session(mesh, None) as session:
        result = relay_once(session.registry, nats, prefix=prefix)
    if fmt is Format.JSON:
        emit_json(result.to_dict())
        return
    out.print(
        f"Published {result.published} event(s) ({result.duplicates} the broker had already); "
        f"{result.remaining} left in the outbox"
    )


@token_app.command("issue")
def issue(
    user: Annotated[str, typer.Argument(help="The mesh user the token proves.")],
    ttl: Annotated[str, typer.Option("--ttl", help="Lifetime, e.g. 8h or 30d.")] = "8h",
    for_product: Annotated[str | None, typer.Option("--for-product", help="Act for this data product.")] = None,
    mesh: MeshOpt = Path(),
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Print a signed bearer token for the REST API (`Authorization: Bearer <token>`)."""
    from meshplane.spec.workspace import open_workspace

    workspace = open_workspace(mesh)
    if workspace.mesh_model is None:
        raise InvalidInputError(f"no mesh.yaml at or above {mesh}", hint="pass --mesh DIR")
    lifetime = parse_duration(ttl) if ttl else DEFAULT_TTL
    if lifetime <= timedelta(0):
        raise InvalidInputError(f"--ttl {ttl}: a token's lifetime must be positive", hint="e.g. --ttl 8h")
    token = tokens_for(workspace.mesh_model, workspace.root).issue_token(user, lifetime, data_product=for_product)
    if fmt is Format.JSON:
        emit_json({"user": user, "token": token, "expiresAt": (datetime.now(UTC) + lifetime).isoformat()})
        return
    out.file.write(token + "\n")


def grant_input_ports(session: Session) -> list[Grant]:
    """For the demo and first set-ups: each product's gated input ports requested by one of its owners and
    approved by one of the producer's owners, through the access service (permissions, audit, outbox), so
    the deploys that follow pass gating. Ports already granted are skipped; returns the new grants."""
    svc = access_service(session)
    env = svc.environment
    mode = gating_mode(svc.mesh)
    made: list[Grant] = []
    for dp in [m for _, m in session.workspace.models()]:
        for _, source in gated_reads(dp, mode):
            if session.registry.access.has_live_grant(dp.id, source.data_product, source.port, env):
                continue
            producer = svc.catalog().get(source.data_product)
            consumer_owner, producer_owner = _an_owner(svc, dp.id), _an_owner(svc, source.data_product)
            if producer is None or consumer_owner is None or producer_owner is None:
                continue  # the deploy then says exactly what is missing
            req = svc.request(
                consumer_owner,
                f"{source.data_product}.{source.port}",
                purpose=f"{dp.name} reads {producer.name}.{source.port} through its input port",
                for_product=dp.id,
            )
            made.append(svc.approve(producer_owner, req.id, reason="input port of a data product in the mesh"))
    return made


def _an_owner(svc: AccessService, dp_id: str) -> Identity | None:
    dp = svc.catalog().get(dp_id)
    if dp is None:
        return None
    for user in svc.directory.users:
        identity = svc.directory.identity(user)
        if svc.is_owner(identity, dp):
            return identity
    return None


# -- text output -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Col:
    """A listing column. ``shrink`` > 0 may be cut (with an ellipsis) when the terminal is narrow, level 1
    first (free text: purposes, terms), down to ``least`` characters, then level 2, then 3; 0 is never cut
    (ids, states, dates)."""

    header: str
    shrink: int = 0
    least: int = 12


_GAP = 2


def _table(title: str, columns: Sequence[_Col], rows: Sequence[Sequence[str | Text]], caption: str = "") -> None:
    """Print a listing that fits the terminal: no borders, a column whose every cell is blank left out, one
    line per row (text cut, never wrapped); an empty listing says so in one line."""
    if not rows:
        out.print(f"[bold]{escape(title)}[/]: none")
        return
    kept = [i for i in range(len(columns)) if any(str(row[i]) for row in rows)]
    widths = {i: max(len(columns[i].header), *(cell_len(str(row[i])) for row in rows)) for i in kept}
    excess = sum(widths.values()) + _GAP * (len(kept) - 1) - out.width
    for floor in (lambda c: max(c.least, len(c.header)), lambda c: len(c.header)):  # then below `least`
        for level in (1, 2, 3):
            for i in (i for i in kept if columns[i].shrink == level):
                cut = max(0, min(excess, widths[i] - floor(columns[i])))
                widths[i] -= cut
                excess -= cut
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=None,
        padding=(0, _GAP, 0, 0),
        pad_edge=False,
        header_style="bold underline",
        caption=caption or None,
        caption_justify="left",
    )
    for i in kept:
        table.add_column(columns[i].header, no_wrap=True, overflow="ellipsis", max_width=widths[i])
    for row in rows:
        table.add_row(*[row[i] for i in kept])
    out.print(table)


def _state(value: str) -> Text:
    return Text(value, style=_STATE_STYLE.get(value.rstrip("*"), ""))


def _requests_table(cmd: _Command, title: str, rows: Sequence[AccessRequest], *, owner: bool = False) -> None:
    """Requests, newest first. In the owner's queue every request is PENDING (no state column); in the
    requester's list, requests for themselves leave the "for" column blank."""
    me = None if owner else cmd.identity.user
    columns = [_Col("id"), _Col("state"), _Col("for", 2, 16), _Col("product", 3, 16), _Col("port", 3)]
    columns += [_Col("purpose", 1, 14), _Col("expires")]
    table_rows: list[list[str | Text]] = [
        [
            str(r.id),
            Text() if owner else _state(r.state.value),
            _principal(cmd.names, r, me=me),
            cmd.names.label(r.dp_id),
            r.port,
            " ".join(r.purpose.split()),
            _date(r.expires_at),
        ]
        for r in rows
    ]
    _table(title, columns, table_rows)
    for r in rows:
        if r.state is RequestState.DENIED and r.reason:
            out.print(escape(f"  request {r.id} was denied by {r.decided_by}: {r.reason}"), style="dim")


def _grants_table(cmd: _Command, title: str, grants: Sequence[Grant]) -> None:
    """Grants with their terms: the row filter and every mask the grantee sees (PII ones included)."""
    me = cmd.identity.user
    columns = [_Col("grant"), _Col("req"), _Col("state"), _Col("holder", 2, 16), _Col("product", 3, 16)]
    columns += [_Col("port", 3), _Col("terms", 1, 14), _Col("expires")]
    rows: list[list[str | Text]] = []
    for g in grants:
        state = g.state.value if g.live() or g.state.value != "ACTIVE" else _UNSWEPT
        rows.append(
            [
                str(g.id),
                str(g.request_id or ""),
                _state(state),
                _principal(cmd.names, g, me=me),
                cmd.names.label(g.dp_id),
                g.port,
                _terms(g.row_filter, _shown_masks(cmd.svc, g)),
                _date(g.expires_at),
            ]
        )
    unswept = any(str(row[2]) == _UNSWEPT for row in rows)
    _table(title, columns, rows, caption=_UNSWEPT_NOTE if unswept else "")


def _readable_table(cmd: _Command, title: str, readable: Sequence[PortGrant]) -> None:
    """One line per port the user may read, with the terms the gateway applies (``owner``: their own)."""
    columns = [_Col("product", 3, 16), _Col("port", 3), _Col("terms", 1, 14), _Col("grant")]
    rows: list[list[str | Text]] = [
        [cmd.names.label(g.dp_id), g.port, _terms(g.row_filter, g.masks) or "all rows, in clear", g.grant_id]
        for g in readable
    ]
    _table(title, columns, rows)


def _print_grants(
    cmd: _Command, grants: Sequence[Grant], fmt: Format, verb: str, *, single: bool = False, none: str = ""
) -> None:
    """One line per grant: "Approved grant 7 (request 6): tom reads sales.orders.orders where …; masked …"."""
    if fmt is Format.JSON:
        data: Any = grants[0].to_dict() if single and grants else [g.to_dict() for g in grants]
        emit_json(data)
        return
    if not grants:
        out.print(none or f"{verb}: nothing")
    for g in grants:
        origin = f"from grant {g.migrated_from}" if g.migrated_from else f"request {g.request_id}"
        name = cmd.names.port_name(g.dp_id, g.port)
        if verb in ("Revoked", "Expired"):
            line = f"{verb} grant {g.id} ({origin}): {_principal(cmd.names, g)} no longer reads {name}"
        else:
            terms = _terms(g.row_filter, _shown_masks(cmd.svc, g))
            until = f"; until {_date(g.expires_at)}" if g.expires_at else ""
            line = f"{verb} grant {g.id} ({origin}): {_principal(cmd.names, g)} reads {name}"
            line += f" {terms}{until}" if terms else f" (all rows, in clear){until}"
        out.print(escape(line))


def _principal(names: Names, record: AccessRequest | Grant, *, me: str | None = None) -> str:
    """Who a request or grant is for, short (``group:analysts``, ``dp:marketing/c360``); blank when it is
    ``me``, the listing's own user."""
    if isinstance(record, AccessRequest):
        kind, who = record.requester_kind, record.requester
    else:
        kind, who = record.principal_kind, record.principal
    return "" if kind is PrincipalKind.USER and who == me else names.principal(kind, who)


def _shown_masks(svc: AccessService, grant: Grant) -> Mapping[str, str]:
    """The masks the grantee sees: the grant's own plus the default on PII columns it does not unmask."""
    dp = svc.catalog(grant.environment).get(grant.dp_id)
    try:
        protected = protected_columns(port_of(dp, grant.port)) if dp else []
    except NotFoundError:
        protected = []  # the port went away in a later minor
    return effective_masks(grant.masks, protected, grant.pii_unmasked)


def _terms(row_filter: str | None, masks: Mapping[str, str]) -> str:
    parts = [f"where {row_filter}"] if row_filter else []
    if masks:
        parts.append("masked " + ", ".join(f"{c}={k}" for c, k in masks.items()))
    return "; ".join(parts)


def _date(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d}" if moment else ""
