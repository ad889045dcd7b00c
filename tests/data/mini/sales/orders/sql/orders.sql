SELECT o.order_id, c.customer_id, CAST(o.amount AS DECIMAL(12, 2)) AS amount, o.status
FROM raw_orders AS o
JOIN customers AS c USING (customer_id)
