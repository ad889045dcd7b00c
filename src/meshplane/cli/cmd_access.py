"""``meshplane access …`` and ``meshplane token issue``: thin shells over ``meshplane.access.AccessService``.

Every command acts as a mesh user: ``--as USER``, else ``MESHPLANE_USER``, else the login name when the mesh
knows it. Decisions print the grant or request; ``--format json`` prints it as data.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from meshplane.access import AccessService
from meshplane.access.model import parse_expiry
from meshplane.cli.console import Format, err, out
from meshplane.cli.report import emit_json
from meshplane.errors import InvalidInputError
from meshplane.identity import DEFAULT_TTL, Directory, Identity, resolve_cli_identity, tokens_for
from meshplane.provisioning.gating import gated_reads, gating_mode
from meshplane.provisioning.service import Session, open_session
from meshplane.registry.access import AccessRequest, Grant
from meshplane.spec.durations import parse_duration

access_app = typer.Typer(help="Request, decide, revoke and list access to output ports.", no_args_is_help=True)
token_app = typer.Typer(help="Bearer tokens for the REST API.", no_args_is_help=True)

MeshOpt = Annotated[Path, typer.Option("--mesh", help="The mesh folder (default: found from here).")]
EnvOpt = Annotated[str | None, typer.Option("--env", "-e", help="Environment (default: the first in mesh.yaml).")]
FmtOpt = Annotated[Format, typer.Option("--format", "-f", help="text or json.")]
AsOpt = Annotated[
    str | None, typer.Option("--as", help="Act as this mesh user (default: MESHPLANE_USER, else your login).")
]
ExpiresOpt = Annotated[str | None, typer.Option("--expires", help="A duration (30d, 12h) or a date (2027-01-31).")]

_STATE_STYLE = {"PENDING": "yellow", "APPROVED": "green", "ACTIVE": "green", "DENIED": "red", "REVOKED": "dim"}


@contextmanager
def _service(mesh: Path, env: str | None, as_user: str | None) -> Iterator[tuple[AccessService, Identity, Session]]:
    with open_session(mesh, env) as session:
        model = session.workspace.mesh_model
        assert model is not None  # open_session refuses a folder without mesh.yaml
        models = [m for _, m in session.workspace.models()]
        svc = AccessService(session.registry, model, environment=session.coordinator.target.environment, extra=models)
        identity = resolve_cli_identity(Directory(model), as_user)
        yield svc, identity, session
        for warning in svc.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}")


@access_app.command("request")
def request(
    port: Annotated[str, typer.Argument(help="DP.PORT, e.g. orders.orders or urn:dmb:dp:sales:orders:1.orders.")],
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
    with _service(mesh, env, as_user) as (svc, identity, _):
        req = svc.request(
            identity,
            port,
            purpose=purpose,
            expires_at=parse_expiry(expires),
            for_product=for_product,
            for_group=for_group,
        )
        owners = ", ".join(svc.owners(svc.catalog().resolve(req.dp_id)))
    if fmt is Format.JSON:
        emit_json(req.to_dict())
        return
    out.print(f"Request [bold]{req.id}[/] for {escape(req.dp_id)}.{escape(req.port)} is PENDING; owners: {owners}")


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
    with _service(mesh, env, as_user) as (svc, identity, _):
        grant = svc.approve(
            identity,
            request_id,
            row_filter=row_filter,
            masks=mask or [],
            unmask_pii=unmask_pii or [],
            expires_at=parse_expiry(expires),
            reason=reason,
        )
    _print_grant(grant, fmt, "Approved")


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
    with _service(mesh, env, as_user) as (svc, identity, _):
        req = svc.deny(identity, request_id, reason=reason)
    if fmt is Format.JSON:
        emit_json(req.to_dict())
        return
    out.print(f"Denied request {req.id} ({escape(req.requester)} on {escape(req.dp_id)}.{escape(req.port)})")


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
    with _service(mesh, env, as_user) as (svc, identity, _):
        ended = svc.revoke(identity, request_id, reason=reason, major=major)
    if fmt is Format.JSON:
        emit_json([g.to_dict() for g in ended])
        return
    for g in ended:
        out.print(f"Revoked grant {g.id}: {escape(g.principal)} on {escape(g.dp_id)}.{escape(g.port)}")


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
    with _service(mesh, env, as_user) as (svc, identity, session):
        environment = session.coordinator.target.environment
        both = not pending and not mine and not grants
        queue = svc.pending_for(identity, environment=environment) if pending or both else []
        own = svc.mine(identity, environment=environment) if mine or both else []
        held = svc.grants_of(identity, environment=environment) if grants or both else []
        readable = svc.effective_grants(identity, environment) if grants else []
    if fmt is Format.JSON:
        emit_json(
            {
                "user": identity.to_dict(),
                "pending": [r.to_dict() for r in queue],
                "mine": [r.to_dict() for r in own],
                "grants": [g.to_dict() for g in held],
                "readable": [g.to_dict() for g in readable],
            }
        )
        return
    if pending or both:
        _requests_table(f"Waiting for {identity.user}'s decision", queue)
    if mine or both:
        _requests_table(f"Requests of {identity.user}", own)
    if grants or both:
        _grants_table(f"Grants of {identity.user}", held)
    if readable:
        table = Table(title="What you may read (effective)")
        for column in ("data product", "port", "row filter", "masks", "grant"):
            table.add_column(column)
        for g in readable:
            masks = ", ".join(f"{c}={k}" for c, k in g.masks.items())
            table.add_row(escape(g.dp_id), escape(g.port), escape(g.row_filter or "all rows"), masks, g.grant_id)
        out.print(table)


@access_app.command("migrate")
def migrate(
    dataproduct: Annotated[str, typer.Argument(help="The data product (any major, or its name).")],
    to_major: Annotated[
        int | None, typer.Option("--to-major", help="Confirm: copy the offered grants onto this major.")
    ] = None,
    as_user: AsOpt = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Show the grants offered for a new major, or (with --to-major) move them there once, as an owner."""
    with _service(mesh, env, as_user) as (svc, identity, _):
        if to_major is None:
            offers = svc.offers(dataproduct)
            if fmt is Format.JSON:
                emit_json([o.to_dict() for o in offers])
                return
            if not offers:
                out.print("No grants to migrate.")
            for o in offers:
                note = "[green]migratable[/]" if o.problem is None else f"[yellow]{escape(o.problem)}[/]"
                out.print(
                    f"grant {o.grant.id}: {escape(o.grant.principal)} on {escape(o.grant.port)} → {o.to_dp_id} {note}"
                )
            return
        moved = svc.migrate_grants(identity, dataproduct, to_major)
    _print_grants(moved, fmt, "Migrated")


