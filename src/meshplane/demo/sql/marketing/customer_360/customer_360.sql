-- One profile per customer, correlated across domains by the global customer id (CID).
-- Most sources carry the CID already, because the MDM feeds it back to the operational systems. Two gaps
-- are closed through the MDM's key map: web-shop orders placed before the shop's nightly CID batch, and
-- helpdesk tickets, whose tool only knows its own contact ids.
WITH order_facts AS (
    SELECT
        coalesce(o.cid, k.cid) AS cid,
        count(*) AS orders,
        sum(o.amount) FILTER (WHERE o.status NOT IN ('cancelled', 'returned')) AS revenue,
        min(o.ordered_at) AS first_order_at,
        max(o.ordered_at) AS last_order_at
    FROM orders AS o
    LEFT JOIN customer_keys AS k ON k.system = 'webshop' AND k.local_id = o.account_id
    GROUP BY 1
),
invoice_facts AS (
    SELECT
        cid,
        sum(amount) FILTER (WHERE status IN ('open', 'overdue')) AS open_amount,
        count(*) FILTER (WHERE status = 'overdue') AS overdue_invoices
    FROM invoices
    GROUP BY cid
),
ticket_facts AS (
    SELECT
        k.cid,
        count(*) AS tickets,
        count(*) FILTER (WHERE t.status IN ('open', 'pending')) AS open_tickets,
        avg(t.csat) AS avg_csat
    FROM tickets AS t
    JOIN customer_keys AS k ON k.system = 'helpdesk' AND k.local_id = t.contact_id
    GROUP BY k.cid
),
engagement AS (
    SELECT
        cid,
        count(*) FILTER (WHERE event_type = 'clicked') AS campaign_clicks,
        count(*) FILTER (WHERE event_type = 'converted') AS campaign_conversions,
        bool_or(event_type = 'unsubscribed') AS unsubscribed,
        max(occurred_at) AS last_interaction_at
    FROM interactions
    GROUP BY cid
)
SELECT
    c.cid,
    c.country,
    c.segment,
    c.customer_since,
    o.first_order_at,
    o.last_order_at,
    coalesce(o.orders, 0) AS orders,
    CAST(coalesce(o.revenue, 0) AS DECIMAL(18, 2)) AS revenue,
    CAST(coalesce(i.open_amount, 0) AS DECIMAL(18, 2)) AS open_amount,
    coalesce(i.overdue_invoices, 0) AS overdue_invoices,
    coalesce(t.tickets, 0) AS tickets,
    coalesce(t.open_tickets, 0) AS open_tickets,
    round(t.avg_csat, 2) AS avg_csat,
    coalesce(e.campaign_clicks, 0) AS campaign_clicks,
    coalesce(e.campaign_conversions, 0) AS campaign_conversions,
    coalesce(e.unsubscribed, false) AS unsubscribed,
    e.last_interaction_at,
    CASE
        WHEN coalesce(o.revenue, 0) = 0 THEN 'none'
        WHEN o.revenue < 200 THEN 'low'
        WHEN o.revenue < 1000 THEN 'mid'
        ELSE 'high'
    END AS value_tier
FROM customers AS c
LEFT JOIN order_facts AS o USING (cid)
LEFT JOIN invoice_facts AS i USING (cid)
LEFT JOIN ticket_facts AS t USING (cid)
LEFT JOIN engagement AS e USING (cid)
