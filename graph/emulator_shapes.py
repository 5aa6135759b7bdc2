"""The Graph emulator's state and the JSON shapes it answers with (Graph's own field names).

Kept apart from the HTTP routing in `graph/emulator.py`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from graph.emulator_drive import DriveError, EmulatedDrive, Item
from graph.times import iso

MEMBER_TYPE = "#microsoft.graph.aadUserConversationMember"
TENANT_ID = "00000000-0000-4000-8000-0000000e0001"
JsonDict = dict[str, Any]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # decoded, after /v1.0
    query: str
    status: int


@dataclass
class Fault:
    """Answer matching requests with `status` (`times` times; None: until cleared)."""

    status: int
    method: str | None = None
    path: str = ".*"  # regex searched in the decoded path
    times: int | None = 1
    retry_after: int | None = None
    code: str = ""

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and re.search(
            self.path, path
        ) is not None


@dataclass
class User:
    id: str
    display_name: str
    email: str


@dataclass
class Membership:
    id: str
    user: User
    roles: list[str]


@dataclass
class EmulatedChannel:
    id: str
    display_name: str
    description: str
    membership_type: str
    drive: EmulatedDrive
    created: datetime
    members: list[Membership] = field(default_factory=list)
    folder_id: str | None = None
    provisioning_404s_left: int = 0


@dataclass
class EmulatedTeam:
    id: str
    display_name: str
    drive: EmulatedDrive
    members: list[Membership] = field(default_factory=list)
    channels: dict[str, EmulatedChannel] = field(default_factory=dict)


@dataclass
class EmulatedSubscription:
    id: str
    resource: str
    drive_id: str
    notification_url: str
    client_state: str | None
    expires: datetime
    notified_seq: int
    lifecycle_url: str | None = None


def member_json(membership: Membership) -> JsonDict:
    return {
        "@odata.type": MEMBER_TYPE,
        "id": membership.id,
        "roles": membership.roles,
        "displayName": membership.user.display_name,
        "userId": membership.user.id,
        "email": membership.user.email,
        "tenantId": TENANT_ID,
    }


def channel_json(channel: EmulatedChannel) -> JsonDict:
    return {
        "id": channel.id,
        "displayName": channel.display_name,
        "description": channel.description or None,
        "membershipType": channel.membership_type,
        "createdDateTime": iso(channel.created),
        "webUrl": f"https://teams.microsoft.com/l/channel/{quote(channel.id, safe='')}/"
        f"{quote(channel.display_name)}",
    }


def item_json(drive: EmulatedDrive, item: Item, web_root: str, *, delta: bool = False) -> JsonDict:
    parent: JsonDict = {"driveId": drive.drive_id, "driveType": "documentLibrary"}
    if item.parent_id:
        parent["id"] = drive.root_id if item.parent_id == drive.root_id else item.parent_id
    if item.deleted:
        data: JsonDict = {
            "id": item.id,
            "parentReference": parent,
            "deleted": {"state": "deleted"},
        }
        data["folder" if item.is_folder else "file"] = {}
        return data
    rel = drive.rel_path(item)
    if not delta and item.parent_id:
        parent_rel = drive.rel_path(drive.items[item.parent_id])
        parent["path"] = f"/drives/{drive.drive_id}/root:" + (
            f"/{parent_rel}" if parent_rel else ""
        )
    data = {
        "id": item.id,
        "name": item.name if item.parent_id else "root",
        "eTag": f'"{{{item.id}}},{item.version}"',
        "cTag": f'"c:{{{item.id}}},{item.content_version}"',
        "createdDateTime": iso(item.created),
        "lastModifiedDateTime": iso(item.modified),
        "size": item.size,
        "webUrl": f"{web_root}/sites/{drive.drive_id}/{quote(rel)}",
        "parentReference": parent,
        "lastModifiedBy": {
            "user": {"id": item.modified_by.id, "displayName": item.modified_by.display_name}
        },
    }
    if item.is_folder:
        data["folder"] = {"childCount": drive.live_children_count(item)}
    else:
        data["file"] = {"mimeType": drive.mime_type(item.name)}
    if item.parent_id is None:
        data["root"] = {}
    return data


def subscription_json(subscription: EmulatedSubscription) -> JsonDict:
    return {
        "id": subscription.id,
        "resource": subscription.resource,
        "changeType": "updated",
        "notificationUrl": subscription.notification_url,
        "lifecycleNotificationUrl": subscription.lifecycle_url,
        "expirationDateTime": iso(subscription.expires),
        "clientState": subscription.client_state,
    }


def error_response(status: int, code: str, message: str) -> web.Response:
    body = {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": iso(datetime.now(UTC)),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return web.json_response(body, status=status)


async def json_body(request: web.Request) -> JsonDict:
    try:
        body = await request.json()
    except ValueError:
        raise DriveError(400, "BadRequest", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise DriveError(400, "BadRequest", "The request body must be a JSON object.")
    return body
