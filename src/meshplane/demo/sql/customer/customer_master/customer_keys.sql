-- Every local key the operational systems use for a customer, mapped to the CID of the golden record.
-- Duplicate CRM records (and the helpdesk contacts created for them) map to their survivor's CID.
-- The match rule is the one in customers.sql.
WITH matched AS (
    SELECT
        cust_no,
        webshop_acct,
        billing_acct,
        helpdesk_contact,
        min(cust_no) OVER (
            PARTITION BY coalesce(nullif(lower(trim(email_addr)), ''), 'crm:' || CAST(cust_no AS VARCHAR))
        ) AS survivor
    FROM crm_customer
),
keyed AS (
    SELECT *, 'CID-' || CAST(100000000 + survivor AS VARCHAR) AS cid FROM matched
)
SELECT 'legacy_crm' AS system, CAST(cust_no AS VARCHAR) AS local_id, cid FROM keyed
UNION ALL
SELECT 'webshop', webshop_acct, cid FROM keyed WHERE webshop_acct IS NOT NULL
UNION ALL
SELECT 'billing_system', billing_acct, cid FROM keyed WHERE billing_acct IS NOT NULL
UNION ALL
SELECT 'helpdesk', helpdesk_contact, cid FROM keyed WHERE helpdesk_contact IS NOT NULL
