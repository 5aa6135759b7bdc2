"""Pure functions of an incoming activity: who, where, what was said, what it carries.

Nothing here sends or stores; `bot/teams.py` turns an activity into a `Turn` with these, and
`bot/sender.py` finds the conversation a reply belongs to.
"""

from __future__ import annotations

import html
import re
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes, ConversationAccount, ConversationReference

from bot.router import Attachment, ConversationKind, Mention
from inspection.conversations import ConversationRef

# Attachments that are files: a file uploaded in a personal chat (its bytes behind a short-lived
# `downloadUrl`) and a reference to a file shared in a channel.
TEAMS_FILE_DOWNLOAD = "application/vnd.microsoft.teams.file.download.info"
TEAMS_FILE_REFERENCE = "reference"
TEAMS_FILE_TYPES = (TEAMS_FILE_DOWNLOAD, TEAMS_FILE_REFERENCE)


def bot_removed(activity: Activity) -> bool:
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
    """The Teams channel, team and tenant ids the activity names (each only when present).

    Read field by field rather than with botbuilder's `teams_get_channel_id` and
    `teams_get_team_info`: those deserialise all of `channelData` and raise on any odd field
    in it (a `tenant` that is a string), which would turn one bad field into a failed turn
    (tests/e2e/test_malformed.py)."""
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
    return root_conversation((activity.conversation.id if activity.conversation else None) or "")


def root_conversation(conversation_id: str) -> str:
    """A conversation id without the thread's ";messageid=..." part."""
    return conversation_id.split(";messageid=")[0]


def _model_key(model: object) -> tuple[tuple[str, object], ...] | None:
    """A msrest model's own values, comparable and hashable, without serialising it."""
    if model is None:
        return None
    return tuple(
        (name, value if isinstance(value, (str, int, float, bool, type(None))) else repr(value))
        for name, value in sorted(vars(model).items())
    )


def reference_key(activity: Activity) -> tuple[object, ...]:
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


def _reference(activity: Activity) -> ConversationReference:
    """botbuilder's reference to the activity's conversation, for proactive posts later: the
    root conversation (not one thread of a channel), no particular message."""
    reference: ConversationReference = TurnContext.get_conversation_reference(activity)
    if reference.conversation is not None:
        reference.conversation.id = root_conversation_id(activity)
    reference.activity_id = None
    return reference


def conversation_ref(activity: Activity) -> ConversationRef | None:
    """The stored reference to the conversation this activity came from."""
    if not activity.conversation or not activity.conversation.id or not activity.service_url:
        return None
    kind = conversation_kind(activity)
    channel = channel_data(activity)
    reference = _reference(activity)
    root = root_conversation_id(activity)
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


def channel_ref(incoming: Activity, team_id: str, channel_id: str) -> ConversationRef:
    """The stored reference to another channel of the team the activity came from (where the
    bot just opened a thread), for proactive posts there."""
    tenant = channel_data(incoming).get("tenant_id")
    reference = _reference(incoming)
    reference.conversation = ConversationAccount(
        id=channel_id, is_group=True, conversation_type="channel", tenant_id=tenant
    )
    reference.user = None
    return ConversationRef(
        conversation_id=channel_id,
        kind="channel",
        service_url=incoming.service_url,
        tenant_id=tenant,
        channel_id=channel_id,
        team_id=team_id,
        reference=reference.serialize(),
    )


_AT = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def strip_bot_mention(activity: Activity) -> tuple[str, tuple[Mention, ...]]:
    """The text without the bot's @mention, and the other people mentioned.

    Not botbuilder's `TurnContext.remove_recipient_mention`: it removes every occurrence of the
    bot's display name from the text, not only the mention ("... the minutes the Inspection
    bot was sent" loses words; tests/bot/test_activities.py)."""
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


def execute_action_data(value: object) -> dict[str, Any]:
    """The data of an `Action.Execute` press, with its verb as the router action."""
    action = _dict(_dict(value).get("action"))
    data: dict[str, Any] = dict(_dict(action.get("data")))
    verb = action.get("verb")
    if isinstance(verb, str) and verb:
        data["action"] = verb
    return data


# The router action a file consent card's answer is routed as (fileConsent/invoke).
FILE_CONSENT_ACTION = "file_consent"


def file_consent_data(value: object) -> dict[str, Any]:
    """What a person's answer to a file consent card carries: accept or decline, the card's
    own context, and where to upload the file when accepted."""
    value = _dict(value)
    return {
        "action": FILE_CONSENT_ACTION,
        "consent": _str(value.get("action")),
        "context": _dict(value.get("context")),
        "upload_info": _dict(value.get("uploadInfo")),
    }


def message_action_data(value: object) -> dict[str, Any]:
    """The data a message action carries: its command id as the router action, and the
    message it was used on (text without HTML, id, link, author)."""
    value = _dict(value)
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


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
