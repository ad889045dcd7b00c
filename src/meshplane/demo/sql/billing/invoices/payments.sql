-- The payment provider's CSV knows invoice numbers only; the CID comes from the invoice, inside this
-- data product. A payment for an unknown invoice is dropped here rather than published without a CID.
SELECT
    p.payment_id,
    p.invoice_id,
    i.cid,
    CAST(p.paid_at AS TIMESTAMP) AS paid_at,
    CAST(p.amount AS DECIMAL(12, 2)) AS amount,
    lower(p.method) AS method
FROM billing_payments AS p
JOIN billing_invoices AS i USING (invoice_id)
