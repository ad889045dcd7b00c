-- Orders and revenue per day and shipping country. Revenue leaves out cancelled and returned orders.
SELECT
    CAST(ordered_at AS DATE) AS order_date,
    ship_country,
    currency,
    count(*) AS orders,
    count(*) FILTER (WHERE status = 'cancelled') AS cancelled_orders,
    count(DISTINCT account_id) AS customers,
    CAST(coalesce(sum(items) FILTER (WHERE status <> 'cancelled'), 0) AS BIGINT) AS items,
    CAST(coalesce(sum(amount) FILTER (WHERE status NOT IN ('cancelled', 'returned')), 0) AS DECIMAL(18, 2))
        AS revenue
FROM orders
GROUP BY ALL
