"""A file consent card's answer (`fileConsent/invoke`) is routed like every other activity: an
accept or a decline of an offer the bot no longer has is answered plainly, nothing uploaded."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import bot, clock  # noqa: F401  (the harness fixtures)
from tests.fakes.teams import BotHarness
from tests.payloads import load


@pytest.mark.parametrize(
    ("consent", "said"),
    [("accept", "That file offer is out of date"), ("decline", "I won't send that file")],
)
async def test_a_file_consent_answer_is_routed_and_answered(
    bot: BotHarness,  # noqa: F811
    consent: str,
    said: str,
) -> None:
    payload = load("file_consent")
    payload["serviceUrl"] = bot.connector.url
    payload["value"]["action"] = consent
    mark = len(bot.connector.calls)
    status, _body = await bot.post(payload)
    assert status == 200
    sent = bot.since(mark)
    assert said in bot.texts(sent)
    assert all("upload-session" not in call.path for call in bot.connector.calls)
