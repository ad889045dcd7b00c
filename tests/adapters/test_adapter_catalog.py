"""Choosing adapters: by name, by kind, and through entry points (a real plugin on ``sys.path``)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from meshplane.adapters import catalog
from meshplane.adapters.base import TechAdapter
from meshplane.adapters.catalog import BUILTINS, adapter_for, available, get_adapter
from meshplane.adapters.delta import DeltaStorageAdapter
from meshplane.adapters.postgres import PostgresAdapter
from meshplane.adapters.registry_only import RegistryOnlyAdapter
from meshplane.errors import InvalidInputError, MeshplaneError, NotFoundError, UnsupportedError
from meshplane.spec.model import InputPort, OutputPort, StorageArea, Workload


def port(**kw: object) -> OutputPort:
    return OutputPort.model_validate({"name": "p", "dataContract": {"columns": []}, **kw})


@pytest.fixture(autouse=True)
def fresh_catalog() -> Iterator[None]:
    catalog.clear_cache()
    yield
    catalog.clear_cache()


def test_builtins_load_like_plugins_and_implement_the_protocol():
    assert set(BUILTINS) <= set(available())
    for name, cls in [
        ("delta", DeltaStorageAdapter),
        ("postgres", PostgresAdapter),
        ("meshplane", RegistryOnlyAdapter),
    ]:
        adapter = get_adapter(name)
        assert isinstance(adapter, cls) and isinstance(adapter, TechAdapter)
        assert adapter.name == name
        assert get_adapter(name) is adapter, "one shared instance"


def test_kind_decides_when_the_component_names_no_adapter():
    assert adapter_for(port()).name == "delta"
    assert adapter_for(StorageArea(name="s")).name == "meshplane"
    assert adapter_for(Workload(name="w", writes=["p"])).name == "meshplane"
    source = {"type": "database", "system": "s", "url": "sqlite:///x.db", "table": "t"}
    assert adapter_for(InputPort.model_validate({"name": "i", "source": source})).name == "meshplane"


def test_infrastructure_template_id_then_platform_choose():
    assert adapter_for(port(infrastructureTemplateId="postgres")).name == "postgres"
    assert adapter_for(port(infrastructureTemplateId="urn:dmb:itm:Postgres:1")).name == "postgres"
    assert adapter_for(port(platform="postgres")).name == "postgres"
    assert adapter_for(port(infrastructureTemplateId="delta", platform="postgres")).name == "delta"


def test_a_typo_suggests_the_right_name():
    with pytest.raises(NotFoundError) as caught:
        adapter_for(port(infrastructureTemplateId="postgress"))
    assert "component `p`: infrastructureTemplateId: no tech adapter named `postgress`" in caught.value.message
    assert caught.value.hint == "did you mean `postgres`?"
    with pytest.raises(NotFoundError) as unknown:
        get_adapter("snowflake")
    assert "installed adapters: delta, meshplane, postgres" in str(unknown.value.hint)


def test_an_adapter_for_another_kind_is_refused():
    with pytest.raises(InvalidInputError, match="the `postgres` adapter provisions boundaryPort, outputPort, not"):
        adapter_for(StorageArea(name="s", infrastructureTemplateId="postgres"))


def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str, body: str) -> None:
    """A real installed distribution: a module and a dist-info with entry points, on ``sys.path``."""
    (tmp_path / "mp_fake_plugin.py").write_text(textwrap.dedent(body))
    info = tmp_path / "mp_fake_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mp-fake-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[meshplane.tech_adapters]\n{entry}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "mp_fake_plugin", raising=False)


PLUGIN = """
    from meshplane.adapters.registry_only import RegistryOnlyAdapter

    class Fake(RegistryOnlyAdapter):
        name = "fake"
        kinds = frozenset({"storageArea"})

    class Liar(RegistryOnlyAdapter):
        name = "honest"
"""


def test_a_plugin_registers_through_the_entry_point_group(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "fake = mp_fake_plugin:Fake", PLUGIN)
    assert "fake" in available()
    assert adapter_for(StorageArea(name="s", platform="fake")).name == "fake"


def test_a_plugin_may_not_take_a_builtin_name(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "delta = mp_fake_plugin:Fake", PLUGIN)
    with pytest.warns(UserWarning, match="belongs to a built-in"):
        assert available()["delta"].value == BUILTINS["delta"]


def test_a_plugin_whose_adapter_names_itself_otherwise_is_refused(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "liar = mp_fake_plugin:Liar", PLUGIN)
    with pytest.raises(MeshplaneError, match="calls itself `honest`"):
        get_adapter("liar")


def test_a_missing_driver_names_the_extra_to_install(monkeypatch):
    # what `import psycopg` does when the extra is not installed
    monkeypatch.setitem(sys.modules, "psycopg", None)
    for module in ("meshplane.adapters.postgres", "meshplane.adapters.pg_common"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(UnsupportedError) as caught:
        get_adapter("postgres")
    assert caught.value.hint == "pip install 'psycopg[binary]>=3.2'"
