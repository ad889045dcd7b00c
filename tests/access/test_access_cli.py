"""The CLI as a team would use it on the mini mesh: deploy gating, request, approve with terms, list, revoke,
expire, tokens — and the error a refused step prints."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from meshplane.identity import load_secret

ORDERS = "urn:dmb:dp:sales:orders:1"
CUSTOMERS = "urn:dmb:dp:customer:customers:1"
PURPOSE = "orders are enriched with the golden customer record"


@pytest.fixture
def mesh(mini_mesh: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MESHPLANE_REGISTRY_URL", raising=False)
    monkeypatch.delenv("MESHPLANE_USER", raising=False)
    monkeypatch.setenv("MESHPLANE_DEPLOY_GATING", "cross-domain")
    return mini_mesh


def test_a_cross_domain_input_port_deploys_only_once_granted(cli, mesh: Path):
    assert cli("deploy", "customers", "--mesh", mesh).code == 0
    refused = cli("deploy", "orders", "--mesh", mesh)
    assert refused.code == 1
    assert f"{ORDERS} cannot deploy in dev: no approved grant for its input port(s) `customers`" in refused.err
    assert f"meshplane access request customer.customers.customers --for-product {ORDERS}" in refused.err

    asked = cli("access", "request", "customers.customers", "--for-product", "orders", "--purpose", PURPOSE,
                "--as", "bob", "--mesh", mesh, "-f", "json")  # fmt: skip
    assert asked.code == 0, asked.err
    request_id = json.loads(asked.out)["id"]
    by_bob = cli("access", "approve", str(request_id), "--as", "bob", "--mesh", mesh)
    assert by_bob.code == 1 and "only the owners of" in by_bob.err and "customer-team" in by_bob.err
    queue = json.loads(cli("access", "list", "--pending", "--as", "alice", "--mesh", mesh, "-f", "json").out)
    assert [r["id"] for r in queue["pending"]] == [request_id]
    approved = cli("access", "approve", str(request_id), "--as", "alice", "--mesh", mesh, "-f", "json")
    assert approved.code == 0, approved.err
    assert json.loads(approved.out)["principal"] == ORDERS
    assert cli("deploy", "orders", "--mesh", mesh).code == 0

    assert cli("access", "revoke", str(request_id), "--as", "alice", "--mesh", mesh).code == 0
    again = cli("deploy", "orders", "--mesh", mesh)
    assert again.code == 1 and "no approved grant" in again.err


def test_gating_can_be_turned_off_and_same_domain_reads_are_free(cli, mesh: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MESHPLANE_DEPLOY_GATING", "off")
    assert cli("deploy", "--mesh", mesh).code == 0
    monkeypatch.setenv("MESHPLANE_DEPLOY_GATING", "sometimes")
    bad = cli("deploy", "orders", "--mesh", mesh)
    assert bad.code == 1 and "cross-domain" in bad.err


def test_a_user_grant_with_terms_and_what_it_lets_read(cli, mesh: Path):
    assert cli("deploy", "customers", "--mesh", mesh).code == 0
    asked = cli("access", "request", f"{CUSTOMERS}.customers", "--purpose", "a quarterly customer count",
                "--expires", "30d", "--as", "bob", "--mesh", mesh, "-f", "json")  # fmt: skip
    request_id = str(json.loads(asked.out)["id"])
    bad = cli("access", "approve", request_id, "--filter", "customer_id IN (SELECT 1)", "--as", "alice", "--mesh", mesh)
    assert bad.code == 1 and "IN" in bad.err and "Hint:" in bad.err
    good = cli("access", "approve", request_id, "--filter", "customer_id LIKE 'C-1%'", "--mask", "customer_id=hash",
               "--as", "alice", "--mesh", mesh)  # fmt: skip
    assert good.code == 0, good.err
    assert "Approved grant" in good.out and "customer_id=hash" in good.out
    listed = json.loads(cli("access", "list", "--grants", "--as", "bob", "--mesh", mesh, "-f", "json").out)
    [readable] = [g for g in listed["readable"] if g["dataProduct"] == CUSTOMERS]
    assert readable["rowFilter"] == "\"customer_id\" LIKE 'C-1%'"
    assert readable["masks"] == {"customer_id": "hash", "email": "redact"}
    text = cli("access", "list", "--as", "bob", "--mesh", mesh)
    assert text.code == 0 and "Requests of bob" in text.out


def test_deny_needs_a_reason_and_sweep_and_migrate_report(cli, mesh: Path):
    assert cli("deploy", "customers", "--mesh", mesh).code == 0
    asked = cli("access", "request", "customers.customers", "--purpose", "a quarterly customer count",
                "--as", "bob", "--mesh", mesh, "-f", "json")  # fmt: skip
    request_id = str(json.loads(asked.out)["id"])
    assert cli("access", "deny", request_id, "--as", "alice", "--mesh", mesh).code == 2  # --reason is required
    denied = cli("access", "deny", request_id, "--reason", "use the aggregate", "--as", "alice", "--mesh", mesh)
    assert denied.code == 0 and "Denied request" in denied.out
    assert json.loads(cli("access", "sweep", "--mesh", mesh, "-f", "json").out) == []
    assert "No grants to migrate" in cli("access", "migrate", "customers", "--as", "alice", "--mesh", mesh).out


def test_the_cli_user_must_be_a_mesh_user(cli, mesh: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("getpass.getuser", lambda: "nobody-here")
    result = cli("access", "list", "--mesh", mesh)
    assert result.code == 1 and "--as USER" in result.err and "MESHPLANE_USER" in result.err
    monkeypatch.setenv("MESHPLANE_USER", "alice")
    assert cli("access", "list", "--mesh", mesh).code == 0


def test_token_issue_prints_a_token_the_api_accepts(cli, mesh: Path):
    result = cli("token", "issue", "alice", "--ttl", "1h", "--mesh", mesh)
    assert result.code == 0, result.err
    claims = jwt.decode(result.out.strip(), load_secret(mesh), algorithms=["HS256"], audience="meshplane")
    assert claims["sub"] == "alice" and claims["groups"] == ["customer-team"] and claims["iss"] == "meshplane:mini"
    assert cli("token", "issue", "mallory", "--mesh", mesh).code == 1


def test_ports_are_named_as_in_queries_and_listings_fit_80_columns(cli, mesh: Path, monkeypatch: pytest.MonkeyPatch):
    from meshplane.cli import console

    assert cli("deploy", "customers", "--mesh", mesh).code == 0
    purpose = "a quarterly count of customers per region, for the board's growth review"
    asked = cli("access", "request", "customer.customers.customers", "--purpose", purpose, "--expires", "30d",
                "--as", "bob", "--mesh", mesh)  # fmt: skip
    assert asked.code == 0, asked.err
    assert asked.out.startswith("Request 1 on customer.customers.customers until 20") and "PENDING" in asked.out
    again = cli("access", "request", '"Customer"/Customers.customers', "--purpose", purpose, "--as", "bob",
                "--mesh", mesh)  # fmt: skip
    assert again.code == 1 and "already has request 1 pending" in again.err
    typo = cli("access", "request", "customer.custmers.customers", "--purpose", purpose, "--as", "bob", "--mesh", mesh)
    assert typo.code == 1 and "did you mean customer.customers.customers?" in typo.err

    monkeypatch.setattr(console.out, "_width", 80)  # a classic terminal, whatever COLUMNS said
    approved = cli("access", "approve", "1", "--filter", "customer_id LIKE 'C-1%'", "--mask", "customer_id=hash",
                   "--as", "alice", "--mesh", mesh)  # fmt: skip
    assert approved.code == 0, approved.err
    assert approved.out.startswith(
        "Approved grant 1 (request 1): bob reads customer.customers.customers where \"customer_id\" LIKE 'C-1%'; "
        "masked customer_id=hash, email=redact; until 20"
    )
    for args in (["--as", "bob"], ["--grants", "--as", "bob"], ["--grants", "--as", "alice"]):
        listed = cli("access", "list", *args, "--mesh", mesh)
        assert listed.code == 0, listed.err
        assert max(len(line) for line in listed.out.splitlines()) <= 80, listed.out
        assert "urn:dmb" not in listed.out and "customer/customers" in listed.out
    mine = cli("access", "list", "--mine", "--as", "bob", "--mesh", mesh).out
    [row] = [line for line in mine.splitlines() if line.startswith("1 ")]
    assert "APPROVED" in row and "a quarterly count of c…" in row  # cut, not wrapped
    full = json.loads(cli("access", "list", "--as", "bob", "--mesh", mesh, "-f", "json").out)
    assert full["mine"][0]["dataProduct"] == CUSTOMERS and full["mine"][0]["purpose"] == purpose

    revoked = cli("access", "revoke", "1", "--as", "bob", "--mesh", mesh)
    assert revoked.out == "Revoked grant 1 (request 1): bob no longer reads customer.customers.customers\n"


def test_warnings_follow_the_output_on_stderr(cli, mesh: Path, monkeypatch: pytest.MonkeyPatch):
    """A decision PostgreSQL could not apply yet is still printed (as JSON, intact), then warned about."""
    from meshplane.access import AccessService

    def unreachable(self: AccessService, grants: object) -> None:
        self.warnings.append("customer/customers in dev: PostgreSQL not updated: server down")

    assert cli("deploy", "customers", "--mesh", mesh).code == 0
    asked = cli("access", "request", "customers.customers", "--purpose", PURPOSE, "--as", "bob", "--mesh", mesh)
    assert asked.code == 0, asked.err
    monkeypatch.setattr(AccessService, "_enforce", unreachable)
    approved = cli("access", "approve", "1", "--as", "alice", "--mesh", mesh, "-f", "json")
    assert approved.code == 0 and json.loads(approved.out)["state"] == "ACTIVE"
    assert approved.err.startswith("warning: customer/customers in dev: PostgreSQL not updated")
