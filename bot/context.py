"""Which inspection a turn is about, and whether the sender may do what they asked.

- In an inspection's channel: that inspection.
- Anywhere else (personal chat, group chat, another channel): the inspection this conversation
  chose earlier, else the one open inspection the sender holds a role in, else a choice card.
- Roles come from the inspection's record by the sender's Entra object id (`from.aadObjectId`).
  Outside the inspection's channel only people with a role in it see its data.
"""

from __future__ import annotations

from dataclasses import replace

from bot import cards
from bot.router import Next, Reply, Route, Turn, describe_roles
from bot.services import Services
from inspection.errors import NotFound
from inspection.model import Inspection, InspectionStatus

CHOOSE_ACTION = "choose_inspection"
MAX_CHOICES = 12


class InspectionResolver:
    """Middleware: fills `turn.inspection` and `turn.role` and enforces the route's roles."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def __call__(self, turn: Turn, route: Route, call_next: Next) -> Reply:
        if not route.wants_inspection:
            return await call_next(turn)
        found = await self.resolve(turn)
        if isinstance(found, Reply):
            return found
        inspection, in_its_channel = found
        role = inspection.role_of(turn.user.aad_object_id)
        turn = replace(turn, inspection=inspection, role=role)
        if route.roles is not None and role not in route.roles:
            return Reply(text=refusal(route, inspection, turn))
        if role is None and not in_its_channel:
            # Only reachable through a remembered choice the user has since lost.
            return Reply(text=no_access(inspection))
        if in_its_channel or turn.kind == "personal":
            return await call_next(turn)
        # A group chat or another channel: answer there only if everyone in it is in the
        # inspection; otherwise the answer goes to the asker's personal chat (handbook 9.7).
        if await self._everyone_belongs(turn, inspection):
            return await call_next(turn)
        reply = await call_next(turn)
        return Reply(
            text=f"This conversation includes people outside the inspection of "
            f"{inspection.service_name}, so I've answered you in our personal chat.",
            more=(replace(reply, private=True, update=False),),
        )

    async def _everyone_belongs(self, turn: Turn, inspection: Inspection) -> bool:
        if turn.teams is None:
            return False
        found = await turn.teams.members()
        if found is None:
            return False
        allowed = {m.aad_object_id for m in inspection.members}
        return bool(found) and set(found) <= allowed

    async def resolve(self, turn: Turn) -> tuple[Inspection, bool] | Reply:
        services = self._services
        if turn.kind == "channel" and turn.channel_id:
            inspection = await services.repository.by_channel(turn.channel_id)
            if inspection is not None:
                return inspection, True
        aad = turn.user.aad_object_id
        if not aad:
            return Reply(
                text="I can't tell who you are from this message (Teams sent no Entra user id), "
                "so I can't show inspection data here. Try from the Teams app."
            )
        chosen = await services.conversations.chosen_inspection(turn.conversation_id)
        if chosen is not None:
            try:
                inspection = await services.repository.get(chosen)
            except NotFound:
                inspection = None
            if (
                inspection is not None
                and inspection.status != InspectionStatus.CLOSED
                and inspection.role_of(aad) is not None
            ):
                return inspection, False
        mine = [i for i in await services.repository.for_member(aad) if i.id is not None]
        if len(mine) == 1:
            return mine[0], False
        if not mine:
            return Reply(
                text="You don't have a role in any open inspection, so there is nothing I can "
                "show you here. If you should, ask the lead inspector to add you."
            )
        return choice_reply(mine, turn.text)


def refusal(route: Route, inspection: Inspection, turn: Turn) -> str:
    assert route.roles is not None
    who = describe_roles(route.roles)
    lead = inspection.lead_inspector
    ask = f" Ask {lead.display_name}, the lead inspector." if lead and lead.display_name else ""
    if turn.role is None:
        return (
            f"`{route.name}` is for the {who} of this inspection, and you don't have a role in "
            f"it.{ask}"
        )
    return f"Only the {who} can use `{route.name}`; you are the {turn.role.label}.{ask}"


def no_access(inspection: Inspection) -> str:
    return (
        "You no longer have a role in that inspection, so I can't show it here. "
        "Ask its lead inspector if that is a mistake."
    )


def choice_reply(inspections: list[Inspection], then: str) -> Reply:
    shown = inspections[:MAX_CHOICES]
    choices = [
        {
            "title": f"{i.service_name} (on site {i.onsite_start:%d %b %Y})",
            "value": str(i.id),
        }
        for i in shown
    ]
    body = [
        cards.title("Which inspection?"),
        cards.text(
            "You have a role in more than one open inspection. Choose the one this chat is "
            "about; I'll remember it for this conversation (type `switch inspection` to change)."
        ),
        {
            "type": "Input.ChoiceSet",
            "id": "inspection_id",
            "style": "expanded",
            "choices": choices,
            "value": choices[0]["value"],
            "isRequired": True,
            "errorMessage": "Choose an inspection",
        },
    ]
    then = then if len(then) <= 500 else ""
    return Reply(
        text="Which inspection is this about?",
        card=cards.card(body, [cards.submit("Use this inspection", CHOOSE_ACTION, then=then)]),
    )
