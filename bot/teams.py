"""The Teams activity handler: activity in -> `Turn` -> router -> `Reply` -> activity out.

This is the one place that sends replies. It also stores a conversation reference on every
turn and on install (so the scheduler can post after a restart), and forgets it on removal.
"""

from __future__ import annotations

import asyncio
import html
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any, NamedTuple, TypeVar

from botbuilder.core import CardFactory, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)
from msrest.exceptions import HttpOperationError

import metrics
from bot import cards
from bot.router import (
    UNAVAILABLE_REPLY,
    Attachment,
    ConversationKind,
    Mention,
    Reply,
    Router,
    Turn,
    User,
)
from bot.services import Services
from dialogs.runner import DialogRunner
from inspection.conversations import ConversationRef
from inspection.errors import Unavailable

log = logging.getLogger("bot.teams")
T = TypeVar("T")

# Teams throttles per conversation; these statuses are worth retrying (with backoff + jitter).
RETRY_STATUSES = frozenset({412, 429, 502, 504})
MAX_SEND_ATTEMPTS = 4
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


@dataclass(frozen=True)
class Person:
    """A Teams user resolved to their Entra object id (from an @mention)."""

    teams_id: str
    aad_object_id: str
    name: str
    email: str | None = None


class InspectionBot(TeamsActivityHandler):  # type: ignore[misc]
    def __init__(
        self,
        router: Router,
        services: Services,
        *,
        retry_base_seconds: float = 0.5,
        dialogs: DialogRunner | None = None,
    ) -> None:
        self.router = router
        self.services = services
        # Multi-turn dialogs and the follow-up questions' state, in the database (dialogs/).
        self.dialogs = dialogs
        if dialogs is not None:
            dialogs.attach(self)
        self._retry_base = retry_base_seconds
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
        ) and not _bot_removed(activity):
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
        key = _reference_key(activity)
        cached = self._saved.get(root_conversation_id(activity))
        now = time.monotonic()
        # Unchanged references are rewritten now and then, so that a row removed by another
        # instance (or by hand) comes back without a restart.
        fresh = not force and cached is not None and now - cached.saved_at < RESAVE_SECONDS
        if fresh and cached is not None and cached.key == key:
            return  # the same inputs make the same reference: not even built (issue 7)
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
            window = INSTALL_PAIR_SECONDS if event == "installation" else GREETING_WINDOW_SECONDS
            if now - when < window and (event == "members" or by == "members"):
                return
        if len(self._greeted) > MEMBERS_CACHE_SIZE:
            self._greeted.clear()
        self._greeted[key] = (now, event)
        await self.send(turn_context, welcome_reply(turn_context.activity, self.router), None)

    async def _forget(self, activity: Activity) -> None:
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

    # --- messages and card buttons -----------------------------------------------------------
    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = self.to_turn(turn_context)
        if self.dialogs is not None and turn.user.teams_id:
            # --- dialogs: a waiting dialog takes the message; follow-ups are kept in the state
            try:
                await self.dialogs.load(turn_context)
            except Unavailable:
                await turn_context.send_activity(UNAVAILABLE_REPLY)
                return
            turn = replace(turn, follow_ups=self.dialogs.follow_ups(turn_context))
            if await self.dialogs.continue_turn(turn_context, turn):
                return
        reply = await self.router.dispatch(turn)
        await self.send(turn_context, reply, turn.card_activity_id)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        # 4.17: the base class's on_adaptive_card_invoke serialises twice under CloudAdapter
        # (500), so Action.Execute is answered here and serialised once, by bot/web.py.
        activity = turn_context.activity
        if activity.name == "composeExtension/submitAction":
            return await self._message_action(turn_context)
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        value: dict[str, Any] = activity.value if isinstance(activity.value, dict) else {}
        action: dict[str, Any] = _dict(value.get("action"))
        data: dict[str, Any] = dict(_dict(action.get("data")))
        verb = action.get("verb")
        if isinstance(verb, str) and verb:
            data["action"] = verb
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
            await self.send(turn_context, extra, None)
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    async def _message_action(self, turn_context: TurnContext) -> InvokeResponse:
        """A message action (e.g. "Log as information request" on a channel message): routed
        as the card action named by its commandId, with the message in `turn.data`. The reply
        text answers the action's dialog; a card in the reply is posted to the conversation."""
        value = _dict(turn_context.activity.value)
        data = message_action_data(value)
        turn = replace(self.to_turn(turn_context), data=data, text="")
        reply = await self.router.dispatch(turn)
        if reply.card is not None:
            await self.send(turn_context, Reply(text=reply.text, card=reply.card), None)
        for extra in reply.more:
            await self.send(turn_context, extra, None)
        body = {"task": {"type": "message", "value": (reply.text or "Done.")[:1000]}}
        return InvokeResponse(status=int(HTTPStatus.OK), body=body)

    # --- install, uninstall, membership ------------------------------------------------------
    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._greet(turn_context, "installation")

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._forget(turn_context.activity)

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
            await self._forget(activity)
        elif added:
            await self._greet(turn_context, "members")

    # --- conversion --------------------------------------------------------------------------
    def to_turn(self, turn_context: TurnContext) -> Turn:
        activity = turn_context.activity
        kind = conversation_kind(activity)
        data = activity.value if isinstance(activity.value, dict) else None
        text, mentions = strip_bot_mention(activity)

        async def progress(message: str) -> None:
            await self.send(turn_context, Reply(text=message), None)

        async def resolve_member(teams_id: str) -> Person | None:
            return await self._resolve_member(turn_context, teams_id)

        async def post_to_channel(team_id: str, channel_id: str, reply: Reply) -> str | None:
            return await self._post_to_channel(turn_context, team_id, channel_id, reply)

        async def conversation_members() -> frozenset[str] | None:
            return await self._conversation_members(turn_context)

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
            extras={
                "resolve_member": resolve_member,
                "post_to_channel": post_to_channel,
                "conversation_members": conversation_members,
            },
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
            members = await self._with_retry(lambda: TeamsInfo.get_members(turn_context))
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
            member = await self._with_retry(lambda: TeamsInfo.get_member(turn_context, teams_id))
        except HttpOperationError as exc:
            if _status(exc) == 404:
                return None
            raise Unavailable(
                "I couldn't look that person up in Teams just now; try again in a minute."
            ) from exc
        if member is None or not member.aad_object_id:
            return None
        return Person(
            teams_id=teams_id,
            aad_object_id=member.aad_object_id,
            name=member.name or "",
            email=getattr(member, "email", None) or getattr(member, "user_principal_name", None),
        )

    async def _post_to_channel(
        self, turn_context: TurnContext, team_id: str, channel_id: str, reply: Reply
    ) -> str | None:
        """A new thread in another channel (adapter.create_conversation; TeamsInfo's helper
        needs an app id)."""
        activity = to_activity(reply)
        parameters = ConversationParameters(
            is_group=True,
            channel_data={"channel": {"id": channel_id}, "team": {"id": team_id}},
            activity=activity,
        )
        incoming = turn_context.activity
        posted: dict[str, str | None] = {}

        async def remember(context: TurnContext) -> None:
            posted["id"] = context.activity.id if context.activity else None

        await self._with_retry(
            lambda: turn_context.adapter.create_conversation(
                incoming.recipient.id if incoming.recipient else "",
                remember,
                parameters,
                incoming.channel_id,
                incoming.service_url,
                None,
            )
        )
        # The bot can post there, so the scheduler can too from now on: keep the reference.
        await self._remember_channel(incoming, team_id, channel_id)
        return posted.get("id")

    async def _remember_channel(self, incoming: Activity, team_id: str, channel_id: str) -> None:
        tenant = channel_data(incoming).get("tenant_id")
        reference: ConversationReference = TurnContext.get_conversation_reference(incoming)
        reference.conversation = ConversationAccount(
            id=channel_id, is_group=True, conversation_type="channel", tenant_id=tenant
        )
        reference.activity_id = None
        reference.user = None
        ref = ConversationRef(
            conversation_id=channel_id,
            kind="channel",
            service_url=incoming.service_url,
            tenant_id=tenant,
            channel_id=channel_id,
            team_id=team_id,
            reference=reference.serialize(),
        )
        await self.services.conversations.save(ref)
        self._saved[channel_id] = _Saved(None, ref, time.monotonic())

    # --- the one place that sends ------------------------------------------------------------
    async def send(
        self, turn_context: TurnContext, reply: Reply, card_activity_id: str | None
    ) -> None:
        if reply.private:
            await self._send_private(turn_context, reply)
            return
        target = reply.update_activity_id or (card_activity_id if reply.update else None)
        if target and (reply.card is not None or reply.text is not None):
            activity = to_activity(reply)
            activity.id = target
            try:
                await self._with_retry(lambda: turn_context.update_activity(activity))
            except HttpOperationError as exc:
                # The card may be gone (deleted, too old): post it afresh instead.
                log.warning("update in place failed; posting anew", extra={"status": _status(exc)})
                await self._with_retry(lambda: turn_context.send_activity(to_activity(reply)))
        elif reply.card is not None or reply.text is not None:
            await self._with_retry(lambda: turn_context.send_activity(to_activity(reply)))
        if reply.dialog is not None:
            await self._begin_dialog(turn_context, reply)
        for extra in reply.more:
            await self.send(turn_context, extra, None)

    async def _begin_dialog(self, turn_context: TurnContext, reply: Reply) -> None:
        start = reply.dialog
        assert start is not None
        activity = turn_context.activity
        if self.dialogs is None or activity.from_property is None:
            if start.instead:
                await self._with_retry(lambda: turn_context.send_activity(start.instead))
            return
        await self.dialogs.begin(turn_context, start)

    async def _send_private(self, turn_context: TurnContext, reply: Reply) -> None:
        """Into the sender's personal chat with the bot (created if there is none yet)."""
        incoming = turn_context.activity
        sender = incoming.from_property
        tenant = channel_data(incoming).get("tenant_id")
        parameters = ConversationParameters(
            is_group=False,
            bot=incoming.recipient,
            members=[ChannelAccount(id=sender.id if sender else "")],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}} if tenant else None,
        )
        public = replace(reply, private=False)

        async def deliver(context: TurnContext) -> None:
            # The new chat's first turn carries no sender; a dialog started there is theirs.
            if context.activity.from_property is None:
                context.activity.from_property = sender
            await self.send(context, public, None)

        try:
            await self._with_retry(
                lambda: turn_context.adapter.create_conversation(
                    incoming.recipient.id if incoming.recipient else "",
                    deliver,
                    parameters,
                    incoming.channel_id,
                    incoming.service_url,
                    None,
                )
            )
        except HttpOperationError:
            log.warning("could not open a personal chat", exc_info=True)
            await turn_context.send_activity(
                "I couldn't reach you in a personal chat. Open a chat with me in Teams and ask "
                "there."
            )

    async def _with_retry(self, call: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, MAX_SEND_ATTEMPTS + 1):
            try:
                return await call()
            except HttpOperationError as exc:
                status = _status(exc)
                if status not in RETRY_STATUSES or attempt == MAX_SEND_ATTEMPTS:
                    raise
                metrics.CONNECTOR_RETRIES.labels(status=str(status)).inc()
                delay = _retry_after(exc) or self._retry_base * 2 ** (attempt - 1)
                await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
        raise AssertionError("unreachable")


