-- Campaign interactions; the marketing cloud's subscriber key is the CID.
SELECT
    interaction_id,
    campaign_id,
    cid,
    lower(event_type) AS event_type,
    CAST(occurred_at AS TIMESTAMP) AS occurred_at
FROM mc_interactions
