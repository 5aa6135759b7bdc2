"""`GraphWorkspace`: the domain's `ChannelWorkspace` port implemented with msgraph-sdk.

Setup is idempotent (7.2): a second run finds the channel and folders the first made, and a
run that stopped part-way (after the channel, before the folders) is completed by the next.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

from kiota_abstractions.api_error import APIError
from msgraph.generated.models.aad_user_conversation_member import AadUserConversationMember
from msgraph.generated.models.channel import Channel as GraphChannel
from msgraph.generated.models.channel_membership_type import ChannelMembershipType
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.folder import Folder
from msgraph.graph_service_client import GraphServiceClient

from graph.client import GraphConfig, get_json, send_json
from graph.errors import ErrorPolicy, code_of, message_of, status_of
from graph.sync import DeltaSync, to_drive_file
from inspection.clock import Clock, SystemClock
from inspection.errors import ConfigurationError, InspectionError, NotFound, Unavailable
from inspection.model import Channel, Member, Role
from inspection.workspace import (
    ChannelMember,
    ChannelSetup,
    ChannelSetupResult,
    ChannelWorkspace,
    DriveFile,
    FolderRef,
    MembershipType,
    Progress,
    SyncResult,
    channel_name,
    name_variants,
    setup_members,
)
from store.files import SqlFileStore

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# Waits between checks for a new private channel's files folder (then the last, repeated).
FILES_FOLDER_BACKOFF = (5.0, 10.0, 20.0, 30.0, 60.0)
DEFAULT_MAX_DOWNLOAD = 50 * 1024 * 1024


def _user_bind(aad_object_id: str) -> str:
    return f"https://graph.microsoft.com/v1.0/users('{aad_object_id}')"


def _member_body(aad_object_id: str, roles: list[str]) -> AadUserConversationMember:
    return AadUserConversationMember(
        roles=roles, additional_data={"user@odata.bind": _user_bind(aad_object_id)}
    )


def _directory_member(member: dict[str, Any]) -> ChannelMember:
    # Without "@odata.type" Graph's userId would be lost by the SDK; as JSON it is kept.
    return ChannelMember(
        aad_object_id=str(member.get("userId") or ""),
        display_name=str(member.get("displayName") or ""),
        email=member.get("email"),
        roles=tuple(str(role) for role in member.get("roles") or ()),
        membership_id=member.get("id"),
    )


@dataclass(frozen=True)
class _FoundChannel:
    id: str
    display_name: str
    membership_type: str


def _found(channel: dict[str, Any], name: str) -> _FoundChannel:
    return _FoundChannel(
        str(channel["id"]),
        str(channel.get("displayName") or name),
        str(channel.get("membershipType") or "standard"),
    )


def _file_name(text: str) -> str:
    """A name SharePoint accepts for a file or folder (it refuses " * : < > ? / \\ |)."""
    cleaned = " ".join(re.sub(r'["*:<>?/\\|\u0000-\u001f]', " ", text).split())
    return cleaned.strip(" .")


class GraphWorkspace:
    def __init__(
        self,
        client: GraphServiceClient,
        files: SqlFileStore,
        config: GraphConfig,
        *,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        files_folder_backoff: Sequence[float] = FILES_FOLDER_BACKOFF,
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock or SystemClock()
        self.errors = ErrorPolicy(self.clock, config.zone, config.retry_minutes)
        self._files = files
        self._sleep = sleep
        self._backoff = tuple(files_folder_backoff) or (5.0,)
        self._delta = DeltaSync(client, files, self.errors, self.clock)

    # -- channel setup ---------------------------------------------------------------------
    async def setup_channel(
        self, request: ChannelSetup, progress: Progress | None = None
    ) -> ChannelSetupResult:
        if not request.team_id:
            raise ConfigurationError(
                "no team given for the inspection channel; set GRAPH_TEAM_ID or pass --team"
            )
        if not request.lead_inspector:
            raise ConfigurationError("a lead inspector is needed to own the inspection channel")
        name = channel_name(
            self.config.channel_name_pattern, request.service_name, request.onsite_start
        )
        if request.membership_type is None:
            request = replace(request, membership_type=self.config.membership_type)
        channel, created = await self._find_or_create_channel(request, name)
        kind: MembershipType = "private" if channel.membership_type == "private" else "standard"
        ref = Channel(request.team_id, str(channel.id), membership_type=kind)
        warnings: list[str] = []
        people = setup_members(
            (Member(request.lead_inspector, Role.LEAD_INSPECTOR), *request.members)
        )
        if kind == "private":
            added, problems = await self._add_members(ref, people)
        else:
            added, problems = (), await self._not_in_team(request.team_id, people)
        warnings.extend(problems)
        folder = await self._files_folder(ref, progress)
        drive_id = (folder.get("parentReference") or {}).get("driveId")
        folder_id = folder.get("id")
        if not drive_id or not folder_id:
            raise InspectionError(
                "Microsoft Graph gave the channel's files folder without a drive; try again"
            )
        refs, made = await self._ensure_folders(str(drive_id), str(folder_id), request)
        result = ChannelSetupResult(
            team_id=request.team_id,
            channel_id=str(channel.id),
            display_name=channel.display_name or name,
            membership_type=kind,
            drive_id=str(drive_id),
            folder_id=str(folder_id),
            web_url=folder.get("webUrl"),
            folders=refs,
            channel_created=created,
            folders_created=made,
            members_added=added,
            warnings=tuple(warnings),
        )
        return result

    async def _find_or_create_channel(
        self, request: ChannelSetup, name: str
    ) -> tuple[_FoundChannel, bool]:
        channels = self.client.teams.by_team_id(request.team_id).channels
        if request.existing_channel_id:
            try:
                async with self.errors.guard("finding the inspection channel"):
                    found = await get_json(
                        self.client, channels.by_channel_id(request.existing_channel_id)
                    )
                if isinstance(found, dict) and found.get("id"):
                    return _found(found, name), False
            except NotFound:
                log.info(
                    "recorded channel %s has gone; looking by name", request.existing_channel_id
                )
        name_taken = False
        for candidate in name_variants(name):
            existing = await self._channel_named(request.team_id, candidate)
            if existing is None:
                name, name_taken = candidate, False
                break
            if existing.id not in request.taken_channel_ids:
                # A channel of this name not recorded for any other inspection: an earlier,
                # half-finished run of this setup made it.
                return existing, False
            name_taken = True
        if name_taken:
            raise InspectionError(
                f"every channel name like {name!r} already belongs to another inspection; "
                "rename one of them in Teams or change GRAPH_CHANNEL_NAME_PATTERN"
            )
        body = GraphChannel(
            display_name=name,
            description=request.description or None,
            membership_type=(
                ChannelMembershipType.Private
                if request.membership_type == "private"
                else ChannelMembershipType.Standard
            ),
        )
        if request.membership_type == "private":
            # A private channel made by an app needs its owner at creation; others come after.
            body.members = [_member_body(request.lead_inspector, ["owner"])]
        try:
            created = await send_json(self.client, channels.to_post_request_information(body))
        except APIError as exc:
            if status_of(exc) == 400 and code_of(exc) == "NameAlreadyExists":
                # Someone (or a retried request) made it meanwhile: use theirs.
                again = await self._channel_named(request.team_id, name)
                if again is not None and again.id not in request.taken_channel_ids:
                    return again, False
            if status_of(exc) == 404:
                raise NotFound(
                    f"there is no team {request.team_id!r} (or the bot cannot see it); check "
                    "GRAPH_TEAM_ID / --team and that the app is installed in the team"
                ) from exc
            raise self.errors.translate(exc, f"creating the channel {name!r}") from exc
        except Exception as exc:
            raise self.errors.translate(exc, f"creating the channel {name!r}") from exc
        if not isinstance(created, dict) or not created.get("id"):
            raise InspectionError("Microsoft Graph did not return the new channel; try again")
        return _found(created, name), True

    async def _channel_named(self, team_id: str, name: str) -> _FoundChannel | None:
        builder = self.client.teams.by_team_id(team_id).channels
        try:
            channels = await self._all_pages(builder, "listing the team's channels")
        except NotFound as exc:
            raise NotFound(
                f"there is no team {team_id!r} (or the bot cannot see it); check GRAPH_TEAM_ID "
                "/ --team and that the app is installed in the team"
            ) from exc
        for channel in channels:
            if channel.get("id") and str(channel.get("displayName") or "").lower() == name.lower():
                return _found(channel, name)
        return None

    async def _files_folder(self, channel: Channel, progress: Progress | None) -> dict[str, Any]:
        """The channel's files folder, waiting while SharePoint provisions a new one."""
        builder = (
            self.client.teams.by_team_id(channel.team_id)
            .channels.by_channel_id(channel.channel_id)
            .files_folder
        )
        waited = 0.0
        attempt = 0
        while True:
            try:
                async with self.errors.guard("getting the channel's files folder"):
                    folder = await get_json(self.client, builder)
                if isinstance(folder, dict) and folder.get("id"):
                    return folder
            except NotFound:
                pass
            delay = self._backoff[min(attempt, len(self._backoff) - 1)]
            if waited + delay > self.config.files_folder_wait_seconds:
                raise Unavailable(
                    "The channel exists but SharePoint is still setting up its files. Run the "
                    "setup again in a few minutes: it carries on from where it stopped."
                )
            attempt += 1
            if progress is not None:
                await progress(
                    f"Setting up files for the channel (SharePoint is still preparing them); "
                    f"checking again in {delay:g} s."
                )
            await self._sleep(delay)
            waited += delay

    async def _ensure_folders(
        self, drive_id: str, folder_id: str, request: ChannelSetup
    ) -> tuple[tuple[FolderRef, ...], tuple[str, ...]]:
        existing = await self._folders_by_name(drive_id, folder_id)
        children = self.client.drives.by_drive_id(drive_id).items.by_drive_item_id(folder_id)
        refs: list[FolderRef] = []
        made: list[str] = []
        for spec in request.folders:
            found = existing.get(spec.name.lower())
            if found is None:
                body = DriveItem(
                    name=spec.name,
                    folder=Folder(),
                    additional_data={"@microsoft.graph.conflictBehavior": "fail"},
                )
                try:
                    info = children.children.to_post_request_information(body)
                    item = await send_json(self.client, info)
                    if isinstance(item, dict) and item.get("id"):
                        found = (
                            str(item.get("name") or spec.name),
                            str(item["id"]),
                            item.get("webUrl"),
                        )
                    made.append(spec.name)
                except APIError as exc:
                    if status_of(exc) != 409:
                        raise self.errors.translate(
                            exc, f"creating the folder {spec.name!r}"
                        ) from exc
                    # Made meanwhile (another run): use it.
                    found = (await self._folders_by_name(drive_id, folder_id)).get(
                        spec.name.lower()
                    )
                except Exception as exc:
                    raise self.errors.translate(exc, f"creating the folder {spec.name!r}") from exc
            if found is None:
                raise InspectionError(f"the folder {spec.name!r} could not be created; try again")
            name, item_id, web_url = found
            refs.append(FolderRef(name, item_id, web_url, spec.purpose, spec.item_key))
        return tuple(refs), tuple(made)

    async def _folders_by_name(
        self, drive_id: str, folder_id: str
    ) -> dict[str, tuple[str, str, str | None]]:
        return {
            str(item["name"]).lower(): (str(item["name"]), str(item["id"]), item.get("webUrl"))
            for item in await self._children(drive_id, folder_id)
            if item.get("name") and item.get("id") and "folder" in item
        }

    async def _children(self, drive_id: str, folder_id: str) -> list[dict[str, Any]]:
        builder = (
            self.client.drives.by_drive_id(drive_id).items.by_drive_item_id(folder_id).children
        )
        return await self._all_pages(builder, "listing the channel's folders")

    async def _all_pages(self, builder: Any, doing: str) -> list[dict[str, Any]]:
        """Every item of a paged collection, as JSON (the SDK's models are slow to build)."""
        found: list[dict[str, Any]] = []
        async with self.errors.guard(doing):
            page = await get_json(self.client, builder)
            while isinstance(page, dict):
                found.extend(v for v in page.get("value") or [] if isinstance(v, dict))
                next_link = page.get("@odata.nextLink")
                if not next_link:
                    break
                page = await get_json(self.client, builder, next_link)
        return found

    # -- members ---------------------------------------------------------------------------
    async def add_members(self, channel: Channel, members: Sequence[Member]) -> tuple[str, ...]:
        if channel.membership_type != "private":
            return ()
        added, problems = await self._add_members(channel, setup_members(members))
        if problems and not added and len(problems) == len(members):
            raise InspectionError("; ".join(problems))
        return added

    async def _add_members(
        self, channel: Channel, people: Sequence[Member]
    ) -> tuple[tuple[str, ...], list[str]]:
        present = {m.aad_object_id for m in await self.channel_members(channel)}
        builder = (
            self.client.teams.by_team_id(channel.team_id)
            .channels.by_channel_id(channel.channel_id)
            .members
        )
        added: list[str] = []
        problems: list[str] = []
        for person in people:
            if person.aad_object_id in present:
                continue
            roles = ["owner"] if person.role == Role.LEAD_INSPECTOR else []
            who = person.display_name or person.aad_object_id
            try:
                info = builder.to_post_request_information(
                    _member_body(person.aad_object_id, roles)
                )
                await send_json(self.client, info)
                added.append(person.aad_object_id)
            except APIError as exc:
                status = status_of(exc)
                if status == 409:
                    continue
                if status in (400, 403, 404):
                    problems.append(
                        f"could not add the {person.role.label} {who} to the channel "
                        f"({message_of(exc) or status}); "
                        "check they are a member of the team, then run setup again"
                    )
                    continue
                raise self.errors.translate(exc, f"adding {who} to the channel") from exc
            except Exception as exc:
                raise self.errors.translate(exc, f"adding {who} to the channel") from exc
        return tuple(added), problems

    async def _not_in_team(self, team_id: str, people: Sequence[Member]) -> list[str]:
        in_team = {m.aad_object_id for m in await self.team_members(team_id)}
        return [
            f"the {p.role.label} {p.display_name or p.aad_object_id} is not a member of the "
            "team, so cannot see this standard channel; add them to the team"
            for p in people
            if p.aad_object_id not in in_team
        ]

    async def team_members(self, team_id: str) -> tuple[ChannelMember, ...]:
        builder = self.client.teams.by_team_id(team_id).members
        return await self._members(builder, "listing the team's members")

    async def channel_members(self, channel: Channel) -> tuple[ChannelMember, ...]:
        builder = (
            self.client.teams.by_team_id(channel.team_id)
            .channels.by_channel_id(channel.channel_id)
            .members
        )
        return await self._members(builder, "listing the channel's members")

    async def _members(self, builder: Any, doing: str) -> tuple[ChannelMember, ...]:
        return tuple(_directory_member(m) for m in await self._all_pages(builder, doing))

    # -- files -----------------------------------------------------------------------------
    async def sync_files(self, inspection_id: int, channel: Channel) -> SyncResult:
        return await self._delta.sync(inspection_id, channel)

    async def files(self, inspection_id: int) -> tuple[DriveFile, ...]:
        return await self._delta.files(inspection_id)

    async def download(
        self, channel: Channel, item_id: str, *, max_bytes: int = DEFAULT_MAX_DOWNLOAD
    ) -> bytes:
        drive_id = self._drive_of(channel)
        item_builder = self.client.drives.by_drive_id(drive_id).items.by_drive_item_id(item_id)
        async with self.errors.guard("reading the file"):
            try:
                item = await get_json(self.client, item_builder)
            except APIError as exc:
                if status_of(exc) == 404:
                    raise NotFound(
                        "that file is no longer in the channel's Files (deleted or moved away)"
                    ) from exc
                raise
            if not isinstance(item, dict) or "deleted" in item:
                raise NotFound("that file is no longer in the channel's Files")
            name = item.get("name") or "that file"
            if "folder" in item:
                raise InspectionError(f"{name!r} is a folder, not a file")
            size = item.get("size")
            if isinstance(size, int) and size > max_bytes:
                raise InspectionError(
                    f"{name!r} is {size / 1_048_576:.1f} MB; I can only read files up "
                    f"to {max_bytes / 1_048_576:.0f} MB, so check it by hand"
                )
            content = await item_builder.content.get()
        return content or b""

    async def upload(
        self,
        channel: Channel,
        folder: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "application/octet-stream",
    ) -> DriveFile:
        drive_id = self._drive_of(channel)
        if not channel.folder_id:
            raise ConfigurationError(
                "the inspection channel's files folder is not recorded; run the channel setup"
            )
        safe_name = _file_name(name)
        safe_folder = _file_name(folder) if folder else ""
        if not safe_name:
            raise InspectionError(f"{name!r} is not a usable file name")
        relative = f"{safe_folder}/{safe_name}" if safe_folder else safe_name
        base = self.config.base_url.rstrip("/")
        url = (
            f"{base}/drives/{quote(drive_id, safe='')}/items/{quote(channel.folder_id, safe='')}"
            f":/{quote(relative)}:/content"
        )
        builder = (
            self.client.drives.by_drive_id(drive_id)
            .items.by_drive_item_id(channel.folder_id)
            .content.with_url(url)
        )
        info = builder.to_put_request_information(content)
        info.headers.try_add("Content-Type", content_type)
        async with self.errors.guard(f"saving {safe_name!r} in the channel's Files"):
            item = await send_json(self.client, info)
        if not isinstance(item, dict) or not item.get("id"):
            raise InspectionError(
                f"Microsoft Graph did not confirm saving {safe_name!r}; try again"
            )
        return to_drive_file(item, drive_id, path=relative)

    @staticmethod
    def _drive_of(channel: Channel) -> str:
        if not channel.drive_id:
            raise ConfigurationError(
                "the inspection channel's drive is not recorded; run the channel setup first"
            )
        return channel.drive_id


__all__ = ["GraphWorkspace"]


def _is_a_directory(directory: GraphWorkspace) -> ChannelWorkspace:
    """mypy checks here that GraphWorkspace implements the domain's port."""
    return directory
