-- Address history per customer. Valid time (valid_from, valid_to) comes from the CRM; valid_to is empty
-- for the current address. Addresses recorded on a duplicate CRM record belong to the survivor's CID.
WITH survivors AS (
    SELECT
        cust_no,
        min(cust_no) OVER (
            PARTITION BY coalesce(nullif(lower(trim(email_addr)), ''), 'crm:' || CAST(cust_no AS VARCHAR))
        ) AS survivor
    FROM crm_customer
)
SELECT
    CAST(a.addr_no AS BIGINT) AS address_id,
    'CID-' || CAST(100000000 + s.survivor AS VARCHAR) AS cid,
    trim(a.street) AS street,
    trim(a.postcode) AS postcode,
    trim(a.city) AS city,
    upper(trim(a.country_cd)) AS country,
    CAST(a.valid_from AS DATE) AS valid_from,
    CAST(a.valid_to AS DATE) AS valid_to
FROM crm_address AS a
JOIN survivors AS s USING (cust_no)