# --- helpers (pure functions of the activity) ------------------------------------------------
def _bot_removed(activity: Activity) -> bool:
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").startswith("remove")
    bot_id = activity.recipient.id if activity.recipient else None
    return any(member.id == bot_id for member in activity.members_removed or [])


def conversation_kind(activity: Activity) -> ConversationKind:
    kind = (activity.conversation.conversation_type if activity.conversation else None) or ""
    if kind == "channel":
        return "channel"
    if kind == "groupChat":
        return "groupChat"
    return "personal"


def channel_data(activity: Activity) -> dict[str, str]:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    found: dict[str, str] = {}
    for key, out in (("channel", "channel_id"), ("team", "team_id"), ("tenant", "tenant_id")):
        part = data.get(key)
        if isinstance(part, dict) and isinstance(part.get("id"), str):
            found[out] = part["id"]
    if "tenant_id" not in found and activity.conversation and activity.conversation.tenant_id:
        found["tenant_id"] = activity.conversation.tenant_id
    return found


def root_conversation_id(activity: Activity) -> str:
    """A channel thread's id without ";messageid=...": the channel itself."""
    conversation_id = (activity.conversation.id if activity.conversation else None) or ""
    return conversation_id.split(";messageid=")[0]


class _Saved(NamedTuple):
    """A conversation reference this process stored, and what it was built from."""

    key: tuple[object, ...] | None
    ref: ConversationRef
    saved_at: float


