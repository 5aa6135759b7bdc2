"""BotHarness: the real aiohttp app, activities as Teams sends them, replies read back from a
FakeConnector. Use it through the `bot` fixture in tests/e2e/conftest.py:

    async def test_status(bot: BotHarness) -> None:
        inspection = await bot.inspection()                 # stored, with the usual people
        sent = await bot.say("status", as_=LEAD, where="channel")
        assert "Uploads due" in sent[0].all_text

`say` returns what the bot sent during that turn; `submit`/`invoke` press a card button.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from aiohttp.test_utils import TestClient

from bot.services import Services
from inspection.model import Channel, Inspection, InspectionStatus, Member, Role
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.payloads import load

Sent = ConnectorCall

Where = Literal["channel", "personal", "groupChat", "other-channel"]

BOT_ID = "28:bot-app-id"
TEAM_ID = "19:team-general@thread.tacv2"
CHANNEL_ID = "19:inspection-channel@thread.tacv2"
OTHER_CHANNEL_ID = "19:another-channel@thread.tacv2"


@dataclass(frozen=True)
class Person:
    teams_id: str
    aad_object_id: str
    name: str

    def member(self, role: Role) -> Member:
        return Member(self.aad_object_id, role, self.name)

    @property
    def email(self) -> str:
        return f"{self.teams_id[3:]}@example.org"


def content(call: ConnectorCall) -> str:
    """A sent activity's text, summary and every string in its cards, to assert by content."""
    parts: list[str] = [call.text or "", str(call.body.get("summary") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, str):
            parts.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(call.cards)
    return "\n".join(p for p in parts if p)


LEAD = Person("29:1lead-teams-id", "00000000-0000-4000-8000-00000000a001", "Test Lead")
INSPECTOR = Person("29:1insp-teams-id", "00000000-0000-4000-8000-00000000a002", "Test Inspector")
LINK = Person("29:1link-teams-id", "00000000-0000-4000-8000-00000000b001", "Test Link")
DIRECTOR = Person("29:1dir-teams-id", "00000000-0000-4000-8000-00000000b002", "Test Director")
OUTSIDER = Person("29:1out-teams-id", "00000000-0000-4000-8000-00000000c001", "Test Outsider")
EVERYONE = (LEAD, INSPECTOR, LINK, DIRECTOR, OUTSIDER)


@dataclass
class BotHarness:
    client: TestClient[Any, Any]
    connector: FakeConnector
    services: Services
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- data --------------------------------------------------------------------------------
    async def inspection(
        self,
        *,
        service_name: str = "Children's Residential Service",
        onsite_start: date = date(2026, 3, 23),
        onsite_end: date = date(2026, 3, 27),
        notice: date | None = date(2026, 2, 23),
        channel_id: str | None = CHANNEL_ID,
        inspection_type: str = "full",
        members: tuple[Member, ...] | None = None,
    ) -> Inspection:
        """Store an inspection (JCC full by default) with the usual people, in CHANNEL_ID."""
        inspection, _ = await self.services.inspections.create(
            framework="jcc-children-social-care",
            inspection_type=inspection_type,
            service_name=service_name,
            onsite_start=onsite_start,
            onsite_end=onsite_end,
            notice=notice,
            members=members
            if members is not None
            else (
                LEAD.member(Role.LEAD_INSPECTOR),
                INSPECTOR.member(Role.INSPECTOR),
                LINK.member(Role.LINK_OFFICER),
                DIRECTOR.member(Role.DIRECTOR),
            ),
            allow_late_notice=True,
        )
        if channel_id is not None:
            inspection = await self.services.repository.update(
                replace(
                    inspection,
                    channel=Channel(TEAM_ID, channel_id),
                    status=InspectionStatus.ACTIVE,
                )
            )
        return inspection

    # --- activities --------------------------------------------------------------------------
    def activity(
        self,
        text: str | None,
        *,
        as_: Person = LEAD,
        where: Where = "personal",
        mentions: tuple[Person, ...] = (),
        mention_bot: bool = True,
    ) -> dict[str, Any]:
        if where in ("channel", "other-channel"):
            payload = load("channel_message")
            channel = CHANNEL_ID if where == "channel" else OTHER_CHANNEL_ID
            payload["conversation"]["id"] = f"{channel};messageid={next(self._ids)}"
            payload["channelData"]["channel"]["id"] = channel
            payload["channelData"]["teamsChannelId"] = channel
            if not mention_bot:
                payload["entities"] = [e for e in payload["entities"] if e.get("type") != "mention"]
            prefix = "<at>Inspection bot</at> " if mention_bot else ""
        else:
            payload = load("personal_message")
            payload["conversation"]["id"] = f"a:1personal-{as_.teams_id}"
            if where == "groupChat":
                payload["conversation"] = {
                    "conversationType": "groupChat",
                    "isGroup": True,
                    "tenantId": "tenant-1",
                    "id": "19:group-chat@thread.v2",
                }
            prefix = ""
        payload["id"] = f"msg-{next(self._ids)}"
        payload["serviceUrl"] = self.connector.url
        payload["from"] = {"id": as_.teams_id, "name": as_.name, "aadObjectId": as_.aad_object_id}
        if text is None:
            payload.pop("text", None)
        else:
            for person in mentions:
                payload.setdefault("entities", []).append(
                    {
                        "type": "mention",
                        "mentioned": {"id": person.teams_id, "name": person.name},
                        "text": f"<at>{person.name}</at>",
                    }
                )
            payload["text"] = prefix + text
        return payload

    async def post(self, payload: Any, *, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """POST raw JSON (or bytes) to /api/messages; returns (status, parsed body or None)."""
        send_headers = {"Content-Type": "application/json", **(headers or {})}
        if isinstance(payload, bytes | str):
            response = await self.client.post("/api/messages", data=payload, headers=send_headers)
        else:
            response = await self.client.post("/api/messages", json=payload, headers=send_headers)
        body: Any = None
        if response.content_type == "application/json":
            body = await response.json()
        return response.status, body

    def since(self, mark: int) -> list[Sent]:
        """What the connector accepted after `mark` (= len(connector.calls) earlier)."""
        return [
            c for c in self.connector.calls[mark:] if c.status < 300 and c.method in ("POST", "PUT")
        ]

    async def send(self, payload: dict[str, Any]) -> list[Sent]:
        """Post an activity; assert it was accepted; return what the bot sent meanwhile."""
        mark = len(self.connector.calls)
        status, body = await self.post(payload)
        assert status in (200, 201), (status, body)
        return self.since(mark)

    async def say(
        self,
        text: str,
        *,
        as_: Person = LEAD,
        where: Where = "personal",
        mentions: tuple[Person, ...] = (),
    ) -> list[Sent]:
        return await self.send(self.activity(text, as_=as_, where=where, mentions=mentions))

    async def submit(
        self,
        data: dict[str, Any],
        *,
        as_: Person = LEAD,
        where: Where = "personal",
        reply_to: str | None = "card-activity-1",
    ) -> list[Sent]:
        """Press an Action.Submit button whose data is `data`."""
        payload = self.activity(None, as_=as_, where=where)
        payload["value"] = data
        payload["entities"] = []
        if reply_to:
            payload["replyToId"] = reply_to
        return await self.send(payload)

    async def invoke(
        self, verb: str, data: dict[str, Any], *, as_: Person = LEAD, where: Where = "personal"
    ) -> tuple[int, Any, list[Sent]]:
        """Press an Action.Execute button; returns (HTTP status, invoke response, sent)."""
        payload = load("invoke_action")
        base = self.activity(None, as_=as_, where=where)
        for key in ("conversation", "from", "channelData", "serviceUrl"):
            payload[key] = base[key]
        payload["value"]["action"]["verb"] = verb
        payload["value"]["action"]["data"] = data
        mark = len(self.connector.calls)
        status, body = await self.post(payload)
        return status, body, self.since(mark)

    @staticmethod
    def texts(sent: list[Sent]) -> str:
        return "\n".join(content(s) for s in sent)
