-- The billing system's invoice export, typed. Billing accounts carry the CID, so every invoice does.
SELECT
    invoice_id,
    billing_account_no,
    cid,
    order_id,
    CAST(issued_at AS TIMESTAMP) AS issued_at,
    CAST(due_date AS DATE) AS due_date,
    CAST(amount AS DECIMAL(12, 2)) AS amount,
    upper(currency) AS currency,
    lower(status) AS status
FROM billing_invoices