def _model_key(model: object) -> tuple[tuple[str, object], ...] | None:
    """A msrest model's own values, comparable and hashable, without serialising it."""
    if model is None:
        return None
    return tuple(
        (name, value if isinstance(value, (str, int, float, bool, type(None))) else repr(value))
        for name, value in sorted(vars(model).items())
    )


def _reference_key(activity: Activity) -> tuple[object, ...]:
    """Everything `conversation_ref` reads from the activity (the conversation by its root id,
    since a channel message's id carries the message): equal keys, equal references."""
    conversation = _model_key(activity.conversation)
    return (
        root_conversation_id(activity),
        tuple(item for item in conversation or () if item[0] != "id"),
        _model_key(activity.from_property),
        _model_key(activity.recipient),
        activity.service_url,
        activity.channel_id,
        activity.locale,
        tuple(sorted(channel_data(activity).items())),
    )


def conversation_ref(activity: Activity) -> ConversationRef | None:
    if not activity.conversation or not activity.conversation.id or not activity.service_url:
        return None
    kind = conversation_kind(activity)
    channel = channel_data(activity)
    reference: ConversationReference = TurnContext.get_conversation_reference(activity)
    root = root_conversation_id(activity)
    if reference.conversation is not None:
        reference.conversation.id = root
    reference.activity_id = None
    sender = activity.from_property
    return ConversationRef(
        conversation_id=root,
        kind=kind,
        service_url=activity.service_url,
        tenant_id=channel.get("tenant_id"),
        aad_object_id=(sender.aad_object_id if sender else None) if kind == "personal" else None,
        channel_id=(channel.get("channel_id") or root) if kind == "channel" else None,
        team_id=channel.get("team_id"),
        reference=reference.serialize(),
    )


