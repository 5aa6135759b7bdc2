"""Who is asking about a request and what they may see of it (9.7): in a channel or group
chat everybody sees the card, so only a personal chat with an inspector shows inspectors-only
notes and the inspectors' buttons."""

from __future__ import annotations

from typing import Any

from bot.features.information_requests.cards import Viewer, request_card
from bot.router import Turn
from bot.services import Services
from inspection.model import INSPECTOR_ROLES, PROVIDER_ROLES
from inspection.requests import Audience, InformationRequest, Person


def person(turn: Turn) -> Person:
    return Person(turn.user.aad_object_id or "", turn.user.name)


def audience(turn: Turn) -> Audience:
    # A channel or group chat is seen by provider staff too.
    return "inspectors" if turn.kind == "personal" and turn.role in INSPECTOR_ROLES else "provider"


def viewer(turn: Turn) -> Viewer:
    # Only a personal chat has one known reader; a channel's card is for everyone in it.
    if turn.kind != "personal":
        return "everyone"
    if turn.role in INSPECTOR_ROLES:
        return "inspector"
    return "provider" if turn.role in PROVIDER_ROLES else "observer"


def card_for(
    turn: Turn, services: Services, request: InformationRequest, heading: str | None = None
) -> dict[str, Any]:
    """The request's card as the turn's reader may see it."""
    inspection = turn.require_inspection()
    return request_card(
        request.for_audience(audience(turn)),
        zone=services.requests.framework_of(inspection).zone,
        today=services.requests.today(inspection),
        heading=heading,
        viewer=viewer(turn),
    )