@access_app.command("sweep")
def sweep(mesh: MeshOpt = Path(), env: EnvOpt = None, fmt: FmtOpt = Format.TEXT) -> None:
    """Mark expired grants EXPIRED (audited and announced); run it from cron. Expired grants never count anyway."""
    with open_session(mesh, env) as session:
        model = session.workspace.mesh_model
        assert model is not None
        svc = AccessService(session.registry, model, environment=session.coordinator.target.environment)
        expired = svc.sweep()
    _print_grants(expired, fmt, "Expired")


@access_app.command("sync")
def sync(
    dataproduct: Annotated[str | None, typer.Argument(help="Only this data product.")] = None,
    mesh: MeshOpt = Path(),
    env: EnvOpt = None,
    fmt: FmtOpt = Format.TEXT,
) -> None:
    """Converge PostgreSQL roles, grants, row-level security and masked views to the live grants."""
    with open_session(mesh, env) as session:
        model = session.workspace.mesh_model
        assert model is not None
        svc = AccessService(session.registry, model, environment=session.coordinator.target.environment)
        logs = svc.sync_postgres(dp_ref=dataproduct)
    if fmt is Format.JSON:
        emit_json({"changes": logs})
        return
    for line in logs or ["no PostgreSQL output ports to enforce"]:
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
    out.print(f"Published {result.published} event(s); {result.duplicates} duplicate(s); {result.remaining} left")


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
    model = session.workspace.mesh_model
    assert model is not None
    env = session.coordinator.target.environment
    models = [m for _, m in session.workspace.models()]
    svc = AccessService(session.registry, model, environment=env, extra=models)
    mode = gating_mode(model)
    made: list[Grant] = []
    for dp in models:
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


def _requests_table(title: str, rows: Sequence[AccessRequest]) -> None:
    if not rows:
        out.print(f"{title}: none")
        return
    table = Table(title=title)
    for column in ("id", "state", "requester", "data product", "port", "purpose", "expires", "decided by"):
        table.add_column(column)
    for r in rows:
        style = _STATE_STYLE.get(r.state.value, "")
        table.add_row(
            str(r.id),
            f"[{style}]{r.state.value}[/]" if style else r.state.value,
            escape(r.requester),
            escape(r.dp_id),
            escape(r.port),
            escape(r.purpose),
            f"{r.expires_at:%Y-%m-%d}" if r.expires_at else "",
            escape(r.decided_by or ""),
        )
    out.print(table)


def _grants_table(title: str, grants: Sequence[Grant]) -> None:
    if not grants:
        out.print(f"{title}: none")
        return
    table = Table(title=title)
    for column in ("grant", "request", "state", "principal", "data product", "port", "row filter", "masks", "expires"):
        table.add_column(column)
    for g in grants:
        state = g.state.value if g.live() or g.state.value != "ACTIVE" else "EXPIRED (not swept)"
        table.add_row(
            str(g.id),
            str(g.request_id or ""),
            state,
            escape(g.principal),
            escape(g.dp_id),
            escape(g.port),
            escape(g.row_filter or ""),
            ", ".join(f"{c}={k}" for c, k in g.masks.items()),
            f"{g.expires_at:%Y-%m-%d %H:%M}" if g.expires_at else "",
        )
    out.print(table)


def _print_grant(grant: Grant, fmt: Format, verb: str) -> None:
    _print_grants([grant], fmt, verb, single=True)


def _print_grants(grants: Sequence[Grant], fmt: Format, verb: str, *, single: bool = False) -> None:
    if fmt is Format.JSON:
        data: Any = grants[0].to_dict() if single and grants else [g.to_dict() for g in grants]
        emit_json(data)
        return
    if not grants:
        out.print(f"{verb}: nothing")
    for g in grants:
        extra = f" where {g.row_filter}" if g.row_filter else ""
        masks = f"; masks {', '.join(f'{c}={k}' for c, k in g.masks.items())}" if g.masks else ""
        out.print(
            f"{verb} grant {g.id}: {escape(g.principal)} reads {escape(g.dp_id)}.{escape(g.port)}"
            f"{escape(extra)}{escape(masks)}"
        )