_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def strip_bot_mention(activity: Activity) -> tuple[str, tuple[Mention, ...]]:
    """The text without the bot's @mention, and the other people mentioned."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    mentions: list[Mention] = []
    for entity in activity.entities or []:
        data = {
            **(getattr(entity, "additional_properties", None) or {}),
            "type": getattr(entity, "type", None),
        }
        if str(data.get("type", "")).lower() != "mention":
            continue
        mentioned = _dict(data.get("mentioned"))
        markup = _str(data.get("text"))
        who = _str(mentioned.get("id"))
        if who and who == bot_id:
            if markup:
                text = text.replace(markup, " ")
        elif who:
            name = _str(mentioned.get("name"))
            mentions.append(Mention(teams_id=who, name=name, text=markup or f"<at>{name}</at>"))
    # Teams puts HTML entities in text ("&nbsp;"); a message sent as HTML may carry tags.
    text = html.unescape(text).replace("\u00a0", " ")
    if "<" in text and "</" in text and not _AT.search(text):
        text = _TAGS.sub(" ", text)
    return " ".join(text.split()), tuple(mentions)


def attachments_of(activity: Activity) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for item in activity.attachments or []:
        content_type = item.content_type or ""
        if content_type.startswith("text/html"):
            continue  # Teams' copy of the message itself
        content = item.content if isinstance(item.content, dict) else None
        url = item.content_url or (content or {}).get("downloadUrl")
        found.append(
            Attachment(
                name=item.name or "",
                content_type=content_type,
                content_url=url if isinstance(url, str) else None,
                content=content,
            )
        )
    return tuple(found)


def message_action_data(value: dict[str, Any]) -> dict[str, Any]:
    """The data a message action carries: its command id as the router action, and the
    message it was used on (text without HTML, id, link, author)."""
    payload = _dict(value.get("messagePayload"))
    body = _dict(payload.get("body"))
    content = _str(body.get("content"))
    if _str(body.get("contentType")).lower() == "html" or ("<" in content and ">" in content):
        content = re.sub(r"<br\s*/?>|</p>|</div>", "\n", content, flags=re.IGNORECASE)
        content = html.unescape(_TAGS.sub("", content)).replace("\u00a0", " ")
        content = "\n".join(line.strip() for line in content.splitlines()).strip()
    user = _dict(_dict(payload.get("from")).get("user"))
    return {
        "action": _str(value.get("commandId")) or "message_action",
        "message_text": content,
        "message_id": _str(payload.get("id")),
        "message_url": _str(payload.get("linkToMessage")),
        "message_author_id": _str(user.get("aadObjectId") or user.get("id")),
        "message_author_name": _str(user.get("displayName")),
    }


def to_activity(reply: Reply) -> Activity:
    if reply.card is not None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(reply.card))
        if reply.text:
            activity.summary = reply.text[:200]
        return activity
    return MessageFactory.text(reply.text or "")


def welcome_reply(activity: Activity, router: Router) -> Reply:
    """The greeting when the bot joins a team, chat or personal scope. Teams gives bots no way
    to pin a channel message, so an inspection's welcome card is the channel's first post."""
    lines = [
        "Hello, I'm the inspection bot. I keep the paperwork of an inspection in one place: "
        "the required documents, information requests, deadlines and reminders."
    ]
    if conversation_kind(activity) == "channel":
        lines.append(
            "Lead inspectors: mention me with `new inspection` to set one up. Everyone: mention "
            "me with `help` to see what I can do."
        )
    else:
        lines.append("Type `help` to see what I can do, or `status` for your inspection.")
    body = [cards.title("Inspection bot"), *(cards.text(line) for line in lines)]
    actions = [cards.submit("Show help", "help")] if router.has_action("help") else None
    return Reply(text=" ".join(lines), card=cards.card(body, actions))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _status(exc: HttpOperationError) -> int | None:
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return int(status) if isinstance(status, int) else None


def _retry_after(exc: HttpOperationError) -> float | None:
    response = getattr(exc, "response", None)
    headers: Any = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return min(float(value), 30.0) if value is not None else None
    except (TypeError, ValueError):
        return None
