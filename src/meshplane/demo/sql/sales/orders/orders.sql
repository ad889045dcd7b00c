-- The web shop's order export, typed. The CID is whatever the shop's nightly CID batch stamped; orders
-- placed since then have none yet and keep it empty rather than guessing.
SELECT
    order_id,
    account_id,
    cid,
    CAST(ordered_at AS TIMESTAMP) AS ordered_at,
    lower(status) AS status,
    CAST(items AS BIGINT) AS items,
    CAST(amount AS DECIMAL(12, 2)) AS amount,
    upper(currency) AS currency,
    channel,
    payment_method,
    upper(ship_country) AS ship_country
FROM webshop_orders
