-- The marketing cloud's campaign list, typed.
SELECT
    campaign_id,
    name,
    lower(channel) AS channel,
    CAST(starts_on AS DATE) AS starts_on,
    CAST(ends_on AS DATE) AS ends_on,
    CAST(budget AS DECIMAL(12, 2)) AS budget
FROM mc_campaigns
