"""A Microsoft Graph-compatible server on loopback, for tests, benches and local runs.

It answers the calls the bot makes (channels, members, files folder, folders, delta, content,
subscriptions) with Graph's JSON shapes: `@odata.type` on members, `@odata.nextLink` paging,
`@odata.deltaLink`, `deleted` facets and ODataError bodies. Channel files live in a local folder
(`<folder>/<drive id>/<channel name>/...`), so a person can drop a file in and watch the bot
react. Faults can be injected (429 with Retry-After, 503, 404 while a private channel's files
are provisioned, 410 on delta), and every request is recorded for counting.

Subscriptions behave as Graph's: both endpoints (notificationUrl, lifecycleNotificationUrl)
are validated with the `validationToken` handshake when one is made, a change under a drive is
POSTed to every live subscription on it (`notify_changes`, also run by `watch`), expired ones
are gone (404), and a test can send lifecycle notifications (`send_lifecycle`) or make the
emulator forget a subscription (`forget_subscription`).

Standalone: `python -m graph.emulator --folder ./local/graph-files --port 0` prints its URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import secrets
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

from aiohttp import ClientSession, ClientTimeout, web

from graph.emulator_drive import DriveError, EmulatedDrive, Item, Person
from graph.emulator_shapes import (
    MEMBER_TYPE,
    TENANT_ID,
    EmulatedChannel,
    EmulatedSubscription,
    EmulatedTeam,
    Fault,
    JsonDict,
    Membership,
    RecordedRequest,
    User,
    channel_json,
    error_response,
    item_json,
    json_body,
    member_json,
    subscription_json,
)
from graph.times import iso, parse_time

log = logging.getLogger(__name__)

__all__ = [
    "EmulatedChannel",
    "EmulatedSubscription",
    "EmulatedTeam",
    "Fault",
    "GraphEmulator",
    "Membership",
    "RecordedRequest",
    "User",
    "main",
    "seed_local",
]

CHANNEL_NAME_FORBIDDEN = set("~#%&*{}+/\\:<>?|'\",")


class GraphEmulator:
    """An in-process Graph server. `await start()` returns the base URL (".../v1.0")."""

    def __init__(
        self,
        folder: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 200,
        private_provisioning_404s: int = 0,
        auto_users: bool = True,
        require_auth: bool = True,
    ) -> None:
        self.folder = folder
        self.host = host
        self.port = port
        self.page_size = page_size
        self.private_provisioning_404s = private_provisioning_404s
        self.auto_users = auto_users
        self.require_auth = require_auth
        self.instance = secrets.token_hex(4)
        self.users: dict[str, User] = {}
        self.teams: dict[str, EmulatedTeam] = {}
        self.drives: dict[str, EmulatedDrive] = {}
        self.subscriptions: dict[str, EmulatedSubscription] = {}
        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self._drive_epoch: dict[str, int] = {}
        self._cursors: dict[str, tuple[list[JsonDict], str | None]] = {}
        self._cursor_urls: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self._socket: socket.socket | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._notify_lock = asyncio.Lock()
        # (subscription id, "change" or the lifecycle event, HTTP status or 0 if undelivered)
        self.deliveries: list[tuple[str, str, int]] = []
        self.base_url = ""
        # Subscription expiry is judged by this clock (tests may replace it).
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def _web_root(self) -> str:
        return self.base_url.removesuffix("/v1.0")

    # -- lifecycle -------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(client_max_size=300 * 1024 * 1024)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._handle)
        app.router.add_get("/_emulator/state", self._state)
        app.router.add_get("/_emulator/requests", self._request_log)
        app.router.add_get("/sites/{tail:.*}", self._web_view)
        return app

    def bind(self) -> str:
        """Take the emulator's port now (before the event loop runs) and return its base URL,
        so that clients can be built with it before `start`."""
        if self._socket is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
            self._socket = sock
            self.base_url = f"http://{self.host}:{sock.getsockname()[1]}/v1.0"
        return self.base_url

    async def start(self) -> str:
        self.bind()
        assert self._socket is not None
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()
        return self.base_url

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    async def __aenter__(self) -> GraphEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def watch(self, interval: float) -> None:
        """Rescan the folder every `interval` seconds and notify subscribers of changes."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval)
                try:
                    await self.notify_changes()
                except Exception:  # a watcher must survive a bad scan or a dead subscriber
                    log.exception("emulator watcher failed")

        self._watcher = asyncio.create_task(loop())

    # -- set-up and fault injection (Python API for tests) ---------------------------------
    def add_user(
        self, display_name: str, *, user_id: str | None = None, email: str | None = None
    ) -> User:
        uid = user_id or str(uuid.uuid4())
        slug = re.sub(r"[^a-z0-9]+", ".", display_name.lower()).strip(".") or "user"
        user = User(uid, display_name, email or f"{slug}@inspectorate.example")
        self.users[uid] = user
        return user

    def add_team(
        self,
        display_name: str = "Inspectorate",
        *,
        team_id: str | None = None,
        members: list[User] | None = None,
        owners: list[User] | None = None,
    ) -> EmulatedTeam:
        tid = team_id or str(uuid.uuid4())
        drive = self._new_drive()
        team = EmulatedTeam(tid, display_name, drive)
        for user in owners or []:
            team.members.append(Membership(self._membership_id(), user, ["owner"]))
        for user in members or []:
            team.members.append(Membership(self._membership_id(), user, []))
        self.teams[tid] = team
        return team

    def fail(
        self,
        status: int,
        *,
        method: str | None = None,
        path: str = ".*",
        times: int | None = 1,
        retry_after: int | None = None,
        code: str = "",
    ) -> Fault:
        fault = Fault(status, method, path, times, retry_after, code)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_delta_tokens(self, drive_id: str | None = None) -> None:
        """Every delta link issued so far for the drive(s) now answers 410 Gone."""
        for key in [drive_id] if drive_id else list(self.drives):
            self._drive_epoch[key] = self._drive_epoch.get(key, 0) + 1

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method) and (path is None or re.search(path, r.path))
        )

    def channel(self, channel_id: str) -> EmulatedChannel:
        for team in self.teams.values():
            if channel_id in team.channels:
                return team.channels[channel_id]
        raise KeyError(channel_id)

    def channel_folder(self, channel_id: str) -> Path:
        """Where a channel's files are on disk (drop files here)."""
        channel = self.channel(channel_id)
        folder = self._files_folder(channel)
        return channel.drive.disk_path(folder)

    def _new_drive(self) -> EmulatedDrive:
        drive_id = "b!" + secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
        drive = EmulatedDrive(drive_id, self.folder / drive_id)
        self.drives[drive_id] = drive
        return drive

    @staticmethod
    def _membership_id() -> str:
        return "MCMj" + secrets.token_hex(16)

    # -- HTTP plumbing ---------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = request.match_info["tail"]
        path = "/" + raw
        status = 500
        try:
            if self.require_auth and not request.headers.get("Authorization", "").startswith(
                "Bearer "
            ):
                raise DriveError(401, "InvalidAuthenticationToken", "Access token is empty.")
            fault = self._take_fault(request.method, unquote(path))
            if fault is not None:
                response = self._fault_response(fault)
            else:
                response = await self._route(request, path)
        except DriveError as exc:
            response = error_response(exc.status, exc.code, exc.message)
        status = response.status
        self.requests.append(
            RecordedRequest(request.method, unquote(path), request.query_string, status)
        )
        return response

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        codes = {
            429: ("TooManyRequests", "Too many requests; slow down."),
            503: ("serviceNotAvailable", "The service is temporarily unavailable."),
            404: ("itemNotFound", "The resource could not be found."),
            410: ("resyncRequired", "The delta token is no longer valid; resync."),
        }
        code, message = codes.get(fault.status, ("generalException", "Injected failure."))
        response = error_response(fault.status, fault.code or code, message)
        if fault.retry_after is not None:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response

    async def _route(self, request: web.Request, raw_path: str) -> web.Response:
        segments = [unquote(part) for part in raw_path.strip("/").split("/")]
        method = request.method
        upload = re.fullmatch(r"/drives/([^/]+)/items/([^/]+):/(.+):/content", raw_path)
        if upload and method == "PUT":
            drive = self._drive(unquote(upload.group(1)))
            return await self._upload(
                request, drive, unquote(upload.group(2)), unquote(upload.group(3))
            )
        match segments:
            case ["teams", team_id, "channels"]:
                team = self._team(team_id)
                if method == "POST":
                    return await self._create_channel(request, team)
                return self._list_channels(request, team)
            case ["teams", team_id, "members"] if method == "GET":
                team = self._team(team_id)
                return self._paged(request, [member_json(m) for m in team.members])
            case ["teams", team_id, "channels", channel_id]:
                return web.json_response(channel_json(self._channel(team_id, channel_id)))
            case ["teams", team_id, "channels", channel_id, "filesFolder"]:
                return self._files_folder_response(self._channel(team_id, channel_id))
            case ["teams", team_id, "channels", channel_id, "members"]:
                team = self._team(team_id)
                channel = self._channel(team_id, channel_id)
                if method == "POST":
                    return await self._add_channel_member(request, team, channel)
                members = channel.members if channel.membership_type == "private" else team.members
                return self._paged(request, [member_json(m) for m in members])
            case ["drives", drive_id, "root", "delta"] | ["drives", drive_id, "root", "delta()"]:
                return self._delta(request, self._drive(drive_id), "root")
            case ["drives", drive_id, "items", item_id, "delta" | "delta()"]:
                return self._delta(request, self._drive(drive_id), item_id)
            case ["drives", drive_id, "items", item_id, "children"]:
                drive = self._drive(drive_id)
                if method == "POST":
                    return await self._create_folder(request, drive, item_id)
                return self._paged(
                    request,
                    [item_json(drive, i, self._web_root) for i in drive.children_of(item_id)],
                )
            case ["drives", drive_id, "items", item_id, "content"] if method == "GET":
                drive = self._drive(drive_id)
                item = drive.resolve(item_id)
                return web.Response(
                    body=drive.read_file(item_id), content_type=drive.mime_type(item.name)
                )
            case ["drives", drive_id, "items", item_id]:
                drive = self._drive(drive_id)
                if method == "DELETE":
                    drive.delete(item_id)
                    self._changed()
                    return web.Response(status=204)
                if method == "PATCH":
                    body = await json_body(request)
                    parent = (body.get("parentReference") or {}).get("id")
                    item = drive.move(item_id, parent, body.get("name"))
                    self._changed()
                    return web.json_response(item_json(drive, item, self._web_root))
                drive.scan()
                return web.json_response(item_json(drive, drive.resolve(item_id), self._web_root))
            case ["subscriptions"] if method == "POST":
                return await self._create_subscription(request)
            case ["subscriptions", subscription_id] if method in ("PATCH", "DELETE"):
                return await self._change_subscription(request, subscription_id)
        raise DriveError(400, "BadRequest", f"Unsupported request {method} {'/'.join(segments)}")

    # -- teams, channels, members ----------------------------------------------------------
    def _team(self, team_id: str) -> EmulatedTeam:
        team = self.teams.get(team_id)
        if team is None:
            raise DriveError(404, "NotFound", f"No team found with Group Id {team_id}")
        return team

    def _channel(self, team_id: str, channel_id: str) -> EmulatedChannel:
        channel = self._team(team_id).channels.get(channel_id)
        if channel is None:
            raise DriveError(404, "NotFound", f"Channel {channel_id} not found in team.")
        return channel

    def _drive(self, drive_id: str) -> EmulatedDrive:
        drive = self.drives.get(drive_id)
        if drive is None:
            raise DriveError(404, "itemNotFound", f"Drive {drive_id} not found.")
        return drive

    def _user_from_member(self, team: EmulatedTeam, body: JsonDict) -> tuple[User, list[str]]:
        if body.get("@odata.type") != MEMBER_TYPE:
            raise DriveError(400, "BadRequest", f"Member must have @odata.type {MEMBER_TYPE!r}.")
        bind = str(body.get("user@odata.bind", ""))
        found = re.search(r"users\('([^']+)'\)", bind)
        if not found:
            raise DriveError(400, "BadRequest", "Member must have user@odata.bind.")
        user_id = found.group(1)
        user = self.users.get(user_id)
        if user is None:
            if not self.auto_users:
                raise DriveError(404, "NotFound", f"User {user_id} was not found.")
            user = self.add_user(f"User {user_id[:8]}", user_id=user_id)
        if not any(m.user.id == user_id for m in team.members):
            if not self.auto_users:
                raise DriveError(400, "BadRequest", f"User {user_id} is not a member of the team.")
            team.members.append(Membership(self._membership_id(), user, []))
        roles = [str(r) for r in body.get("roles") or []]
        return user, roles

    async def _create_channel(self, request: web.Request, team: EmulatedTeam) -> web.Response:
        body = await json_body(request)
        name = str(body.get("displayName") or "")
        if not name or len(name) > 50:
            raise DriveError(400, "BadRequest", "displayName must be 1 to 50 characters.")
        if CHANNEL_NAME_FORBIDDEN & set(name) or name.startswith(("_", ".")) or ".." in name:
            raise DriveError(400, "BadRequest", f"Channel name {name!r} has invalid characters.")
        if any(c.display_name.lower() == name.lower() for c in team.channels.values()):
            raise DriveError(
                400, "NameAlreadyExists", "Channel name already existed, please use other name."
            )
        kind = str(body.get("membershipType") or "standard")
        if kind not in ("standard", "private"):
            raise DriveError(400, "BadRequest", f"Unsupported membershipType {kind!r}.")
        members = [self._user_from_member(team, m) for m in body.get("members") or []]
        if kind == "private" and not any("owner" in roles for _, roles in members):
            raise DriveError(
                400, "BadRequest", "A private channel created by an application needs an owner."
            )
        channel_id = f"19:{secrets.token_hex(16)}@thread.tacv2"
        drive = self._new_drive() if kind == "private" else team.drive
        channel = EmulatedChannel(
            channel_id,
            name,
            str(body.get("description") or ""),
            kind,
            drive,
            datetime.now(UTC),
            members=[Membership(self._membership_id(), u, r) for u, r in members],
            provisioning_404s_left=self.private_provisioning_404s if kind == "private" else 0,
        )
        team.channels[channel_id] = channel
        return web.json_response(channel_json(channel), status=201)

    def _list_channels(self, request: web.Request, team: EmulatedTeam) -> web.Response:
        channels = list(team.channels.values())
        wanted = re.fullmatch(r"displayName eq '(.*)'", request.query.get("$filter", ""))
        if wanted:
            name = wanted.group(1).replace("''", "'")
            channels = [c for c in channels if c.display_name == name]
        return self._paged(request, [channel_json(c) for c in channels])

    async def _add_channel_member(
        self, request: web.Request, team: EmulatedTeam, channel: EmulatedChannel
    ) -> web.Response:
        if channel.membership_type != "private":
            raise DriveError(400, "BadRequest", "Members can only be added to private channels.")
        user, roles = self._user_from_member(team, await json_body(request))
        if any(m.user.id == user.id for m in channel.members):
            raise DriveError(409, "Conflict", "The user is already a member of the channel.")
        membership = Membership(self._membership_id(), user, roles)
        channel.members.append(membership)
        return web.json_response(member_json(membership), status=201)

    def _files_folder(self, channel: EmulatedChannel) -> Item:
        if channel.folder_id is None:
            folder = channel.drive.create_folder("root", channel.display_name, "replace")
            channel.folder_id = folder.id
        return channel.drive.resolve(channel.folder_id)

    def _files_folder_response(self, channel: EmulatedChannel) -> web.Response:
        if channel.provisioning_404s_left > 0:
            channel.provisioning_404s_left -= 1
            raise DriveError(404, "NotFound", "The channel's files folder is not ready yet.")
        return web.json_response(
            item_json(channel.drive, self._files_folder(channel), self._web_root)
        )

    # -- files -----------------------------------------------------------------------------
    async def _create_folder(
        self, request: web.Request, drive: EmulatedDrive, parent_id: str
    ) -> web.Response:
        body = await json_body(request)
        if "folder" not in body:
            raise DriveError(400, "invalidRequest", "Only folders can be created this way.")
        conflict = str(body.get("@microsoft.graph.conflictBehavior") or "fail")
        item = drive.create_folder(parent_id, str(body.get("name") or ""), conflict)
        self._changed()
        return web.json_response(item_json(drive, item, self._web_root), status=201)

    async def _upload(
        self, request: web.Request, drive: EmulatedDrive, parent_id: str, name: str
    ) -> web.Response:
        content = await request.read()
        # A path ("folder/name") creates the folders it names, as Graph does.
        *folders, name = name.split("/")
        for part in folders:
            parent_id = drive.create_folder(parent_id, part, "replace", by=self._caller()).id
        existed = any(i.name.lower() == name.lower() for i in drive.children_of(parent_id))
        item = drive.write_file(parent_id, name, content, by=self._caller())
        self._changed()
        return web.json_response(
            item_json(drive, item, self._web_root), status=200 if existed else 201
        )

    def _caller(self) -> Person:
        return Person("00000000-0000-4000-8000-00000000b07a", "Inspection bot")

    def _delta(self, request: web.Request, drive: EmulatedDrive, scope_id: str) -> web.Response:
        cursor = request.query.get("$skiptoken")
        if cursor:
            return self._page_from_cursor(cursor)
        token = request.query.get("token")
        epoch = self._drive_epoch.get(drive.drive_id, 0)
        drive.scan()
        scope = drive.resolve(scope_id)
        link = f"{self.base_url}/drives/{drive.drive_id}/items/{scope.id}/delta()"
        if token == "latest":  # noqa: S105  (Graph's keyword, not a secret)
            items: list[Item] = []
        elif token:
            parts = token.split("-")
            if len(parts) != 3 or parts[0] != self.instance or parts[1] != str(epoch):
                response = error_response(
                    410, "resyncRequired", "Resync required: the delta token is no longer valid."
                )
                response.headers["Location"] = link
                return response
            items = drive.changes_since(int(parts[2]), scope.id)
        else:
            items = drive.changes_since(None, scope.id)
        values = [item_json(drive, i, self._web_root, delta=True) for i in items]
        delta_link = f"{link}?token={self.instance}-{epoch}-{drive.seq}"
        return self._paged(request, values, delta_link=delta_link)

    # -- paging ----------------------------------------------------------------------------
    def _paged(
        self, request: web.Request, values: list[JsonDict], *, delta_link: str | None = None
    ) -> web.Response:
        cursor = request.query.get("$skiptoken")
        if cursor:
            return self._page_from_cursor(cursor)
        size = self.page_size
        with contextlib.suppress(ValueError):
            size = max(1, min(int(request.query.get("$top", size)), 999))
        key = secrets.token_hex(8)
        self._cursors[key] = (values, delta_link)
        next_url = self.base_url.removesuffix("/v1.0") + request.rel_url.raw_path
        return self._page(key, 0, size, next_url)

    def _page_from_cursor(self, cursor: str) -> web.Response:
        key, _, rest = cursor.partition(".")
        offset_text, _, size_text = rest.partition(".")
        if key not in self._cursors or not offset_text.isdigit() or not size_text.isdigit():
            raise DriveError(400, "invalidRequest", "The skip token is not valid.")
        return self._page(key, int(offset_text), int(size_text), None)

    def _page(self, key: str, offset: int, size: int, next_url: str | None) -> web.Response:
        values, delta_link = self._cursors[key]
        body: JsonDict = {"value": values[offset : offset + size]}
        if offset + size < len(values):
            if next_url is None:
                next_url = self._cursor_urls[key]
            self._cursor_urls[key] = next_url
            body["@odata.nextLink"] = f"{next_url}?$skiptoken={key}.{offset + size}.{size}"
        else:
            self._cursors.pop(key, None)
            self._cursor_urls.pop(key, None)
            if delta_link:
                body["@odata.deltaLink"] = delta_link
        return web.json_response(body)

    # -- subscriptions and notifications ---------------------------------------------------
    async def _create_subscription(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        resource = str(body.get("resource") or "")
        found = re.fullmatch(r"/?drives/([^/]+)/root", resource)
        if not found or found.group(1) not in self.drives:
            raise DriveError(
                400,
                "InvalidRequest",
                "Drive subscriptions are supported on /drives/{id}/root only.",
            )
        if body.get("changeType") != "updated":
            raise DriveError(400, "InvalidRequest", "Drive subscriptions support 'updated' only.")
        expires = self._valid_expiry(body.get("expirationDateTime"))
        url = str(body.get("notificationUrl") or "")
        lifecycle = body.get("lifecycleNotificationUrl")
        lifecycle_url = str(lifecycle) if lifecycle else None
        for endpoint in (url, lifecycle_url):
            if endpoint is not None and not await self._validated(endpoint):
                raise DriveError(
                    400,
                    "ValidationError",
                    "Subscription validation request failed. Notification endpoint "
                    "must respond with 200 OK to validation request.",
                )
        drive = self.drives[found.group(1)]
        subscription = EmulatedSubscription(
            str(uuid.uuid4()),
            resource,
            drive.drive_id,
            url,
            body.get("clientState"),
            expires,
            drive.seq,
            lifecycle_url,
        )
        self.subscriptions[subscription.id] = subscription
        return web.json_response(subscription_json(subscription), status=201)

    def _valid_expiry(self, value: object) -> datetime:
        expires = parse_time(value)
        now = self.now()
        if expires is None or expires <= now or expires > now + timedelta(minutes=42300):
            raise DriveError(
                400,
                "InvalidRequest",
                "expirationDateTime must be in the future and within 42300 minutes.",
            )
        return expires

    @staticmethod
    async def _validated(url: str) -> bool:
        """Graph's handshake: POST ?validationToken=..., expect it back as text within 10 s."""
        validation = secrets.token_urlsafe(16)
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=10)) as session,
                session.post(url, params={"validationToken": validation}) as answer,
            ):
                echoed = await answer.text()
                return answer.status == 200 and echoed == validation
        except Exception:  # any failure to reach the endpoint fails validation, as in Graph
            return False

    def _live(self, subscription_id: str) -> EmulatedSubscription:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is not None and subscription.expires <= self.now():
            # Graph deletes a subscription once it has expired.
            del self.subscriptions[subscription_id]
            subscription = None
        if subscription is None:
            raise DriveError(404, "ResourceNotFound", "The subscription was not found.")
        return subscription

    async def _change_subscription(
        self, request: web.Request, subscription_id: str
    ) -> web.Response:
        subscription = self._live(subscription_id)
        if request.method == "DELETE":
            del self.subscriptions[subscription_id]
            return web.Response(status=204)
        body = await json_body(request)
        if body.get("expirationDateTime") is None:
            raise DriveError(400, "InvalidRequest", "expirationDateTime is required.")
        subscription.expires = self._valid_expiry(body.get("expirationDateTime"))
        return web.json_response(subscription_json(subscription))

    def forget_subscription(self, subscription_id: str) -> None:
        """Graph lost the subscription (or removed it without saying): it answers 404 now."""
        self.subscriptions.pop(subscription_id, None)

    async def send_lifecycle(self, subscription_id: str, event: str) -> int:
        """POST a lifecycle notification as Graph does; the endpoint's status (0: not sent).

        `subscriptionRemoved` also removes the subscription, as Graph has when it says so.
        """
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None or not subscription.lifecycle_url:
            return 0
        if event == "subscriptionRemoved":
            del self.subscriptions[subscription_id]
        body = {
            "value": [
                {
                    "subscriptionId": subscription.id,
                    "subscriptionExpirationDateTime": iso(subscription.expires),
                    "tenantId": TENANT_ID,
                    "clientState": subscription.client_state,
                    "lifecycleEvent": event,
                }
            ]
        }
        return await self._deliver(subscription, subscription.lifecycle_url, body, event)

    async def _deliver(
        self, subscription: EmulatedSubscription, url: str, body: JsonDict, kind: str
    ) -> int:
        # Graph wants a 2xx within 3 s, else it counts the delivery as failed.
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=3)) as session,
                session.post(url, json=body) as answer,
            ):
                status = answer.status
        except Exception:  # Graph drops notifications it cannot deliver
            log.warning("could not deliver a notification to %s", url)
            status = 0
        self.deliveries.append((subscription.id, kind, status))
        return status

    def _changed(self) -> None:
        if self.subscriptions:
            asyncio.get_running_loop().create_task(self.notify_changes())

    async def notify_changes(self) -> int:
        """Rescan every drive and POST a notification for each subscription whose drive changed.

        Returns the number of notifications sent.
        """
        sent = 0
        async with self._notify_lock:
            for drive in self.drives.values():
                drive.scan()
            now = self.now()
            for subscription in list(self.subscriptions.values()):
                drive = self.drives[subscription.drive_id]
                if subscription.expires <= now or drive.seq <= subscription.notified_seq:
                    continue
                subscription.notified_seq = drive.seq
                body = {
                    "value": [
                        {
                            "subscriptionId": subscription.id,
                            "clientState": subscription.client_state,
                            "changeType": "updated",
                            "resource": subscription.resource,
                            "subscriptionExpirationDateTime": iso(subscription.expires),
                            "tenantId": TENANT_ID,
                        }
                    ]
                }
                status = await self._deliver(
                    subscription, subscription.notification_url, body, "change"
                )
                if 200 <= status < 300:
                    sent += 1
        return sent

    # -- human views -----------------------------------------------------------------------
    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "base_url": self.base_url,
                "users": [vars(u) for u in self.users.values()],
                "teams": [
                    {
                        "id": t.id,
                        "displayName": t.display_name,
                        "channels": [
                            {**channel_json(c), "folder": str(c.drive.folder)}
                            for c in t.channels.values()
                        ],
                    }
                    for t in self.teams.values()
                ],
            }
        )

    async def _request_log(self, request: web.Request) -> web.Response:
        """The requests recorded so far (for counting from another process: benches)."""
        return web.json_response([[r.method, r.path, r.query, r.status] for r in self.requests])

    async def _web_view(self, request: web.Request) -> web.StreamResponse:
        drive_id, _, rel = request.match_info["tail"].partition("/")
        drive = self.drives.get(drive_id)
        if drive is None:
            raise web.HTTPNotFound()
        path = (drive.folder / unquote(rel)).resolve()
        if not path.is_relative_to(drive.folder.resolve()) or not path.exists():
            raise web.HTTPNotFound()
        if path.is_dir():
            names = "\n".join(sorted(p.name for p in path.iterdir()))
            return web.Response(text=names)
        return web.FileResponse(path)


