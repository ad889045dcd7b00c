-- The helpdesk's ticket export, typed, with resolution time. No CID: the helpdesk cannot store it.
SELECT
    ticket_id,
    contact_id,
    CAST(opened_at AS TIMESTAMP) AS opened_at,
    CAST(closed_at AS TIMESTAMP) AS closed_at,
    lower(status) AS status,
    lower(priority) AS priority,
    lower(channel) AS channel,
    lower(category) AS category,
    CAST(csat AS BIGINT) AS csat,
    round(date_diff('minute', CAST(opened_at AS TIMESTAMP), CAST(closed_at AS TIMESTAMP)) / 60.0, 1)
        AS resolution_hours
FROM helpdesk_tickets
