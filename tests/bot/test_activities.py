"""bot/activities.py: what a turn reads from an incoming activity, and why some of it is read
here rather than with botbuilder's helpers."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.activities import (
    channel_data,
    execute_action_data,
    root_conversation,
    root_conversation_id,
    strip_bot_mention,
)
from bot.msrest_fast import read_activity


def _message(text: str, bot_name: str, **extra: Any) -> Activity:
    return read_activity(
        {
            "type": "message",
            "id": "1",
            "serviceUrl": "https://smba.example.test/",
            "channelId": "msteams",
            "from": {"id": "29:lead", "aadObjectId": "aad-lead", "name": "Lead Inspector"},
            "recipient": {"id": "28:bot", "name": bot_name},
            "conversation": {"id": "19:chan@thread.tacv2;messageid=42"},
            "text": text,
            "entities": [
                {
                    "type": "mention",
                    "text": f"<at>{bot_name}</at>",
                    "mentioned": {"id": "28:bot", "name": bot_name},
                }
            ],
            **extra,
        }
    )


def test_the_bots_mention_is_removed_even_when_its_name_has_regex_characters() -> None:
    name = "Inspection bot (test)"
    text, mentions = strip_bot_mention(_message(f"<at>{name}</at> status", name))
    assert text == "status" and mentions == ()


def test_the_bots_name_elsewhere_in_the_message_is_kept() -> None:
    name = "Inspection bot"
    said = f"<at>{name}</at> request the minutes the Inspection bot was sent last week"
    text, _ = strip_bot_mention(_message(said, name))
    assert text == "request the minutes the Inspection bot was sent last week"
    # botbuilder's helper removes every occurrence of the name, not only the mention.
    mangled = TurnContext.remove_recipient_mention(_message(said, name))
    assert "the Inspection bot was sent" not in mangled


def test_odd_channel_data_gives_what_can_be_read() -> None:
    activity = _message(
        "hi", "Inspection bot", channelData={"tenant": "not-an-object", "team": {"id": "t-1"}}
    )
    assert channel_data(activity) == {"team_id": "t-1"}


def test_a_channel_thread_is_its_channel() -> None:
    activity = _message("hi", "Inspection bot")
    assert root_conversation_id(activity) == "19:chan@thread.tacv2"
    assert root_conversation("a:personal") == "a:personal"


def test_an_execute_press_carries_its_verb_as_the_action() -> None:
    data = execute_action_data({"action": {"verb": "close_request", "data": {"request": "IR-1"}}})
    assert data == {"request": "IR-1", "action": "close_request"}
    assert execute_action_data("not an object") == {}