def seed_local(emulator: GraphEmulator, team_id: str | None = None) -> EmulatedTeam:
    """A team with synthetic people, for local runs (never real names; handbook 9.7)."""
    lead = emulator.add_user("Lead Inspector A", user_id="11111111-1111-4111-8111-111111111111")
    inspector = emulator.add_user("Inspector B", user_id="22222222-2222-4222-8222-222222222222")
    link = emulator.add_user("Link Officer C", user_id="33333333-3333-4333-8333-333333333333")
    director = emulator.add_user("Director D", user_id="44444444-4444-4444-8444-444444444444")
    return emulator.add_team(
        "Inspectorate",
        team_id=team_id or "00000000-0000-4000-8000-000000007ea1",
        owners=[lead],
        members=[inspector, link, director],
    )


async def _serve(
    args: argparse.Namespace, ready: Callable[[GraphEmulator], Awaitable[None]]
) -> None:
    emulator = GraphEmulator(
        Path(args.folder),
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        private_provisioning_404s=args.provisioning_404s,
    )
    team = seed_local(emulator)
    await emulator.start()
    emulator.watch(args.watch_interval)
    del team
    await ready(emulator)
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m graph.emulator", description="A loopback Microsoft Graph emulator."
    )
    parser.add_argument(
        "--folder",
        default="./local/graph-files",
        help="where channel files are kept (drop files here)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument(
        "--provisioning-404s",
        type=int,
        default=2,
        help="how many times a new private channel's files folder answers 404",
    )
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=2.0,
        help="seconds between scans of the folder for dropped files",
    )
    args = parser.parse_args(argv)

    async def ready(emulator: GraphEmulator) -> None:
        print(f"Graph emulator: {emulator.base_url}", flush=True)
        for team in emulator.teams.values():
            print(f"  team {team.display_name}: {team.id}", flush=True)
        for user in emulator.users.values():
            print(f"  user {user.display_name}: {user.id}", flush=True)
        print(f"  files: {emulator.folder.absolute()}", flush=True)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args, ready))


if __name__ == "__main__":
    main()
