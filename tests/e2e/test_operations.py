"""Operations endpoints on the real app: /healthz, /readyz, /metrics, request ids."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from app import HEALTH_CHECKS, create_app
from bot.operations import SHUTTING_DOWN
from inspection.errors import Unavailable
from settings import load_settings
from tests.fakes.teams import LEAD, BotHarness


def sample(metrics_text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in metrics_text.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = ",".join(sorted((match.group(3) or "").split(","))) if match.group(3) else ""
        if found == wanted:
            return float(match.group(4))
    return 0.0


async def test_readyz_is_ready_with_a_reachable_database(bot: BotHarness) -> None:
    response = await bot.client.get("/readyz")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ready" and body["checks"]["database"] == "ok"
    assert set(body["checks"].values()) == {"ok"}


async def test_readyz_is_503_naming_the_failing_part(bot: BotHarness) -> None:
    async def unreachable() -> None:
        raise Unavailable("I can't reach my records right now, try again in a minute.")

    bot.client.app[HEALTH_CHECKS]["database"] = unreachable
    response = await bot.client.get("/readyz")
    body = await response.json()
    assert response.status == 503
    assert body["failing"] == ["database"] and body["checks"]["database"] == "Unavailable"


async def test_readyz_is_503_while_shutting_down(bot: BotHarness) -> None:
    bot.client.app[SHUTTING_DOWN][0] = True
    response = await bot.client.get("/readyz")
    assert response.status == 503 and (await response.json())["failing"] == ["shutdown"]
    # Liveness is a different question: the process is still alive.
    assert (await bot.client.get("/healthz")).status == 200


async def test_metrics_count_turns_and_requests(bot: BotHarness) -> None:
    before = await (await bot.client.get("/metrics")).text()
    await bot.say("help")
    await bot.say("help")
    await bot.post(b"{broken")
    response = await bot.client.get("/metrics")
    after = await response.text()
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    turns = sample(after, "inspection_bot_turns_total", kind="command", outcome="ok")
    assert turns - sample(before, "inspection_bot_turns_total", kind="command", outcome="ok") == 2
    ok = {"route": "/api/messages", "status": "2xx"}
    bad = {"route": "/api/messages", "status": "4xx"}
    assert (
        sample(after, "inspection_bot_http_requests_total", **ok)
        - sample(before, "inspection_bot_http_requests_total", **ok)
        == 2
    )
    assert (
        sample(after, "inspection_bot_http_requests_total", **bad)
        - sample(before, "inspection_bot_http_requests_total", **bad)
        == 1
    )
    assert "inspection_bot_turn_seconds_bucket" in after
    for name in ("inspection_bot_reminders", "inspection_bot_graph_calls"):
        assert f"# TYPE {name}_total counter" in after or f"# TYPE {name} counter" in after


async def test_every_response_carries_a_request_id(bot: BotHarness) -> None:
    response = await bot.client.post("/api/messages", json=bot.activity("help", as_=LEAD))
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-Id"])
    given = await bot.client.get("/healthz", headers={"X-Request-Id": "lb-probe-42"})
    assert given.headers["X-Request-Id"] == "lb-probe-42"
    odd = await bot.client.get("/healthz", headers={"X-Request-Id": "<script>" * 20})
    assert odd.headers["X-Request-Id"] != "<script>" * 20


async def test_metrics_can_require_a_token(tmp_path: Path) -> None:
    settings = load_settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        MicrosoftAppId="",
        METRICS_TOKEN="scrape-token-123456",
    )
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    try:
        refused = await client.get("/metrics")
        assert refused.status == 401 and "METRICS_TOKEN" in (await refused.json())["error"]
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        allowed = await client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-token-123456"}
        )
        assert allowed.status == 200
    finally:
        await client.close()
