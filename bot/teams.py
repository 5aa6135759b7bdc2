"""The Teams activity handler: activity in -> `Turn` -> router -> `Reply` -> `bot.sender`.

It also stores a conversation reference on every
turn and on install (so the scheduler can post after a restart), and forgets it on removal.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from http import HTTPStatus
from typing import Any, NamedTuple, Protocol

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
)

from bot.activities import (
    attachments_of,
    bot_removed,
    channel_data,
    channel_ref,
    conversation_kind,
    conversation_ref,
    execute_action_data,
    file_consent_data,
    message_action_data,
    reference_key,
    root_conversation_id,
    strip_bot_mention,
)
from bot.router import UNAVAILABLE_REPLY, DialogStart, Event, Reply, Router, Turn, User
from bot.sender import Sender, SendError, say
from bot.services import Services
from inspection.conversations import ConversationRef
from inspection.errors import Unavailable
from inspection.model import Person

log = logging.getLogger("bot.teams")

RESAVE_SECONDS = 600.0
MEMBERS_CACHE_SECONDS = 300.0
MEMBERS_CACHE_SIZE = 5000
CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MESSAGE_CONTENT_TYPE = "application/vnd.microsoft.activity.message"
# Teams announces one install twice (installationUpdate and conversationUpdate membersAdded),
# seconds apart, in either order: the second announcement of the pair does not greet again.
# A new installationUpdate later (a re-install) greets again; a removal forgets the greeting.
GREETING_WINDOW_SECONDS = 600.0
INSTALL_PAIR_SECONDS = 60.0


class Dialogs(Protocol):
    """Multi-turn input (dialogs/runner.py's `DialogRunner`), as the Teams bot drives it."""

    def attach(self, host: Any) -> None: ...

    async def begin(self, context: TurnContext, start: DialogStart) -> None: ...

    async def load(self, context: TurnContext) -> None: ...

    async def continue_turn(self, context: TurnContext, turn: Turn) -> bool: ...

    async def save(self, context: TurnContext) -> None: ...


class InspectionBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        router: Router[Any],
        services: Services,
        sender: Sender,
        *,
        dialogs: Dialogs | None = None,
    ) -> None:
        self.router = router
        self.services = services
        self.sender = sender
        # Multi-turn dialogs and the follow-up questions' state, in the database (dialogs/).
        self.dialogs = dialogs
        if dialogs is not None:
            dialogs.attach(self)
            sender.on_dialog(dialogs.begin)
        # conversation id -> what was last saved and when, so an unchanged reference isn't
        # rewritten on every turn.
        self._saved: dict[str, _Saved] = {}
        # conversation id -> (Entra ids of its members, when listed)
        self._members: dict[str, tuple[frozenset[str], float]] = {}
        # conversation id -> when the greeting was sent there, and which event sent it
        self._greeted: dict[str, tuple[float, str]] = {}

    # --- every turn --------------------------------------------------------------------------
    async def on_turn(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        if activity.type in (ActivityTypes.message, ActivityTypes.invoke):
            await self._remember(activity)
        elif activity.type in (
            ActivityTypes.conversation_update,
            ActivityTypes.installation_update,
        ) and not bot_removed(activity):
            # Install events always write: another instance may have forgotten this chat.
            await self._remember(activity, force=True)
        try:
            await super().on_turn(turn_context)
        finally:
            if self.dialogs is not None:
                await self.dialogs.save(turn_context)

    async def _remember(self, activity: Activity, *, force: bool = False) -> None:
        if not activity.conversation or not activity.conversation.id or not activity.service_url:
            return
        key = reference_key(activity)
        cached = self._saved.get(root_conversation_id(activity))
        now = time.monotonic()
        # Unchanged references are rewritten now and then, so that a row removed by another
        # instance (or by hand) comes back without a restart.
        fresh = not force and cached is not None and now - cached.saved_at < RESAVE_SECONDS
        if fresh and cached is not None and cached.key == key:
            return  # the same inputs make the same reference: not even built
        ref = conversation_ref(activity)
        if ref is None:
            return
        if fresh and cached is not None and cached.ref == ref:
            self._saved[ref.conversation_id] = _Saved(key, ref, cached.saved_at)
            return
        try:
            await self.services.conversations.save(ref)
        except Unavailable:
            # Answering the user matters more; the next turn saves it again.
            log.warning("conversation reference not saved: database unavailable")
            return
        self._saved[ref.conversation_id] = _Saved(key, ref, now)

    async def _greet(self, turn_context: TurnContext, event: str) -> None:
        """The welcome, once per install per conversation (see GREETING_WINDOW_SECONDS).

        `event` is "installation" or "members": an installation greets unless the members
        event of the same install just did; a members event greets unless anything did lately.
        """
        key = root_conversation_id(turn_context.activity)
        now = time.monotonic()
        last = self._greeted.get(key)
        if last is not None:
            when, by = last
            if event == "members" and now - when < GREETING_WINDOW_SECONDS:
                return
            if event == "installation" and by == "members" and now - when < INSTALL_PAIR_SECONDS:
                # The other half of the install the members event just greeted; a further
                # installation after it is a re-install and greets again.
                self._greeted[key] = (when, "paired")
                return
        if len(self._greeted) > MEMBERS_CACHE_SIZE:
            self._greeted.clear()
        self._greeted[key] = (now, event)
        await self._event(turn_context, "installed" if event == "installation" else "members_added")

    async def _event(self, turn_context: TurnContext, event: Event) -> None:
        """An install or removal event, through the router like every other turn."""
        turn = replace(self.to_turn(turn_context), event=event, text="", data=None)
        reply = await self.router.dispatch_event(turn)
        if reply is not None:
            await self.sender.reply(turn_context, reply)

    async def _forget(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        self._greeted.pop(root_conversation_id(activity), None)
        ref = conversation_ref(activity)
        if ref is None:
            return
        self._saved.pop(ref.conversation_id, None)
        await self.services.conversations.forget(ref.conversation_id)
        if ref.team_id:
            await self.services.conversations.forget_team(ref.team_id)
            for key in [k for k, v in self._saved.items() if v.ref.team_id == ref.team_id]:
                self._saved.pop(key, None)
        log.info("bot removed from a conversation", extra={"kind": ref.kind})
        await self._event(turn_context, "removed")

    # --- messages and card buttons -----------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = self.to_turn(turn_context)
        if self.dialogs is not None and turn.user.teams_id:
            # --- dialogs: a waiting dialog takes the message; follow-ups are kept in the state
            try:
                await self.dialogs.load(turn_context)
            except Unavailable:
                await say(turn_context, UNAVAILABLE_REPLY)
                return
            if await self.dialogs.continue_turn(turn_context, turn):
                return
        reply = await self.router.dispatch(turn)
        await self.sender.reply(turn_context, reply, turn.card_activity_id)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        # 4.17: the base class's on_adaptive_card_invoke serialises twice under CloudAdapter
        # (500), so Action.Execute is answered here and serialised once, by bot/web.py.
        activity = turn_context.activity
        if activity.name == "composeExtension/submitAction":
            return await self._message_action(turn_context)
        if activity.name == "fileConsent/invoke":
            # The answer to a file consent card: routed as its action, answered with 200.
            data = file_consent_data(activity.value)
            turn = replace(self.to_turn(turn_context), data=data, text="")
            await self.sender.reply(turn_context, await self.router.dispatch(turn))
            return InvokeResponse(status=int(HTTPStatus.OK))
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        data = execute_action_data(activity.value)
        turn = replace(self.to_turn(turn_context), data=data, text="")
        reply = await self.router.dispatch(turn)
        # A plain dict: the model's `value` only serialises objects, and Teams also accepts a
        # message (a string) as the answer.
        body: dict[str, Any] = {
            "statusCode": 200,
            "type": CARD_CONTENT_TYPE if reply.card is not None else MESSAGE_CONTENT_TYPE,
            "value": reply.card if reply.card is not None else (reply.text or "Done."),
        }
        for extra in reply.more:
            await self.sender.reply(turn_context, extra)
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    async def _message_action(self, turn_context: TurnContext) -> InvokeResponse:
        """A message action (e.g. "Log as information request" on a channel message): routed
        as the card action named by its commandId, with the message in `turn.data`. The reply
        text answers the action's dialog; a card in the reply is posted to the conversation."""
        data = message_action_data(turn_context.activity.value)
        turn = replace(self.to_turn(turn_context), data=data, text="")
        reply = await self.router.dispatch(turn)
        if reply.card is not None:
            await self.sender.reply(turn_context, Reply(text=reply.text, card=reply.card))
        for extra in reply.more:
            await self.sender.reply(turn_context, extra)
        body = {"task": {"type": "message", "value": (reply.text or "Done.")[:1000]}}
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    # --- install, uninstall, membership ------------------------------------------------------
    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._greet(turn_context, "installation")

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._forget(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        event = (
            (activity.channel_data or {}).get("eventType")
            if isinstance(activity.channel_data, dict)
            else None
        )
        added = [m for m in activity.members_added or [] if m.id == bot_id]
        removed = [m for m in activity.members_removed or [] if m.id == bot_id]
        if removed or event in ("teamDeleted", "teamHardDeleted"):
            await self._forget(turn_context)
        elif added:
            await self._greet(turn_context, "members")

    # --- conversion --------------------------------------------------------------------------
    def to_turn(self, turn_context: TurnContext) -> Turn:
        activity = turn_context.activity
        kind = conversation_kind(activity)
        data = activity.value if isinstance(activity.value, dict) else None
        text, mentions = strip_bot_mention(activity)

        async def progress(message: str) -> None:
            await self.sender.reply(turn_context, Reply(text=message))

        sender = activity.from_property or ChannelAccount(id="")
        channel = channel_data(activity)
        return Turn(
            text=text,
            user=User(
                teams_id=sender.id or "",
                aad_object_id=sender.aad_object_id or None,
                name=sender.name or "",
            ),
            conversation_id=root_conversation_id(activity),
            kind=kind,
            channel_id=channel.get("channel_id") if kind == "channel" else None,
            team_id=channel.get("team_id"),
            tenant_id=channel.get("tenant_id"),
            mentions=mentions,
            attachments=attachments_of(activity),
            data=data,
            card_activity_id=activity.reply_to_id if data is not None else None,
            progress=progress,
            teams=_TeamsCalls(self, turn_context),
        )

    async def _conversation_members(self, turn_context: TurnContext) -> frozenset[str] | None:
        """Entra ids of everyone who can read this conversation (a channel: its team), or None
        when Teams cannot say. Cached for a few minutes per conversation."""
        key = root_conversation_id(turn_context.activity)
        cached = self._members.get(key)
        now = time.monotonic()
        if cached is not None and now - cached[1] < MEMBERS_CACHE_SECONDS:
            return cached[0]
        try:
            members = await self.sender.read(lambda: TeamsInfo.get_members(turn_context))
        except Exception:  # fail closed: unknown audience means answer privately
            log.warning("could not list the conversation's members", exc_info=True)
            return None
        found = frozenset(m.aad_object_id for m in members or [] if m.aad_object_id)
        if len(self._members) > MEMBERS_CACHE_SIZE:
            self._members.clear()
        self._members[key] = (found, now)
        return found

    async def _resolve_member(self, turn_context: TurnContext, teams_id: str) -> Person | None:
        try:
            member = await self.sender.read(lambda: TeamsInfo.get_member(turn_context, teams_id))
        except SendError as exc:
            if exc.status == 404:
                return None
            raise Unavailable(
                "I couldn't look that person up in Teams just now; try again in a minute."
            ) from exc
        if member is None or not member.aad_object_id:
            return None
        return Person(
            aad_object_id=member.aad_object_id,
            display_name=member.name or "",
            email=getattr(member, "email", None) or getattr(member, "user_principal_name", None),
        )

    async def _post_to_channel(
        self, turn_context: TurnContext, team_id: str, channel_id: str, reply: Reply
    ) -> str | None:
        """A new thread in another channel; from then on the scheduler can post there too."""
        posted = await self.sender.open_channel_thread(turn_context, team_id, channel_id, reply)
        await self._remember_channel(turn_context.activity, team_id, channel_id)
        return posted

    async def _remember_channel(self, incoming: Activity, team_id: str, channel_id: str) -> None:
        ref = channel_ref(incoming, team_id, channel_id)
        await self.services.conversations.save(ref)
        self._saved[channel_id] = _Saved(None, ref, time.monotonic())


class _Saved(NamedTuple):
    """A conversation reference this process stored, and what it was built from."""

    key: tuple[object, ...] | None
    ref: ConversationRef
    saved_at: float


class _TeamsCalls:
    """`bot.router.TeamsCalls` for one turn."""

    def __init__(self, bot: InspectionBot, turn_context: TurnContext) -> None:
        self._bot = bot
        self._context = turn_context

    async def member(self, teams_id: str) -> Person | None:
        return await self._bot._resolve_member(self._context, teams_id)

    async def members(self) -> frozenset[str] | None:
        return await self._bot._conversation_members(self._context)

    async def post_to_channel(self, team_id: str, channel_id: str, reply: Reply) -> str | None:
        return await self._bot._post_to_channel(self._context, team_id, channel_id, reply)
