"""Card buttons (Action.Submit and Action.Execute), update in place, and connector faults."""

from __future__ import annotations

from tests.fakes.teams import LINK, BotHarness, content


async def test_action_execute_answers_with_a_card(bot: BotHarness) -> None:
    await bot.inspection()
    status, body, _sent = await bot.invoke("status", {}, as_=LINK)
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"].startswith("Status: ")


async def test_action_execute_with_unknown_verb_is_a_message_not_a_500(bot: BotHarness) -> None:
    status, body, _sent = await bot.invoke("self-destruct", {"x": 1})
    assert status == 200
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "That button is not one I know" in body["value"]


async def test_other_invokes_are_not_implemented(bot: BotHarness) -> None:
    payload = bot.activity(None)
    payload.update(type="invoke", name="composeExtension/query", value={})
    status, _ = await bot.post(payload)
    assert status == 501


async def test_submit_button_runs_the_action(bot: BotHarness) -> None:
    await bot.inspection()
    sent = await bot.submit({"action": "timeline"}, as_=LINK)
    assert "Timeline: Children's Residential Service" in content(sent[0])


async def test_submit_with_empty_value_is_explained(bot: BotHarness) -> None:
    sent = await bot.submit({})
    assert "button's data is missing" in content(sent[0])


async def test_throttled_sends_are_retried(bot: BotHarness) -> None:
    bot.connector.fail_next(429, 502, retry_after=0)
    sent = await bot.say("help")
    assert len(sent) == 1
    assert "What I can do" in content(sent[0])
    failed = [c.status for c in bot.connector.calls if c.status >= 400]
    assert failed == [429, 502]


async def test_a_connector_that_keeps_failing_does_not_500(bot: BotHarness) -> None:
    bot.connector.fail_next(502, 502, 502, 502, 502, 502, 502, 502, 502, 502)
    status, _ = await bot.post(bot.activity("help"))
    assert status == 200
