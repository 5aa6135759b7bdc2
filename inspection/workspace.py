"""The inspection's place in Teams and its files: the `ChannelWorkspace` port and its neutral types.

The domain asks for a channel, its members and its files in these terms; an adapter (graph/)
does it with Microsoft Graph. Nothing here knows what Graph, a drive item or an HTTP call is.

7.2: the inspectorate sets up a dedicated channel for each inspection, adds the inspection team
and the service's link officer, and the service uploads the required documents into it.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Literal, Protocol

from inspection.errors import ConfigurationError, InspectionError
from inspection.frameworks import Framework
from inspection.model import Channel, Member, Role

MembershipType = Literal["private", "standard"]

# Folders every inspection channel has besides one per required checklist item.
# 7.3: "All requests for information will be contained in one list" (kept here as Excel).
INFORMATION_REQUESTS_FOLDER = "Information requests"
OPTIONAL_DOCUMENTS_FOLDER = "Optional documents"

# Teams limits a channel's display name to 50 characters.
MAX_CHANNEL_NAME = 50
DEFAULT_CHANNEL_NAME_PATTERN = "Inspection - {service} - {month}"
# Characters Teams refuses in channel names and SharePoint in folder names (the channel name
# becomes a folder): ~ # % & * { } + / \ : < > ? | ' " , and control characters; a name may
# not start with "_" or ".", end with ".", or contain "..".
_BAD_NAME_CHARS = re.compile(r'[~#%&*{}+:<>?/\\|\'",\u0000-\u001f]')

# Reports progress to the person waiting ("Setting up files for the channel...").
Progress = Callable[[str], Awaitable[None]]


class FolderPurpose(StrEnum):
    CHECKLIST_ITEM = "checklist_item"
    INFORMATION_REQUESTS = "information_requests"
    OPTIONAL_DOCUMENTS = "optional_documents"


@dataclass(frozen=True)
class FolderSpec:
    """A folder to create in the channel's Files (top level of the channel folder)."""

    name: str
    purpose: FolderPurpose
    # The checklist item whose documents go here (CHECKLIST_ITEM folders only).
    item_key: str | None = None


@dataclass(frozen=True)
class FolderRef:
    """A folder that exists in the channel's Files."""

    name: str
    item_id: str
    web_url: str | None = None
    purpose: FolderPurpose | None = None
    item_key: str | None = None


@dataclass(frozen=True)
class ChannelSetup:
    """What to set up for one inspection (7.2).

    `existing_channel_id` is the channel recorded by an earlier, possibly half-finished, run:
    setup continues with it instead of making another. `taken_channel_ids` are the channels of
    other inspections: a channel found by name among them is never adopted (two inspections of
    one service in the same month get "... (2)"), so no inspection sees another's files.
    """

    team_id: str
    service_name: str
    onsite_start: date
    lead_inspector: str  # Entra object id; owner of a private channel from creation
    members: tuple[Member, ...] = ()
    # None: the directory's configured default (GRAPH_CHANNEL_MEMBERSHIP, private unless set).
    membership_type: MembershipType | None = None
    folders: tuple[FolderSpec, ...] = ()
    description: str = ""
    existing_channel_id: str | None = None
    taken_channel_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ChannelSetupResult:
    team_id: str
    channel_id: str
    display_name: str
    membership_type: MembershipType
    drive_id: str
    folder_id: str
    web_url: str | None
    folders: tuple[FolderRef, ...]
    # What this run did (False everywhere on an idempotent re-run).
    channel_created: bool = False
    folders_created: tuple[str, ...] = ()
    members_added: tuple[str, ...] = ()
    # Things a person should fix (someone who could not be added, ...); setup still worked.
    warnings: tuple[str, ...] = ()

    @property
    def channel(self) -> Channel:
        return Channel(
            team_id=self.team_id,
            channel_id=self.channel_id,
            drive_id=self.drive_id,
            folder_id=self.folder_id,
            web_url=self.web_url,
            membership_type=self.membership_type,
        )

    def folder_for(self, purpose: FolderPurpose, item_key: str | None = None) -> FolderRef | None:
        for folder in self.folders:
            if folder.purpose == purpose and (item_key is None or folder.item_key == item_key):
                return folder
        return None


