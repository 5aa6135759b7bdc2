"""Authorisation and input limits, end to end through the real endpoint (auth off, the e2e
harness): every command and card action is checked against the caller's role in *that*
inspection; card data naming another inspection grants nothing; oversized or odd requests are
refused before they reach the bot.

The sweeps read the router, so a command or card action added later is covered the day it lands.
"Nothing changed" is checked on the whole database (every table but the stored conversation
references, which any turn may refresh).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

import store.all_tables  # noqa: F401
from bot.features import build_router
from bot.limits import MAX_ATTACHMENTS, MAX_ENTITIES, MAX_JSON_DEPTH
from bot.router import Route, Router
from inspection.model import Inspection, Role
from settings import Settings
from store.tables import Base
from tests.e2e.conftest import bot, clock  # noqa: F401  (the harness fixtures)
from tests.fakes.teams import (
    DIRECTOR,
    INSPECTOR,
    LEAD,
    LINK,
    OUTSIDER,
    BotHarness,
    Person,
    content,
)

SERVICE_A = "Harbour View Children's Home"
SERVICE_B = "Northfield Family Centre"
# Bookkeeping any turn may write: conversation references and dialog state (botbuilder).
NOT_COMPARED = {"bot_conversations", "bot_state"}
# What a card's data might carry; a handler must take none of it as permission.
FORGED_DATA = {
    "inspection_id": "{other}",
    "request_id": "IR-001",
    "item": "staffing_return",
    "then": "status",
    "kind": "jcc-children-social-care/full",
    "service": "Forged Service",
    "onsite_start": "2026-04-20",
    "onsite_end": "2026-04-24",
}


async def snapshot(harness: BotHarness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but conversation references), to prove nothing changed."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with harness.services.database.session() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            rows = (await session.execute(select(table))).all()
            found[table.name] = sorted((tuple(map(repr, row)) for row in rows), key=repr)
    return found


def router_of(harness: BotHarness) -> Router[Any]:
    return build_router(harness.services)


def role_routes(router: Router[Any]) -> list[Route]:
    """Commands limited to some roles (visible ones and their aliases share a route)."""
    return [route for route in router.commands if route.roles is not None]


def inspection_actions(router: Router[Any]) -> list[Route]:
    return [
        route
        for route in router._actions.values()  # no public list of card actions
        if route.wants_inspection
    ]


async def two_inspections(harness: BotHarness) -> tuple[Inspection, Inspection]:
    """A: the usual people, in the harness's channel. B: other people, no channel."""
    a = await harness.inspection(service_name=SERVICE_A)
    other_lead = Person("29:1other-lead", "00000000-0000-4000-8000-00000000d001", "Other Lead")
    other_link = Person("29:1other-link", "00000000-0000-4000-8000-00000000d002", "Other Link")
    b = await harness.inspection(
        service_name=SERVICE_B,
        channel_id=None,
        members=(other_lead.member(Role.LEAD_INSPECTOR), other_link.member(Role.LINK_OFFICER)),
    )
    return a, b


# --- commands ---------------------------------------------------------------------------------
async def test_every_role_limited_command_refuses_someone_without_a_role(
    bot: BotHarness,  # noqa: F811
) -> None:
    await two_inspections(bot)
    routes = role_routes(router_of(bot))
    assert routes, "expected some role-limited commands (e.g. `move onsite`)"
    before = await snapshot(bot)
    for route in routes:
        for where in ("channel", "personal"):
            sent = await bot.say(route.name, as_=OUTSIDER, where=where)  # type: ignore[arg-type]
            text = bot.texts(sent)
            assert "don't have a role" in text, (route.name, where, text)
            assert SERVICE_B not in text
            if where == "personal":
                assert SERVICE_A not in text, (route.name, text)
    assert await snapshot(bot) == before


async def test_every_role_limited_command_refuses_the_wrong_role(
    bot: BotHarness,  # noqa: F811
) -> None:
    await two_inspections(bot)
    people = {
        Role.LEAD_INSPECTOR: LEAD,
        Role.INSPECTOR: INSPECTOR,
        Role.LINK_OFFICER: LINK,
        Role.DIRECTOR: DIRECTOR,
    }
    before = await snapshot(bot)
    checked = 0
    for route in role_routes(router_of(bot)):
        assert route.roles is not None
        for role, person in people.items():
            if role in route.roles:
                continue
            sent = await bot.say(route.name, as_=person, where="channel")
            text = bot.texts(sent)
            assert f"you are the {role.label}" in text, (route.name, role, text)
            checked += 1
    assert checked > 0
    assert await snapshot(bot) == before


@pytest.mark.parametrize(
    "command",
    [
        "move onsite 13 April to 17 April",
        "notice given 24 February",
        "draft sent 20 April",
    ],
)
@pytest.mark.parametrize("person", [LINK, DIRECTOR, OUTSIDER], ids=lambda p: p.name)
async def test_a_valid_lead_command_from_anyone_else_changes_nothing(
    bot: BotHarness,  # noqa: F811
    command: str,
    person: Person,
) -> None:
    await two_inspections(bot)
    before = await snapshot(bot)
    for where in ("channel", "personal"):
        sent = await bot.say(command, as_=person, where=where)  # type: ignore[arg-type]
        assert sent, "every refusal is answered"
    assert await snapshot(bot) == before
    # The same command from the lead does change the inspection: the refusal above is real.
    await bot.say(command, as_=LEAD, where="channel")
    assert await snapshot(bot) != before


