"""The directory (users and groups of mesh.yaml) and which user the CLI acts as."""

from __future__ import annotations

import pytest
from identity_kit import small_mesh

from meshplane.errors import AuthenticationError, NotFoundError
from meshplane.identity import USER_ENV, Directory, Identity, resolve_cli_identity


def test_identity_carries_the_groups_of_mesh_yaml():
    directory = Directory(small_mesh())
    assert directory.identity("tom") == Identity("tom", frozenset({"analysts"}))
    assert directory.identity("jonas", data_product="urn:dmb:dp:sales:orders:1").principals == {
        "jonas",
        "sales-team",
        "urn:dmb:dp:sales:orders:1",
    }


def test_unknown_user_is_an_authentication_error_with_a_suggestion():
    with pytest.raises(AuthenticationError) as err:
        Directory(small_mesh()).identity("jonsa")
    assert "jonas" in (err.value.hint or "")


def test_ownership_is_the_product_owner_or_the_domain_owner_group():
    directory = Directory(small_mesh())
    jonas, tom = directory.identity("jonas"), directory.identity("tom")
    assert directory.is_owner(jonas, domain="sales", owner="someone-else")
    assert not directory.is_owner(tom, domain="sales", owner="jonas")
    assert directory.is_owner(tom, domain="sales", owner="tom")
    assert directory.is_owner(tom, domain="sales", owner="x", owner_group="analysts")


def test_principals_are_users_or_groups():
    directory = Directory(small_mesh())
    assert directory.require_principal("analysts") == "analysts"
    with pytest.raises(NotFoundError, match="analyst"):
        directory.require_principal("analyst")


def test_cli_user_prefers_as_then_env_then_login():
    directory = Directory(small_mesh())
    env = {USER_ENV: "sam"}
    assert resolve_cli_identity(directory, "tom", env=env, os_user="ann").user == "tom"
    assert resolve_cli_identity(directory, None, env=env, os_user="ann").user == "sam"
    assert resolve_cli_identity(directory, None, env={}, os_user="ann").user == "ann"


def test_cli_user_refuses_an_unknown_login_with_a_way_out():
    with pytest.raises(AuthenticationError) as err:
        resolve_cli_identity(Directory(small_mesh()), None, env={}, os_user="root")
    assert "--as USER" in (err.value.hint or "") and USER_ENV in (err.value.hint or "")
    with pytest.raises(AuthenticationError, match="not a user"):
        resolve_cli_identity(Directory(small_mesh()), None, env={USER_ENV: "root"}, os_user="ann")
