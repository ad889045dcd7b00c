"""The demo's descriptors are valid and internally consistent: every reference names something real."""

from __future__ import annotations

from collections import Counter

from meshplane.spec.loader import load_dataproduct, load_mesh
from meshplane.spec.model import (
    BoundaryPort,
    DatabaseSource,
    EventsSource,
    FilesSource,
    Kind,
    OutputPort,
    OutputPortSource,
)


def test_layout_and_counts(demo):
    assert demo.data_products == {"billing": 1, "customer": 1, "marketing": 3, "sales": 2, "support": 1}
    assert len(demo.descriptors) == 8
    assert len(demo.sql_files) == 12
    assert demo.readme.read_text().startswith("# ACME")
    assert (demo.root / ".meshplane-demo.json").is_file()


def test_every_file_loads_without_diagnostics(demo):
    """Through the real loader (located diagnostics), not only the models."""
    loaded = load_mesh(demo.mesh_file)
    assert loaded.ok and not loaded.diagnostics, loaded.diagnostics
    for path in demo.descriptors:
        product = load_dataproduct(path)
        assert product.ok and not product.diagnostics, (path, product.diagnostics)


def test_mesh_declares_what_the_brief_asks(mesh):
    assert mesh.name == "acme"
    assert [e.name for e in mesh.environments] == ["dev", "prod"]
    assert [d.name for d in mesh.domains] == ["customer", "sales", "billing", "support", "marketing"]
    for domain in mesh.domains:
        assert domain.owner_group and any(g.name == domain.owner_group and g.members for g in mesh.groups)
    polyseme = mesh.polyseme("customer")
    assert polyseme is not None and polyseme.issued_by == "customer" and polyseme.key_type.value == "string"
    crm, ml = mesh.system("legacy_crm"), mesh.system("ml_platform")
    assert crm is not None and crm.type == "database" and crm.operational
    assert ml is not None and ml.type == "application" and not ml.operational
    assert {"webshop", "billing_system", "helpdesk"} <= {s.name for s in mesh.systems}
    members = {m for g in mesh.groups for m in g.members}
    assert members <= {u.id for u in mesh.users}


def test_owners_domains_and_ids(mesh, products):
    users = {u.id for u in mesh.users}
    for dp in (p.model for p in products.values()):
        domain = mesh.domain(dp.domain)
        assert domain is not None, dp.id
        assert dp.owner in users and dp.owner_group == domain.owner_group
        assert dp.id == f"urn:dmb:dp:{dp.domain}:{dp.name}:{dp.semver.major}"
        assert len(dp.observability) == 1, f"{dp.id} has no observability component"


def test_input_ports_name_existing_output_ports_never_boundary_ports(products):
    for dp in (p.model for p in products.values()):
        for port in dp.input_ports:
            if not isinstance(port.source, OutputPortSource):
                continue
            upstream = products.get(port.source.data_product)
            assert upstream is not None, f"{dp.id}:{port.name} reads unknown {port.source.data_product}"
            target = upstream.model.port(port.source.port)
            assert target is not None, f"{dp.id}:{port.name} reads unknown port {port.source.port}"
            assert isinstance(target, OutputPort) and not isinstance(target, BoundaryPort), (
                f"{dp.id}:{port.name} consumes boundary port {port.source.port}"
            )


def test_source_aligned_products_read_only_external_systems(mesh, products, demo):
    systems = {s.name for s in mesh.systems}
    for dp in (p.model for p in products.values()):
        for port in dp.input_ports:
            src = port.source
            if dp.kind is Kind.SOURCE_ALIGNED:
                assert isinstance(src, DatabaseSource | FilesSource | EventsSource), (dp.id, port.name)
                assert src.system in systems, (dp.id, src.system)
                where = src.url.removeprefix("sqlite:///") if isinstance(src, DatabaseSource) else src.path
                assert (demo.root / where).is_file(), (dp.id, where)
            else:
                assert isinstance(src, OutputPortSource), f"{dp.id} ({dp.kind}) reads an external system"


def test_every_polyseme_is_declared_and_issued_by_the_mdm(mesh, products):
    declared = {p.name for p in mesh.polysemes}
    carriers = Counter()
    for dp in (p.model for p in products.values()):
        for port in [*dp.output_ports, *dp.boundary_ports]:
            for col in port.data_contract.columns:
                if col.polyseme:
                    assert col.polyseme in declared, (dp.id, port.name, col.name)
                    carriers[dp.domain] += 1
    assert set(carriers) == {"customer", "sales", "billing", "marketing"}  # support has no CID, on purpose
    mdm = products["urn:dmb:dp:customer:customer_master:1"].model
    customers = mdm.port("customers")
    assert customers is not None and customers.data_contract.primary_key == ["cid"]
    assert customers.data_contract.column("cid").polyseme == "customer"
    for col in ("first_name", "last_name", "email", "phone"):
        assert customers.data_contract.column(col).classification.value == "pii"


def test_workloads_read_and_write_real_ports(products):
    for product in products.values():
        dp = product.model
        inputs = {p.name for p in dp.input_ports}
        outputs = {p.name for p in [*dp.output_ports, *dp.boundary_ports]}
        read, written = set(), Counter()
        for workload in dp.workloads:
            assert set(workload.reads) <= inputs, dp.id
            assert set(workload.writes) <= outputs, dp.id
            assert set(workload.sql) == set(workload.writes), dp.id
            for ref in workload.sql.values():
                assert ref.startswith("sql/") and (product.folder / ref).is_file(), (dp.id, ref)
            read.update(workload.reads)
            written.update(workload.writes)
        assert read == inputs, f"{dp.id}: input ports nobody reads: {inputs - read}"
        assert written == Counter(outputs), f"{dp.id}: every port written exactly once"


def test_contracts_are_complete_and_refer_to_their_columns(products):
    kinds_seen = set()
    for dp in (p.model for p in products.values()):
        for port in [*dp.output_ports, *dp.boundary_ports]:
            contract = port.data_contract
            names = {c.name for c in contract.columns}
            assert contract.primary_key, (dp.id, port.name)
            assert contract.sla and contract.sla.interval_of_change and contract.sla.timeliness
            assert contract.sla.uptime and contract.terms and contract.terms.usage
            assert all(c.description for c in contract.columns), (dp.id, port.name)
            assert any(e.type == "sql" for e in contract.quality), (dp.id, port.name)
            for exp in contract.quality:
                kinds_seen.add(exp.type)
                cols = getattr(exp, "columns", None) or [getattr(exp, "column", None)]
                assert all(c is None or c in names for c in cols), (dp.id, port.name, exp)
                if exp.type == "freshness":
                    assert exp.severity.value == "warning", "fixed-date demo data must not fail a run"
            if contract.bitemporal:
                assert {contract.bitemporal.valid_from, contract.bitemporal.valid_to} <= names
    assert kinds_seen == {"notNull", "unique", "acceptedValues", "range", "pattern", "rowCount", "freshness", "sql"}


def test_one_bitemporal_port_and_one_boundary_port(products, mesh):
    bitemporal = [
        (dp.model.name, p.name) for dp in products.values() for p in dp.model.output_ports if p.data_contract.bitemporal
    ]
    assert bitemporal == [("customer_master", "customer_addresses")]
    boundary = [(dp.model.name, p) for dp in products.values() for p in dp.model.boundary_ports]
    assert [(name, p.name) for name, p in boundary] == [("churn_features", "churn_features")]
    consumers = boundary[0][1].consumers
    assert consumers == ["ml_platform"]
    assert all(mesh.system(c) is not None and not mesh.system(c).operational for c in consumers)
