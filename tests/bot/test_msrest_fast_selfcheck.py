"""bot/msrest_fast.py's start-up self-check: on the tested versions the fast path is on; when
the internals it relies on differ, one warning, and the libraries' own path does the work."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.schema import Activity

import bot.msrest_fast as fast
from inspection.clock import FixedClock
from tests.e2e.conftest import DEFAULT_NOW, running_bot


@pytest.fixture
def fresh_check(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The self-check runs again (it is remembered per process)."""
    monkeypatch.setattr(fast, "_STATE", {})
    yield


def test_the_fast_path_agrees_with_msrest_on_the_tested_versions(fresh_check: None) -> None:
    assert fast.self_check() is None
    assert fast.enabled()


def _wrong_reader(body: dict[str, Any]) -> Activity:
    return Activity(type="message", text="not what msrest reads")


async def test_when_the_internals_differ_the_libraries_path_is_used(
    fresh_check: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    monkeypatch.setattr(fast, "_read_fast", _wrong_reader)
    with caplog.at_level(logging.WARNING, logger="bot.msrest_fast"):
        assert fast.self_check() == "reading an activity gives a different result"
        assert not fast.enabled()
        assert not fast.enabled()  # checked once
    warnings = [r for r in caplog.records if r.name == "bot.msrest_fast"]
    assert len(warnings) == 1 and "libraries' own path" in warnings[0].getMessage()
    sample = fast._SAMPLES[0]
    assert fast.read_activity(sample).text == sample["text"]  # msrest's own reading
    # The whole bot still answers, through msrest's own serializer and sender (requests).
    async with running_bot(tmp_path, FixedClock(DEFAULT_NOW)) as harness:
        sent = await harness.say("help")
        assert "What I can do" in harness.texts(sent)


def test_a_client_is_left_as_msrest_made_it_when_off(
    fresh_check: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botframework.connector.aio import ConnectorClient
    from botframework.connector.auth import MicrosoftAppCredentials

    monkeypatch.setattr(fast, "_STATE", {"on": False})
    client = ConnectorClient(MicrosoftAppCredentials(None, None), "https://smba.example.test/")
    serializer, pipeline = client._serialize, client.config.pipeline
    fast.speed_up(client, fast.SharedSession())
    assert client._serialize is serializer and client.config.pipeline is pipeline
    monkeypatch.setattr(fast, "_STATE", {"on": True})
    fast.speed_up(client, fast.SharedSession())
    assert client._serialize is not serializer and client.config.pipeline is not pipeline
