"""The planted-violations orders table, written with DuckDB SQL of our own."""

from __future__ import annotations

import textwrap

#: One violation per 1,000 rows of each kind, at these offsets (i % 1000).
PLANTED = {"required": 7, "range": 11, "accepted": 13, "pattern": 17, "duplicate": 19}


def orders_sql(rows: int) -> str:
    """An orders table where every 1,000 rows hold one NULL customer, one negative amount, one unknown status,
    one malformed e-mail and one repeated order id."""
    return textwrap.dedent(
        f"""
        SELECT
          'ORD-' || lpad(CAST(CASE WHEN i % 1000 = {PLANTED["duplicate"]} THEN i - 1 ELSE i END AS VARCHAR), 10, '0')
            AS order_id,
          CASE WHEN i % 1000 = {PLANTED["required"]} THEN NULL ELSE 'CUST-' || CAST(i % 977 AS VARCHAR) END
            AS customer_id,
          CAST(CASE WHEN i % 1000 = {PLANTED["range"]} THEN -1 ELSE (i * 37) % 100000 / 100.0 END AS DECIMAL(12,2))
            AS amount,
          CASE WHEN i % 1000 = {PLANTED["accepted"]} THEN 'unknown'
               ELSE (['pending', 'paid', 'shipped', 'cancelled'])[1 + i % 4] END AS status,
          CASE WHEN i % 1000 = {PLANTED["pattern"]} THEN 'not-an-email'
               ELSE 'user' || CAST(i AS VARCHAR) || '@example.com' END AS email,
          TIMESTAMP '2024-01-01 00:00:00' + to_seconds(CAST(i * 61 % 31536000 AS BIGINT)) AS created_at
        FROM range({rows}) t(i)
        """
    )
