"""bot/msrest_fast.py reads Teams' activity JSON into the same models msrest makes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError  # type: ignore[attr-defined]
from msrest.serialization import Model

import bot.msrest_fast as fast
from bot.msrest_fast import read_activity
from tests.payloads import load

PAYLOADS = [
    "card_submit",
    "channel_message",
    "conversation_update_bot_added",
    "conversation_update_bot_removed",
    "installation_update_add",
    "installation_update_remove",
    "invoke_action",
    "personal_message",
]


def _state(value: Any) -> Any:
    """A model as its class and every attribute, additional properties included."""
    if isinstance(value, Model):
        return (type(value).__name__, {k: _state(v) for k, v in vars(value).items()})
    if isinstance(value, list):
        return [_state(item) for item in value]
    if isinstance(value, dict):
        return {k: _state(v) for k, v in value.items()}
    return value


def _msrest(body: dict[str, Any]) -> Activity:
    return Activity().deserialize(copy.deepcopy(body))


@pytest.mark.parametrize("name", PAYLOADS)
def test_teams_payloads_read_as_msrest_reads_them(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fast.enabled()  # the start-up self-check (it reads its samples with msrest too)
    body = load(name)
    expected = _state(_msrest(body))
    used_msrest: list[dict[str, Any]] = []
    whole = fast._with_msrest

    def counted(body: dict[str, Any]) -> Activity:
        used_msrest.append(body)
        return whole(body)

    monkeypatch.setattr(fast, "_with_msrest", counted)
    assert _state(read_activity(body)) == expected
    assert used_msrest == []  # the direct path, not the fallback


def test_unusual_shapes_match_msrest_too() -> None:
    body = load("channel_message")
    body["from"]["name"] = 42  # a number where text goes: msrest makes it "42"
    body["entities"].append(None)
    body["channelData"]["notification"] = {"alert": True, "nothing": None}
    body["unknownTopLevel"] = {"kept": ["as", "is"]}
    body["conversation"]["unknownNested"] = 7
    body["timestamp"] = "2026-03-02T09:00:00.1234567Z"
    body["attachments"] = [{"contentType": "text/plain", "content": "hi", "extra": 1}]
    assert _state(read_activity(body)) == _state(_msrest(body))


def test_a_body_msrest_refuses_is_refused_the_same_way() -> None:
    """bot/web.py answers 400 for it, as before."""
    body = load("personal_message")
    body["from"] = "not an account"
    with pytest.raises(DeserializationError):
        _msrest(body)
    with pytest.raises(DeserializationError):
        read_activity(body)