@dataclass(frozen=True)
class ChannelMember:
    """A member of a team or channel as the directory knows them."""

    aad_object_id: str
    display_name: str = ""
    email: str | None = None
    roles: tuple[str, ...] = ()  # "owner", "guest"; empty for an ordinary member
    membership_id: str | None = None

    @property
    def is_owner(self) -> bool:
        return "owner" in self.roles

    @property
    def is_guest(self) -> bool:
        return "guest" in self.roles


class ChangeKind(StrEnum):
    ADDED = "added"
    MODIFIED = "modified"
    MOVED = "moved"  # renamed or moved to another folder (possibly with new content too)
    DELETED = "deleted"


@dataclass(frozen=True)
class DriveFile:
    """A file in the inspection channel's Files.

    `folder` is the top-level folder under the channel folder it sits in ("" at the top level),
    `path` its path relative to the channel folder ("01 Staffing data/Staffing return.xlsx").
    """

    item_id: str
    name: str
    folder: str = ""
    path: str = ""
    size: int | None = None
    mime_type: str | None = None
    web_url: str | None = None
    last_modified: datetime | None = None
    modified_by: str | None = None  # display name
    modified_by_id: str | None = None  # Entra object id
    drive_id: str | None = None


@dataclass(frozen=True)
class FileChange(DriveFile):
    """A file that appeared, changed, moved or went away since the last sync."""

    kind: ChangeKind = ChangeKind.ADDED
    previous_path: str | None = None

    @property
    def deleted(self) -> bool:
        return self.kind == ChangeKind.DELETED


@dataclass(frozen=True)
class SyncResult:
    inspection_id: int
    changes: tuple[FileChange, ...] = ()
    # First enumeration, or the change token had expired (410) and the folder was re-read.
    full_sync: bool = False
    resynced: bool = False
    files_tracked: int | None = None  # None: not counted (nothing changed)
    pages: int = 0
    synced_at: datetime | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class Subscription:
    """A change-notification subscription on a channel's drive (a trigger for `sync_files`)."""

    subscription_id: str
    inspection_id: int
    resource: str
    expires_at: datetime


