"""Prometheus metrics (prometheus-client), in one registry the app serves at `/metrics`.

Adapters count what they do; nothing here imports aiohttp, botbuilder or msgraph, so any of
them (bot/, graph/, scheduler/) can import it:

    from metrics import REMINDERS
    REMINDERS.labels(outcome="sent").inc()

Labels are small fixed sets (never an inspection id, a user or a message).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

TURNS = Counter(
    "inspection_bot_turns",
    "Turns handled by the router, by kind of route and outcome (ok, error).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
TURN_SECONDS = Histogram(
    "inspection_bot_turn_seconds",
    "Time to handle one turn in the router (the reply's sending excluded).",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "inspection_bot_http_requests",
    "HTTP requests answered, by route and status class (2xx, 4xx, 5xx).",
    ["route", "status"],
    registry=REGISTRY,
)
HTTP_SECONDS = Histogram(
    "inspection_bot_http_request_seconds",
    "Time to answer an HTTP request, by route (for /api/messages: the whole turn).",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
    registry=REGISTRY,
)
IN_FLIGHT = Gauge(
    "inspection_bot_http_in_flight", "HTTP requests being answered now.", registry=REGISTRY
)
REMINDERS = Counter(
    "inspection_bot_reminders",
    "Reminders and chases handed to Teams, by outcome (sent, failed, no_conversation).",
    ["outcome"],
    registry=REGISTRY,
)
GRAPH_CALLS = Counter(
    "inspection_bot_graph_calls",
    "Microsoft Graph calls, by outcome (ok, throttled, error), after the SDK's own retries.",
    ["outcome"],
    registry=REGISTRY,
)
GRAPH_THROTTLES = Counter(
    "inspection_bot_graph_throttles",
    "Microsoft Graph calls still answered 429, 503 or 504 after the SDK's own retries.",
    registry=REGISTRY,
)
CONNECTOR_RETRIES = Counter(
    "inspection_bot_connector_retries",
    "Bot Connector sends retried after 412/429/502/504, by status.",
    ["status"],
    registry=REGISTRY,
)
DATABASE_UNAVAILABLE = Counter(
    "inspection_bot_database_unavailable",
    "Times the database could not be reached (a turn answered 'try again in a minute').",
    registry=REGISTRY,
)
