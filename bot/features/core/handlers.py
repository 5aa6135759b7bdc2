"""Help, the "Did you mean ...?" buttons, and choosing which inspection a chat is about."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot import cards
from bot.activities import FILE_CONSENT_ACTION
from bot.context import CHOOSE_ACTION, choice_reply
from bot.features.routing import router_of
from bot.router import (
    RUN_COMMAND_ACTION,
    InvalidCardData,
    Reply,
    Router,
    Routes,
    Turn,
    describe_roles,
)
from bot.services import Services
from inspection.errors import NotFound
from inspection.model import InspectionStatus

# The "Show help" button (bot/teams.py offers it when this action is registered).
HELP_ACTION = "help"

routes = Routes()


@routes.command("help", help="What I can do, and how to say it", aliases=("commands", "?"))
async def show_help(turn: Turn, services: Services) -> Reply:
    return help_reply(router_of(turn))


@routes.action(HELP_ACTION)
async def help_button(turn: Turn, services: Services) -> Reply:
    return help_reply(router_of(turn))


@routes.action(RUN_COMMAND_ACTION)
async def run_suggested_command(turn: Turn, services: Services) -> Reply:
    text = turn.data_str("text", max_length=200)
    router = router_of(turn)
    if not router.is_command(text):
        raise InvalidCardData("text")
    return await router.dispatch(replace(turn, text=text, data=None))


@routes.command(
    "switch inspection",
    help="Choose another inspection for this chat",
    aliases=("change inspection", "which inspection"),
)
async def switch_inspection(turn: Turn, services: Services) -> Reply:
    if not turn.user.aad_object_id:
        raise NotFound("I can't tell who you are from this message, so I can't list them")
    mine = await services.repository.for_member(turn.user.aad_object_id)
    if not mine:
        return Reply(text="You don't have a role in any open inspection.")
    return choice_reply(mine, "status")


@routes.action(CHOOSE_ACTION)
async def choose_inspection(turn: Turn, services: Services) -> Reply:
    inspection_id = turn.data_int("inspection_id")
    aad = turn.user.aad_object_id
    try:
        inspection = await services.repository.get(inspection_id)
    except NotFound:
        inspection = None
    # The id comes from the card: never trust it to grant access.
    if (
        inspection is None
        or inspection.status == InspectionStatus.CLOSED
        or inspection.role_of(aad) is None
    ):
        return Reply(
            text="You don't have a role in that inspection (or it has closed). "
            "Type `switch inspection` to choose again."
        )
    await services.conversations.remember_inspection(turn.conversation_id, inspection_id)
    then = (turn.data or {}).get("then")
    chosen = Reply(
        text=f"This chat is now about {inspection.service_name} "
        f"(on site {inspection.onsite_start:%d %b %Y}).",
    )
    if isinstance(then, str) and then.strip() and len(then) <= 500:
        follow = await router_of(turn).dispatch(replace(turn, text=then, data=None))
        return Reply(text=chosen.text, more=(follow,))
    return chosen


def help_reply(router: Router[Any]) -> Reply:
    lines: list[str] = []
    rows: list[tuple[str, str]] = []
    for route in router.commands:
        who = f" ({describe_roles(route.roles)})" if route.roles else ""
        lines.append(f"- `{route.usage}`: {route.help}{who}")
        rows.append((route.usage, route.help + who))
    # One FactSet rather than a ColumnSet per command: the same look in Teams, a fraction of
    # the JSON (msrest walks every node of a card when sending it).
    body = [cards.title("What I can do"), cards.facts(rows)]
    phrasings = [route.help for route in router.intents if route.help]
    if phrasings:
        body.append(cards.text("You can also just say: " + "; ".join(phrasings)))
    body.append(
        cards.text(
            "In a channel, mention me first (@Inspection bot status). A leading / works too.",
            subtle=True,
        )
    )
    text = "Here is what I can do:\n\n" + "\n".join(lines)
    return Reply(text=text, card=cards.card(body))


@routes.event("installed")
async def greet_on_install(turn: Turn, services: Services) -> Reply:
    return welcome_reply(turn)


@routes.event("members_added")
async def greet_when_added(turn: Turn, services: Services) -> Reply:
    return welcome_reply(turn)


def welcome_reply(turn: Turn) -> Reply:
    """The greeting when the bot joins a team, chat or personal scope (bot/teams.py greets once
    per install). Teams gives bots no way to pin a channel message, so an inspection's welcome
    card is the channel's first post."""
    lines = [
        "Hello, I'm the inspection bot. I keep the paperwork of an inspection in one place: "
        "the required documents, information requests, deadlines and reminders."
    ]
    if turn.kind == "channel":
        lines.append(
            "Lead inspectors: mention me with `new inspection` to set one up. Everyone: mention "
            "me with `help` to see what I can do."
        )
    else:
        lines.append("Type `help` to see what I can do, or `status` for your inspection.")
    body = [cards.title("Inspection bot"), *(cards.text(line) for line in lines)]
    actions = (
        [cards.submit("Show help", HELP_ACTION)]
        if router_of(turn).has_action(HELP_ACTION)
        else None
    )
    return Reply(text=" ".join(lines), card=cards.card(body, actions))


@routes.action(FILE_CONSENT_ACTION)
async def answer_file_consent(turn: Turn, services: Services) -> Reply:
    """The bot offers no file through a consent card (the request log and the grid go to the
    channel's Files), so an answer to one is an old or foreign card: said so, nothing sent."""
    if (turn.data or {}).get("consent") == "decline":
        return Reply(text="OK, I won't send that file.")
    return Reply(
        text="That file offer is out of date, so I haven't sent anything. The request log is in "
        "the channel's Files: type `export requests` there to refresh it."
    )
