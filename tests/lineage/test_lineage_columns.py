"""Column lineage from SQL: every SQL workload of the demo mesh, and the SQL shapes workloads are made of."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot import exp
from sqlglot.lineage import lineage as sqlglot_lineage

from meshplane.lineage.columns import ColumnLineage, Subtype, Transformation, column_lineage

DEMO_PORTS = [
    "campaign_interactions.campaigns",
    "campaign_interactions.interactions",
    "churn_features.churn_features",
    "customer_360.customer_360",
    "customer_master.customer_addresses",
    "customer_master.customer_keys",
    "customer_master.customers",
    "daily_revenue.daily_revenue",
    "invoices.invoices",
    "invoices.payments",
    "orders.orders",
    "tickets.tickets",
]

ORDERS = ["order_id", "cid", "account_id", "amount", "status", "ordered_at"]
CUSTOMERS = ["cid", "Name", "email", "country"]
SCHEMAS = {"orders": ORDERS, "customers": CUSTOMERS}


def kinds(result: ColumnLineage, column: str) -> dict[tuple[str, str], set[Subtype]]:
    return {(f.relation, f.column): {t.subtype for t in f.transformations} for f in result.fields[column]}


def dataset(result: ColumnLineage) -> dict[tuple[str, str], set[Subtype]]:
    return {(f.relation, f.column): {t.subtype for t in f.transformations} for f in result.dataset}


# -- the demo mesh -----------------------------------------------------------------------------------


def test_every_demo_sql_file_is_covered(workloads):
    assert sorted(workloads) == DEMO_PORTS


@pytest.mark.parametrize("port", DEMO_PORTS)
def test_demo_sql_lineage_is_complete_and_matches_the_contract(workloads, port):
    w = workloads[port]
    result = column_lineage(w.sql, w.inputs)
    assert result.problems == []
    contract = w.dp.port(w.port).data_contract
    assert list(result) == [c.name for c in contract.columns]  # every output column, in order
    for column, pairs in result.items():
        for relation, name in pairs:
            assert name in w.inputs[relation], f"{column} <- {relation}.{name} is not an input column"


@pytest.mark.parametrize("port", DEMO_PORTS)
def test_demo_sources_agree_with_sqlglot_lineage(workloads, port):
    """Cross-check the walk against sqlglot's own lineage: the same source columns per output column —
    except columns of a named WINDOW clause, which sqlglot's lineage does not follow and ours does."""
    w = workloads[port]
    ours = column_lineage(w.sql, w.inputs)
    schema = {r: dict.fromkeys(cols, "UNKNOWN") for r, cols in w.inputs.items()}
    for column, node in sqlglot_lineage(None, w.sql, schema, dialect="duckdb").items():
        theirs = {
            (n.expression.name, n.name.split(".")[-1]) for n in node.walk() if isinstance(n.expression, exp.Table)
        }
        extra = set(ours[column]) - theirs
        assert theirs <= set(ours[column]), column
        if extra:
            assert "WINDOW same_customer" in w.sql and column == "merged_records", (column, extra)


def test_customer_360(workloads):
    w = workloads["customer_360.customer_360"]
    result = column_lineage(w.sql, w.inputs)
    assert result["cid"] == [("customers", "cid")]
    assert result.kind("cid") is Subtype.IDENTITY
    assert kinds(result, "revenue") == {
        ("orders", "amount"): {Subtype.AGGREGATION},
        ("orders", "status"): {Subtype.FILTER},  # sum(...) FILTER (WHERE status ...)
    }
    assert kinds(result, "value_tier") == {
        ("orders", "amount"): {Subtype.CONDITIONAL},
        ("orders", "status"): {Subtype.CONDITIONAL},
    }
    assert result.kind("value_tier") is None  # only literals are copied out of the CASE
    assert result["orders"] == [] and result["tickets"] == []  # count(*)
    assert kinds(result, "avg_csat") == {("tickets", "csat"): {Subtype.AGGREGATION}}
    assert kinds(result, "last_interaction_at") == {("interactions", "occurred_at"): {Subtype.AGGREGATION}}
    shaping = dataset(result)
    assert shaping[("customer_keys", "local_id")] == {Subtype.JOIN}
    assert shaping[("tickets", "contact_id")] == {Subtype.JOIN}
    assert shaping[("orders", "cid")] == {Subtype.GROUP_BY, Subtype.JOIN}  # GROUP BY 1 = coalesce(o.cid, k.cid)


