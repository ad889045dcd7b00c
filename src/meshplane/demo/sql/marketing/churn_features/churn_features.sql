-- Features and label for the ML platform's churn model. "Today" is the day after the latest order in the
-- profiles, not the wall clock, so re-running on the same inputs gives the same features.
WITH as_of AS (
    SELECT CAST(max(last_order_at) AS DATE) + 1 AS day FROM customer_360
)
SELECT
    c.cid,
    a.day AS as_of,
    date_diff('day', CAST(c.customer_since AS DATE), a.day) AS tenure_days,
    date_diff('day', CAST(c.last_order_at AS DATE), a.day) AS days_since_last_order,
    c.orders,
    c.revenue,
    c.open_amount,
    c.overdue_invoices,
    c.tickets,
    c.open_tickets,
    c.avg_csat,
    c.campaign_clicks,
    c.campaign_conversions,
    c.unsubscribed,
    CASE WHEN c.orders > 0 THEN round(CAST(c.revenue AS DOUBLE) / c.orders, 2) END AS avg_order_value,
    coalesce(date_diff('day', CAST(c.last_order_at AS DATE), a.day) > 180, true) AS churned
FROM customer_360 AS c
CROSS JOIN as_of AS a
