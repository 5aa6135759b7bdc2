"""9.7 at the edge: a note, an answer typed in the answer dialog and a file shown in a card are
checked like requests; nothing is stored until the person confirms, and no warning, card or log
line repeats the name."""

from __future__ import annotations

import logging

import pytest

from tests.e2e.conftest import bot, clock  # noqa: F401  (the harness fixtures)
from tests.fakes.teams import LINK, BotHarness, Sent

NAME = "Kacper"


def _no_name(text: str) -> None:
    assert NAME.lower() not in text.lower()


def _shown(sent: list[Sent]) -> str:
    """What a person reads: the message texts and the cards' text blocks (not the data a
    button sends back, which carries the text to record when they confirm)."""
    parts = [(s.text or "") + " " + str(s.body.get("summary") or "") for s in sent]
    for call in sent:
        for card in call.cards:
            parts += [b.get("text", "") for b in card.get("body", []) if isinstance(b, dict)]
    return "\n".join(parts)


async def test_a_note_naming_a_child_waits_for_add_anyway(
    bot: BotHarness,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # every level production logs at
    await bot.inspection()
    await bot.say("request Chronology for CR-104233", where="channel")
    note = f"the LO says {NAME}'s plan is with the manager"
    sent = await bot.say(f"note IR-001 {note}", where="personal")
    said = _shown(sent)
    assert "Not added yet" in said
    _no_name(said)
    assert (await bot.services.requests.all_requests(1, "inspectors"))[0].notes == ()
    [card] = [c for s in sent for c in s.cards]
    [add_anyway] = [a for a in card["actions"] if a["title"] == "Add anyway"]
    sent = await bot.submit(add_anyway["data"], where="personal")
    assert "Note added to IR-001" in bot.texts(sent)
    [request] = await bot.services.requests.all_requests(1, "inspectors")
    assert request.notes[-1].text == note  # stored as the inspector typed it
    _no_name(caplog.text)


async def test_the_answer_dialog_checks_with_the_inspection_terms(
    bot: BotHarness,  # noqa: F811
) -> None:
    await bot.inspection()
    await bot.say("request Chronology for CR-104233", where="channel")
    said = bot.texts(await bot.say("IR-001 is answered", as_=LINK))
    assert "What is the answer to IR-001" in said
    said = _shown(await bot.say(f"the chronology for {NAME.lower()} is attached", as_=LINK))
    assert "Not recorded yet" in said
    _no_name(said)
    [request] = await bot.services.requests.all_requests(1)
    assert request.answers == ()