def test_customer_master(workloads):
    customers = workloads["customer_master.customers"]
    result = column_lineage(customers.sql, customers.inputs)
    assert kinds(result, "cid") == {("crm_customer", "cust_no"): {Subtype.TRANSFORMATION}}
    assert kinds(result, "segment") == {("crm_customer", "segment_cd"): {Subtype.CONDITIONAL}}  # CASE x WHEN
    # count(*) OVER same_customer: the named window partitions by e-mail (and falls back to the record number)
    assert kinds(result, "merged_records") == {
        ("crm_customer", "cust_no"): {Subtype.WINDOW},
        ("crm_customer", "email_addr"): {Subtype.WINDOW},
    }
    assert ("crm_customer", "cust_no") in dataset(result)  # WHERE cust_no = survivor

    keys = workloads["customer_master.customer_keys"]
    result = column_lineage(keys.sql, keys.inputs)
    assert result["system"] == []  # literals in every branch of the UNION ALL
    assert kinds(result, "local_id") == {
        ("crm_customer", "cust_no"): {Subtype.TRANSFORMATION},  # CAST in the first branch
        ("crm_customer", "webshop_acct"): {Subtype.IDENTITY},
        ("crm_customer", "billing_acct"): {Subtype.IDENTITY},
        ("crm_customer", "helpdesk_contact"): {Subtype.IDENTITY},
    }
    assert kinds(result, "cid")[("crm_customer", "cust_no")] == {Subtype.AGGREGATION, Subtype.WINDOW}


def test_source_aligned_products(workloads):
    payments = workloads["invoices.payments"]
    result = column_lineage(payments.sql, payments.inputs)
    assert result["cid"] == [("billing_invoices", "cid")]  # the CID comes from the invoice, through the join
    assert dataset(result) == {
        ("billing_invoices", "invoice_id"): {Subtype.JOIN},  # USING (invoice_id)
        ("billing_payments", "invoice_id"): {Subtype.JOIN},
    }
    orders = workloads["orders.orders"]
    result = column_lineage(orders.sql, orders.inputs)
    assert result.kind("order_id") is Subtype.IDENTITY
    assert result.kind("amount") is Subtype.TRANSFORMATION  # CAST(amount AS DECIMAL(12, 2))


def test_aggregate_and_consumer_aligned_products(workloads):
    daily = workloads["daily_revenue.daily_revenue"]
    result = column_lineage(daily.sql, daily.inputs)
    assert kinds(result, "items") == {
        ("orders", "items"): {Subtype.AGGREGATION},
        ("orders", "status"): {Subtype.FILTER},
    }
    assert kinds(result, "customers") == {("orders", "account_id"): {Subtype.AGGREGATION}}  # count(DISTINCT …)
    assert dataset(result) == {  # GROUP BY ALL: the non-aggregated selections
        ("orders", "ordered_at"): {Subtype.GROUP_BY},
        ("orders", "ship_country"): {Subtype.GROUP_BY},
        ("orders", "currency"): {Subtype.GROUP_BY},
    }
    churn = workloads["churn_features.churn_features"]
    result = column_lineage(churn.sql, churn.inputs)
    assert result["cid"] == [("customer_360", "cid")] and result.kind("cid") is Subtype.IDENTITY
    assert kinds(result, "as_of") == {("customer_360", "last_order_at"): {Subtype.AGGREGATION}}  # max() in a CTE
    assert kinds(result, "avg_order_value")[("customer_360", "orders")] == {Subtype.CONDITIONAL, Subtype.TRANSFORMATION}


# -- SQL shapes ------------------------------------------------------------------------------------------


def test_select_star_expands_against_the_schemas():
    result = column_lineage("SELECT * FROM orders", SCHEMAS)
    assert list(result) == ORDERS
    assert all(result.kind(c) is Subtype.IDENTITY for c in ORDERS)


def test_star_with_using_join_and_original_spelling():
    result = column_lineage("SELECT * FROM orders JOIN customers USING (cid)", SCHEMAS)
    assert result["cid"] == [("customers", "cid"), ("orders", "cid")]
    assert result.kind("cid") is Subtype.IDENTITY  # USING: coalesce of the two key columns, copied as is
    assert result["Name"] == [("customers", "Name")]  # DuckDB keeps the column's spelling
    assert dataset(result) == {("customers", "cid"): {Subtype.JOIN}, ("orders", "cid"): {Subtype.JOIN}}


def test_aliases_join_on_filter_and_sort():
    sql = (
        "SELECT o.order_id AS id, upper(c.name) AS customer FROM orders AS o "
        "JOIN customers AS c ON o.cid = c.cid WHERE c.country = 'DE' ORDER BY o.ordered_at"
    )
    result = column_lineage(sql, SCHEMAS)
    assert result["id"] == [("orders", "order_id")] and result.kind("id") is Subtype.IDENTITY
    assert result["customer"] == [("customers", "Name")] and result.kind("customer") is Subtype.TRANSFORMATION
    assert dataset(result) == {
        ("customers", "cid"): {Subtype.JOIN},
        ("orders", "cid"): {Subtype.JOIN},
        ("customers", "country"): {Subtype.FILTER},
        ("orders", "ordered_at"): {Subtype.SORT},
    }