# --- card actions -----------------------------------------------------------------------------
async def test_card_actions_replayed_by_an_outsider_show_and_change_nothing(
    bot: BotHarness,  # noqa: F811
) -> None:
    a, b = await two_inspections(bot)
    actions = inspection_actions(router_of(bot))
    assert actions, "expected card actions that work on an inspection"
    before = await snapshot(bot)
    for route in actions:
        for target in (a, b):
            data = {**_forged(target), "action": route.name}
            sent = await bot.submit(data, as_=OUTSIDER, where="personal")
            text = bot.texts(sent)
            assert SERVICE_A not in text and SERVICE_B not in text, (route.name, text)
    assert await snapshot(bot) == before


async def test_card_data_naming_another_inspection_is_ignored(
    bot: BotHarness,  # noqa: F811
) -> None:
    """The link officer of A presses A's buttons with B's id in the data: they see A (whose
    role they hold) or a refusal, never B."""
    _, b = await two_inspections(bot)
    before = await snapshot(bot)
    for route in inspection_actions(router_of(bot)):
        for where in ("channel", "personal"):
            data = {**_forged(b), "action": route.name}
            sent = await bot.submit(data, as_=LINK, where=where)  # type: ignore[arg-type]
            text = bot.texts(sent)
            assert SERVICE_B not in text, (route.name, where, text)
    assert await snapshot(bot) == before
    # The chosen inspection of the chat is still A.
    text = bot.texts(await bot.say("status", as_=LINK))
    assert SERVICE_A in text and SERVICE_B not in text


async def test_choosing_an_inspection_without_a_role_in_it_is_refused(
    bot: BotHarness,  # noqa: F811
) -> None:
    _, b = await two_inspections(bot)
    sent = await bot.submit(
        {"action": "choose_inspection", "inspection_id": str(b.id), "then": "status"},
        as_=LINK,
    )
    assert SERVICE_B not in bot.texts(sent)
    text = bot.texts(await bot.say("status", as_=LINK))
    assert SERVICE_B not in text and SERVICE_A in text


def _forged(target: Inspection) -> dict[str, Any]:
    return {
        key: (str(target.id) if value == "{other}" else value) for key, value in FORGED_DATA.items()
    }


# --- input limits -----------------------------------------------------------------------------
async def test_a_body_over_the_limit_is_413(bot: BotHarness) -> None:  # noqa: F811
    limit = Settings.model_fields["bot_max_request_bytes"].default  # what the harness runs with
    activity = bot.activity("help")
    activity["channelData"]["padding"] = "x" * (limit + 1)
    status, body = await bot.post(activity)
    assert status == 413 and "larger than" in body["error"]
    assert bot.connector.calls == []


async def test_a_long_message_is_answered_without_running_a_command(
    bot: BotHarness,  # noqa: F811
) -> None:
    await two_inspections(bot)
    before = await snapshot(bot)
    sent = await bot.say("move onsite 13 April to 17 April " + "y" * 5000)
    assert "characters long" in bot.texts(sent)
    assert await snapshot(bot) == before


async def test_json_nested_too_deep_is_refused(bot: BotHarness) -> None:  # noqa: F811
    activity = bot.activity("help")
    value: dict[str, Any] = {}
    node = value
    for _ in range(MAX_JSON_DEPTH + 5):
        node["x"] = {}
        node = node["x"]
    activity["value"] = value
    status, body = await bot.post(activity)
    assert status == 400 and "nested more than" in body["error"]
    # Nesting that would exhaust Python's recursion limit while parsing: a 400, not a 500.
    raw = json.dumps(bot.activity("help"))[:-1] + ', "value": ' + '{"x": ' * 5000 + "1"
    raw += "}" * 5000 + "}"
    status, body = await bot.post(raw.encode())
    assert status == 400 and "nested more than" in body["error"]
    assert bot.connector.calls == []


async def test_an_ordinary_card_submit_is_well_within_the_depth_limit(
    bot: BotHarness,  # noqa: F811
) -> None:
    sent = await bot.submit({"action": "help", "nested": {"a": {"b": {"c": [1, 2, {"d": 3}]}}}})
    assert "What I can do" in content(sent[0])


@pytest.mark.parametrize(
    ("key", "count", "limit"),
    [
        ("attachments", MAX_ATTACHMENTS + 1, MAX_ATTACHMENTS),
        ("entities", MAX_ENTITIES + 1, MAX_ENTITIES),
    ],
)
async def test_too_many_attachments_or_entities_are_refused(
    bot: BotHarness,  # noqa: F811
    key: str,
    count: int,
    limit: int,
) -> None:
    activity = bot.activity("help")
    item = (
        {"contentType": "text/plain", "name": "file.txt", "contentUrl": "https://files.invalid/f"}
        if key == "attachments"
        else {"type": "clientInfo", "locale": "en-GB"}
    )
    activity[key] = [dict(item) for _ in range(count)]
    status, body = await bot.post(activity)
    assert status == 400 and f"at most {limit}" in body["error"]
    # At the limit the message is processed.
    activity = bot.activity("help")
    activity[key] = [dict(item) for _ in range(limit)]
    assert (await bot.post(activity))[0] == 200
