"""The marketing domain's source: campaigns and customer interactions from the marketing cloud.

The marketing cloud's subscriber key *is* the CID (the MDM provisions subscribers), so interactions carry
it from the start: the seed article's "approach 3" in its purest form.
"""

from __future__ import annotations

from meshplane.demo import kit, layout
from meshplane.demo.kit import Data, column

EVENT_TYPES = ["sent", "opened", "clicked", "converted", "unsubscribed"]
CHANNELS = ["email", "sms", "social", "display"]


def _campaigns() -> Data:
    return kit.output_port(
        "campaigns",
        "Marketing campaigns, one row per campaign.",
        [
            column("campaign_id", "string", "The campaign code (CMP-<year>-<month>).", primary_key=True),
            column("name", "string", "Campaign name.", required=True),
            column("channel", "string", "Where the campaign runs.", required=True),
            column("starts_on", "date", "First day.", required=True),
            column("ends_on", "date", "Last day.", required=True),
            column("budget", "decimal", "Budget in EUR.", required=True),
        ],
        [
            kit.not_null("campaign_id"),
            kit.unique("campaign_id"),
            kit.pattern("campaign_id", r"^CMP-[0-9]{4}-[0-9]{2}$"),
            kit.accepted("channel", CHANNELS),
            kit.in_range("budget", 0, 1000000),
            kit.row_count(1),
            kit.custom_sql(
                "ends_after_start",
                "A campaign ends after it starts.",
                "SELECT count(*) FROM campaigns WHERE ends_on < starts_on",
            ),
        ],
        kit.sla("24h", "2h", "99%"),
        kit.terms("Campaign reporting and attribution."),
    )


def _interactions() -> Data:
    return kit.output_port(
        "interactions",
        "What customers did with campaigns: sends, opens, clicks, conversions, unsubscribes.",
        [
            column("interaction_id", "string", "The marketing cloud's event id.", primary_key=True),
            column("campaign_id", "string", "The campaign.", required=True),
            kit.cid("The customer, by the global customer id the marketing cloud uses as subscriber key."),
            column("event_type", "string", "What happened.", required=True),
            column("occurred_at", "timestamp", "When it happened.", required=True),
        ],
        [
            kit.not_null("interaction_id"),
            kit.unique("interaction_id"),
            kit.not_null("cid"),
            kit.accepted("event_type", EVENT_TYPES),
            kit.row_count(1),
            kit.freshness("occurred_at", "1 days"),
            kit.custom_sql(
                "no_events_before_2022",
                "The marketing cloud went live in January 2022.",
                "SELECT count(*) FROM interactions WHERE occurred_at < TIMESTAMP '2022-01-01'",
            ),
        ],
        kit.sla("1 hours", "30 minutes", "99%"),
        kit.terms(
            "Campaign analytics and customer engagement scoring.",
            limitations="Opens are measured by tracking pixels and undercount.",
        ),
    )


def products() -> list[Data]:
    return [
        kit.data_product(
            "marketing",
            "campaign_interactions",
            "source-aligned",
            "Campaigns and every customer interaction with them, from the marketing cloud.",
            owner="sam",
            owner_group="marketing-team",
            tags=["marketing", "campaigns", "engagement"],
            components=[
                kit.from_files("mc_campaigns", "marketing_cloud", layout.CAMPAIGNS, "csv", "The campaign list (CSV)."),
                kit.from_files(
                    "mc_interactions",
                    "marketing_cloud",
                    layout.INTERACTIONS,
                    "parquet",
                    "The interaction event export.",
                ),
                _campaigns(),
                _interactions(),
                kit.workload(
                    ["mc_campaigns", "mc_interactions"],
                    ["campaigns", "interactions"],
                    "0 * * * *",
                    "Type and publish the marketing cloud's exports.",
                ),
                kit.observability("marketing", "campaign_interactions"),
            ],
        )
    ]
