-- The golden record: one row per real customer, and the global customer id (CID) the MDM issues.
-- Match rule: records with the same e-mail (trimmed, lower case) are one customer; a record without an
-- e-mail matches only itself. Survivor: the oldest record (lowest legacy number), so a CID, once issued,
-- never changes - re-running this workload re-issues exactly the CIDs fed back to the operational systems.
WITH crm AS (
    SELECT
        cust_no,
        trim(first_nm) AS first_name,
        trim(last_nm) AS last_name,
        nullif(lower(trim(email_addr)), '') AS email,
        '+' || regexp_replace(phone_no, '[^0-9]', '', 'g') AS phone,
        upper(trim(country_cd)) AS country,
        CASE upper(trim(segment_cd))
            WHEN 'B2C' THEN 'consumer' WHEN 'SMB' THEN 'smb' WHEN 'ENT' THEN 'enterprise'
        END AS segment,
        CAST(created_ts AS TIMESTAMP) AS created_at
    FROM crm_customer
),
matched AS (
    SELECT
        *,
        min(cust_no) OVER same_customer AS survivor,
        count(*) OVER same_customer AS records
    FROM crm
    WINDOW same_customer AS (PARTITION BY coalesce(email, 'crm:' || CAST(cust_no AS VARCHAR)))
)
SELECT
    'CID-' || CAST(100000000 + cust_no AS VARCHAR) AS cid,
    CAST(cust_no AS BIGINT) AS legacy_crm_id,
    first_name,
    last_name,
    email,
    phone,
    country,
    segment,
    created_at AS customer_since,
    CAST(records AS BIGINT) AS merged_records
FROM matched
WHERE cust_no = survivor
