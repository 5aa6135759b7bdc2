"""The Bot Connector answers 429 (throttled, with Retry-After) and 502: replies and reminders are
retried, never lost, never sent twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from bot.notifier import TeamsNotifier
from inspection.clock import FixedClock
from scheduler.runtime import ReminderScheduler
from tests.fakes.teams import LINK, BotHarness, content


class RecordedSleep:
    """Stands in for asyncio.sleep: records the waits instead of taking them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def reminders(harness: BotHarness, sleep: RecordedSleep) -> ReminderScheduler:
    """The real dispatcher and outbox, sending through the app's own adapter."""
    services = harness.services
    assert isinstance(services.notifier, TeamsNotifier) and services.sender is not None
    # The app's one send policy, waiting on a recorded clock instead of the real one.
    services.sender.policy.sleep = sleep
    services.sender.policy.jitter = lambda: 0.5
    return ReminderScheduler(services.dispatcher, services.frameworks)


async def ready(harness: BotHarness) -> None:
    """An inspection whose channel and link officer the bot can reach (references stored)."""
    await harness.inspection()
    await harness.say("status", where="channel")
    await harness.say("status", as_=LINK)
    harness.connector.reset()


def delivered_per_conversation(harness: BotHarness) -> Counter[str]:
    return Counter(call.conversation_id for call in harness.connector.delivered)


async def test_a_reply_survives_throttling_and_a_bad_gateway(quiet_bot: BotHarness) -> None:
    from tests.e2e.test_operations import sample

    before = await (await quiet_bot.client.get("/metrics")).text()
    quiet_bot.connector.fail_next(429, 502, retry_after=0)
    sent = await quiet_bot.say("help")
    assert len(sent) == 1 and "What I can do" in content(sent[0])
    statuses = [call.status for call in quiet_bot.connector.calls]
    assert statuses == [429, 502, 200], "retried until accepted, then not again"
    after = await (await quiet_bot.client.get("/metrics")).text()
    name = "inspection_bot_connector_retries_total"
    for status in ("429", "502"):
        assert sample(after, name, status=status) - sample(before, name, status=status) == 1


async def test_a_reply_given_up_after_repeated_failures_is_not_retried_forever(
    quiet_bot: BotHarness,
) -> None:
    quiet_bot.connector.fail_next(502, 502, 502, 502, retry_after=0)
    status, _ = await quiet_bot.post(quiet_bot.activity("help"))
    assert status == 200
    statuses = [call.status for call in quiet_bot.connector.calls]
    assert statuses == [502, 502, 502, 502, 200]
    # After four attempts the user gets one apology instead of silence or a flood.
    assert quiet_bot.connector.texts() == [
        "Sorry, something went wrong on my side. Try again in a minute; if it keeps "
        "happening, tell your administrator."
    ]


async def test_reminders_wait_as_told_and_are_delivered_once(quiet_bot: BotHarness) -> None:
    await ready(quiet_bot)
    sleep = RecordedSleep()
    scheduler = reminders(quiet_bot, sleep)
    metrics_before = await (await quiet_bot.client.get("/metrics")).text()
    quiet_bot.connector.fail_next(429, 502, 502, retry_after=2)

    report = await scheduler.dispatcher.tick()

    assert report.messages_sent == 2 and report.messages_failed == 0
    per_conversation = delivered_per_conversation(quiet_bot)
    assert len(per_conversation) == 2 and set(per_conversation.values()) == {1}
    assert [c.status for c in quiet_bot.connector.calls].count(200) == 2
    assert any(wait >= 2 for wait in sleep.waits), "Retry-After is honoured"
    metrics_after = await (await quiet_bot.client.get("/metrics")).text()
    from tests.e2e.test_operations import sample

    name = "inspection_bot_connector_retries_total"
    for status, retried in (("429", 1), ("502", 2)):
        grew = sample(metrics_after, name, status=status) - sample(
            metrics_before, name, status=status
        )
        assert grew == retried, status
    # Another tick (the five-minute catch-up, or a second instance) sends nothing again.
    again = await scheduler.dispatcher.tick()
    assert again.messages_sent == 0
    assert delivered_per_conversation(quiet_bot) == per_conversation


async def test_reminders_kept_while_teams_is_down_and_sent_once_when_back(
    quiet_bot: BotHarness, clock: FixedClock
) -> None:
    await ready(quiet_bot)
    scheduler = reminders(quiet_bot, RecordedSleep())
    quiet_bot.connector.fail_next(*([502] * 8), retry_after=0)

    down = await scheduler.dispatcher.tick()
    assert down.messages_sent == 0 and down.messages_failed == 2
    assert quiet_bot.connector.delivered == []
    inspection = (await quiet_bot.services.repository.list_all())[0]
    failures = await scheduler.dispatcher.failures(inspection.id or 0)
    assert failures and all(f.status == "failed" for f in failures)

    # Before the retry time nothing is attempted again...
    early = await scheduler.dispatcher.tick()
    assert early.messages_sent == 0 and quiet_bot.connector.delivered == []
    # ...after it, each reminder goes out exactly once.
    clock.advance(scheduler.dispatcher.retry_after + timedelta(minutes=1))
    back = await scheduler.dispatcher.tick()
    assert back.messages_sent == 2
    assert set(delivered_per_conversation(quiet_bot).values()) == {1}
    assert (await scheduler.dispatcher.tick()).messages_sent == 0
    assert set(delivered_per_conversation(quiet_bot).values()) == {1}


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_a_permanent_refusal_is_not_retried_but_kept(
    quiet_bot: BotHarness, status: int
) -> None:
    await ready(quiet_bot)
    scheduler = reminders(quiet_bot, RecordedSleep())
    quiet_bot.connector.fail_next(status, status)
    report = await scheduler.dispatcher.tick()
    assert report.messages_failed == 2
    assert len(quiet_bot.connector.calls) == 2, "a 4xx other than 412/429 is not retried"


async def test_reminders_sent_and_failed_are_counted_in_metrics(quiet_bot: BotHarness) -> None:
    from tests.e2e.test_operations import sample

    await ready(quiet_bot)
    scheduler = reminders(quiet_bot, RecordedSleep())
    before = await (await quiet_bot.client.get("/metrics")).text()
    quiet_bot.connector.fail_next(403)  # one of the two messages is refused for good
    report = await scheduler.tick()
    assert report is not None and report.messages_sent == 1 and report.messages_failed == 1
    after = await (await quiet_bot.client.get("/metrics")).text()
    for outcome in ("sent", "failed"):
        name = "inspection_bot_reminders_total"
        assert sample(after, name, outcome=outcome) - sample(before, name, outcome=outcome) == 1