def test_cte_subquery_and_positional_group_by():
    sql = """
        WITH totals AS (SELECT cid, sum(amount) AS total FROM orders GROUP BY 1 HAVING total > 10)
        SELECT t.cid, t.total, (SELECT max(o.amount) FROM orders o WHERE o.cid = t.cid) AS biggest
        FROM (SELECT * FROM totals) AS t ORDER BY 2 DESC
    """
    result = column_lineage(sql, SCHEMAS)
    assert result.problems == []
    assert kinds(result, "cid") == {("orders", "cid"): {Subtype.IDENTITY}}
    assert kinds(result, "total") == {("orders", "amount"): {Subtype.AGGREGATION}}
    assert kinds(result, "biggest") == {("orders", "amount"): {Subtype.AGGREGATION}}  # scalar subquery
    shaping = dataset(result)
    assert shaping[("orders", "cid")] >= {Subtype.GROUP_BY, Subtype.FILTER}  # GROUP BY 1; correlated WHERE
    assert Subtype.FILTER in shaping[("orders", "amount")]  # HAVING total > 10


def test_window_functions():
    sql = """
        SELECT cid,
               row_number() OVER (PARTITION BY cid ORDER BY ordered_at) AS rn,
               lag(amount) OVER (PARTITION BY cid ORDER BY ordered_at) AS previous,
               sum(amount) OVER (PARTITION BY cid) AS running
        FROM orders QUALIFY rn = 1
    """
    result = column_lineage(sql, SCHEMAS)
    assert kinds(result, "rn") == {("orders", "cid"): {Subtype.WINDOW}, ("orders", "ordered_at"): {Subtype.WINDOW}}
    assert kinds(result, "previous")[("orders", "amount")] == {Subtype.TRANSFORMATION}  # a value of another row
    assert kinds(result, "running")[("orders", "amount")] == {Subtype.AGGREGATION}
    assert dataset(result) == {("orders", "cid"): {Subtype.FILTER}, ("orders", "ordered_at"): {Subtype.FILTER}}


def test_union_case_and_masking():
    sql = """
        SELECT cid, CASE WHEN status = 'paid' THEN amount ELSE 0 END AS paid FROM orders
        UNION ALL
        SELECT cid, NULL FROM customers
    """
    result = column_lineage(sql, SCHEMAS)
    assert result["cid"] == [("customers", "cid"), ("orders", "cid")]
    assert kinds(result, "paid") == {
        ("orders", "amount"): {Subtype.TRANSFORMATION},
        ("orders", "status"): {Subtype.CONDITIONAL},
    }
    masked = column_lineage("SELECT md5(email) AS email_hash FROM customers", SCHEMAS)
    assert masked.fields["email_hash"][0].transformations == (Transformation(Subtype.TRANSFORMATION, masking=True),)


def test_in_subquery_filters_rows():
    result = column_lineage(
        "SELECT cid FROM customers WHERE cid IN (SELECT cid FROM orders WHERE status = 'paid')", SCHEMAS
    )
    assert result["cid"] == [("customers", "cid")]
    assert dataset(result) == {
        ("customers", "cid"): {Subtype.FILTER},
        ("orders", "cid"): {Subtype.FILTER},
        ("orders", "status"): {Subtype.FILTER},
    }


def test_create_table_as_select_is_read_as_its_query():
    assert column_lineage("CREATE TABLE x AS SELECT cid FROM customers", SCHEMAS)["cid"] == [("customers", "cid")]


# -- what cannot be derived ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("SELECT FROM WHERE", "does not parse at line 1"),
        ("SELECT 1; SELECT 2", "2 statements"),
        ("DELETE FROM orders", "DELETE statement, not a query"),
        ("", "empty"),
    ],
)
def test_not_derivable_says_why(sql, reason):
    result = column_lineage(sql, SCHEMAS)
    assert dict(result) == {} and not result.complete
    assert any(reason in p for p in result.problems), result.problems


def test_partial_lineage_is_returned_with_the_gaps_named():
    result = column_lineage("SELECT o.cid, x.y, z FROM orders o JOIN elsewhere x ON o.cid = x.cid, third", SCHEMAS)
    assert result["cid"] == [("orders", "cid")]
    assert result["y"] == [("elsewhere", "y")]
    assert result["z"] == []
    assert any("elsewhere is read but is not one of the inputs" in p for p in result.problems)
    assert any("column z could not be attributed" in p for p in result.problems)


def test_unknown_columns_of_a_known_schema_are_reported():
    result = column_lineage("SELECT nonexistent FROM orders", SCHEMAS)
    assert result["nonexistent"] == [("orders", "nonexistent")]
    assert result.problems == ["orders.nonexistent is not in the schema given for orders"]


def test_unknown_schema_still_traces_single_relation_queries():
    result = column_lineage("SELECT a, b + 1 AS c FROM src", {"src": []})
    assert result == {"a": [("src", "a")], "c": [("src", "b")]} and result.complete
    through_star = column_lineage("WITH s AS (SELECT * FROM src) SELECT a FROM s", {"src": []})
    assert through_star == {"a": [("src", "a")]} and through_star.kind("a") is Subtype.IDENTITY


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("SELECT FROM WHERE JOIN ON()*,.;'\"abc123=<>-+/ \n")), max_size=60))
def test_never_raises(sql):
    result = column_lineage(sql, SCHEMAS)
    assert isinstance(result, ColumnLineage)
    assert all(isinstance(r, str) and isinstance(c, str) for pairs in result.values() for r, c in pairs)