class ChannelWorkspace(Protocol):
    """Channels, members and files for inspections (implemented by graph.GraphWorkspace)."""

    async def setup_channel(
        self, request: ChannelSetup, progress: Progress | None = None
    ) -> ChannelSetupResult:
        """Create or complete the channel, its members and folders. Idempotent.

        Raises Unavailable when the directory cannot be reached (the message says when the bot
        retries) and ConfigurationError when the request cannot work (unknown team, ...).
        """
        ...

    async def add_members(self, channel: Channel, members: Sequence[Member]) -> tuple[str, ...]:
        """Add people to a private channel (already-present ones are skipped); returns ids added."""
        ...

    async def team_members(self, team_id: str) -> tuple[ChannelMember, ...]: ...

    async def channel_members(self, channel: Channel) -> tuple[ChannelMember, ...]: ...

    async def sync_files(self, inspection_id: int, channel: Channel) -> SyncResult:
        """Fetch what changed in the channel's Files since the last sync (all, the first time).

        Progress is stored: after a restart the next sync continues from where this one ended.
        Nothing is recorded when the sync fails part-way (the next one starts over from the
        last complete sync).
        """
        ...

    async def files(self, inspection_id: int) -> tuple[DriveFile, ...]:
        """The files known from the last sync, without asking the directory."""
        ...

    async def download(self, channel: Channel, item_id: str, *, max_bytes: int = ...) -> bytes:
        """A file's content; raises NotFound if it has gone, InspectionError if too large."""
        ...

    async def upload(
        self,
        channel: Channel,
        folder: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> DriveFile:
        """Write a file into a top-level folder of the channel (replacing one of that name)."""
        ...


def clean_name(text: str) -> str:
    """`text` without the characters that break SharePoint folders, spaces collapsed."""
    cleaned = _BAD_NAME_CHARS.sub(" ", text.replace("'", "").replace("\u2019", ""))
    cleaned = re.sub(r"\.{2,}", ".", " ".join(cleaned.split()))
    return cleaned.strip(" ._")


def channel_name(
    pattern: str, service_name: str, onsite_start: date, *, limit: int = MAX_CHANNEL_NAME
) -> str:
    """The channel's display name from a pattern such as "Inspection - {service} - {month}".

    Placeholders: {service}, {month} ("Mar 2024"), {year}, {date} (ISO on-site start).
    The service name is shortened (never the rest) so the whole stays within `limit`.
    """
    values = {
        "month": onsite_start.strftime("%b %Y"),
        "year": str(onsite_start.year),
        "date": onsite_start.isoformat(),
    }
    slot = "\ue000"  # a private-use character stands for the service name while measuring
    try:
        frame = clean_name(pattern.format(service=slot, **values))
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigurationError(
            f"channel name pattern {pattern!r} is not valid ({exc}); use the placeholders "
            "{service}, {month}, {year}, {date}"
        ) from None
    service = clean_name(service_name)
    uses = frame.count(slot)
    if uses and not service:
        raise InspectionError(
            f"the service name {service_name!r} has nothing Teams allows in a channel name; "
            "use letters and numbers"
        )
    if uses:
        room = (limit - (len(frame) - uses)) // uses
        if room < 3:
            raise ConfigurationError(
                f"channel name pattern {pattern!r} leaves no room for the service name within "
                f"{limit} characters; shorten the pattern"
            )
        if len(service) > room:
            cut = service[:room]
            # Shorten at a word boundary when that keeps most of the name.
            space = cut.rfind(" ")
            service = (cut[:space] if space >= room // 2 else cut).rstrip(" .-")
    name = clean_name(frame.replace(slot, service))[:limit].rstrip(" .")
    if not name:
        raise ConfigurationError(
            f"channel name pattern {pattern!r} gives an empty name for service {service_name!r}"
        )
    return name


def name_variants(name: str, *, limit: int = MAX_CHANNEL_NAME, count: int = 9) -> list[str]:
    """`name`, then "name (2)" ... "name (count)", each within `limit` characters."""
    variants = [name]
    for number in range(2, count + 1):
        suffix = f" ({number})"
        variants.append(name[: limit - len(suffix)].rstrip(" .-") + suffix)
    return variants


def channel_folders(framework: Framework) -> tuple[FolderSpec, ...]:
    """One numbered folder per required item (7.2), then the two shared folders.

    Named from the rule file (`folder`, else `title`), numbered in the file's order so the
    folders list in the same order as the checklist.
    """
    specs: list[FolderSpec] = []
    for number, item in enumerate(framework.required_items(), start=1):
        base = clean_name(item.folder or item.title)
        specs.append(
            FolderSpec(f"{number:02d} {base}"[:100], FolderPurpose.CHECKLIST_ITEM, item.key)
        )
    specs.append(FolderSpec(INFORMATION_REQUESTS_FOLDER, FolderPurpose.INFORMATION_REQUESTS))
    specs.append(FolderSpec(OPTIONAL_DOCUMENTS_FOLDER, FolderPurpose.OPTIONAL_DOCUMENTS))
    return tuple(specs)


def setup_members(members: Iterable[Member]) -> tuple[Member, ...]:
    """Everyone to add to the channel: each person once, observers included (6.1, 6.2)."""
    seen: dict[str, Member] = {}
    order = list(Role)
    for member in members:
        current = seen.get(member.aad_object_id)
        if current is None or order.index(member.role) < order.index(current.role):
            seen[member.aad_object_id] = member
    return tuple(seen.values())


def with_folders(request: ChannelSetup, framework: Framework) -> ChannelSetup:
    """The request with the framework's folders (when it names none itself)."""
    if request.folders:
        return request
    return replace(request, folders=channel_folders(framework))


__all__ = [
    "INFORMATION_REQUESTS_FOLDER",
    "OPTIONAL_DOCUMENTS_FOLDER",
    "ChangeKind",
    "ChannelMember",
    "ChannelSetup",
    "ChannelSetupResult",
    "ChannelWorkspace",
    "DriveFile",
    "FileChange",
    "FolderPurpose",
    "FolderRef",
    "FolderSpec",
    "Progress",
    "Subscription",
    "SyncResult",
    "channel_folders",
    "channel_name",
    "clean_name",
    "setup_members",
    "with_folders",
]
