"""Drive change notifications: the `POST /api/notifications` endpoint and subscriptions.

Graph's drive notifications say only "something changed under this drive" (root only,
`updated` only, no resource data), so each one is a trigger for a delta sync. The endpoint:
- echoes `validationToken` as text/plain (Graph's handshake, within 10 s);
- refuses a notification whose `clientState` is not ours (403, logged);
- answers 202 at once (Graph wants 2xx within 3 s) and syncs in the background, a burst of
  notifications for one subscription collapsing into one sync.
Lifecycle notifications (`/api/notifications/lifecycle`, or `lifecycleEvent` in any body) are
answered the same way: `reauthorizationRequired` renews the subscription, `subscriptionRemoved`
makes a new one, and each, like `missed`, is followed by a delta sync.

`SubscriptionManager` keeps one subscription per open inspection whose channel has Files:
made when the files folder exists, renewed when less than a third of its life is left,
re-created when Graph has forgotten it (404) or let it expire, replaced when the notification
URL or the secret changes, deleted when the inspection closes or is purged. Polling on a schedule
stays the safety net (`scheduler.file_sync`), since notifications can be lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web
from msgraph.generated.models.subscription import Subscription as GraphSubscription
from msgraph.graph_service_client import GraphServiceClient

from graph.client import LOOPBACK_HOSTS, GraphConfig, send_json
from graph.errors import ErrorPolicy
from graph.sync_job import SyncListener, sync_inspection_files
from graph.times import parse_time
from inspection.clock import Clock
from inspection.errors import ConfigurationError, InspectionError, NotFound, Unavailable
from inspection.model import Channel
from inspection.repository import InspectionRepository
from inspection.workspace import ChannelWorkspace, Subscription
from jsonbody import read_json
from store.files import SqlFileStore, StoredSubscription

log = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/api/notifications"
LIFECYCLE_SUFFIX = "/lifecycle"
LIFECYCLE_PATH = NOTIFICATIONS_PATH + LIFECYCLE_SUFFIX
REAUTHORIZATION_REQUIRED = "reauthorizationRequired"
SUBSCRIPTION_REMOVED = "subscriptionRemoved"
MISSED = "missed"
LIFECYCLE_EVENTS = (REAUTHORIZATION_REQUIRED, SUBSCRIPTION_REMOVED, MISSED)
# Called with a subscription id; runs (or schedules) the delta sync it stands for.
SyncTrigger = Callable[[str], Awaitable[None]]
# Called with a subscription id and a lifecycle event.
LifecycleHandler = Callable[[str, str], Awaitable[None]]
MAX_BODY = 1_000_000
# Long enough for Graph's validation of a new subscription (up to 10 s) and the SDK's retries.
DEFAULT_LEASE = timedelta(minutes=5)

K = TypeVar("K", bound=Hashable)


class Coalescer(Generic[K]):
    """Runs `work(key)` in the background; requests arriving while one is waiting or running
    for the same key make at most one more run (a burst of 100 becomes one or two syncs)."""

    def __init__(
        self, work: Callable[[K], Awaitable[None]], *, settle_seconds: float = 0.5
    ) -> None:
        self._work = work
        self._settle = settle_seconds
        self._tasks: dict[K, asyncio.Task[None]] = {}
        self._again: set[K] = set()

    def request(self, key: K) -> None:
        task = self._tasks.get(key)
        if task is not None and not task.done():
            self._again.add(key)
            return
        self._tasks[key] = asyncio.get_running_loop().create_task(self._run(key))

    async def _run(self, key: K) -> None:
        while True:
            # Let the rest of a burst arrive before syncing once for all of it.
            await asyncio.sleep(self._settle)
            self._again.discard(key)
            try:
                await self._work(key)
            except InspectionError as exc:
                log.warning("background sync for %s failed: %s", key, exc)
            except Exception:
                log.exception("background sync for %s failed", key)
            if key not in self._again:
                break
        self._tasks.pop(key, None)

    async def idle(self) -> None:
        """Wait until no work is pending (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        for task in list(self._tasks.values()):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()


class NotificationReceiver:
    def __init__(
        self,
        trigger: SyncTrigger,
        client_state: str,
        *,
        lifecycle: LifecycleHandler | None = None,
        settle_seconds: float = 0.5,
    ) -> None:
        self.client_state = client_state
        self.coalescer: Coalescer[str] = Coalescer(trigger, settle_seconds=settle_seconds)
        self._lifecycle = lifecycle
        self.lifecycle_coalescer: Coalescer[tuple[str, str]] = Coalescer(
            self._on_lifecycle, settle_seconds=settle_seconds
        )
        self.refused = 0

    async def _on_lifecycle(self, key: tuple[str, str]) -> None:
        subscription_id, event = key
        if self._lifecycle is None:
            await self.coalescer._work(subscription_id)
        else:
            await self._lifecycle(subscription_id, event)

    def _state_ok(self, state: object) -> bool:
        return (
            bool(self.client_state)
            and isinstance(state, str)
            and hmac.compare_digest(state.encode(), self.client_state.encode())
        )

    async def handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            # Graph's handshake when a subscription is made: echo the token as plain text.
            return web.Response(text=token, content_type="text/plain")
        body = await read_json(request, MAX_BODY, what="the notification")
        if isinstance(body, web.Response):
            return body
        try:
            notifications = body["value"]
            if not isinstance(notifications, list):
                raise TypeError("value is not a list")
        except (ValueError, KeyError, TypeError):
            return web.json_response(
                {"error": 'expected Graph change notifications: {"value": [...]}'}, status=400
            )
        changed: list[str] = []
        lifecycle: list[tuple[str, str]] = []
        for notification in notifications:
            item = notification if isinstance(notification, dict) else {}
            if not self._state_ok(item.get("clientState")):
                self.refused += 1
                log.warning(
                    "refused a change notification with a wrong clientState from %s "
                    "(subscription %s)",
                    request.remote,
                    item.get("subscriptionId", "?"),
                )
                return web.json_response({"error": "clientState does not match"}, status=403)
            subscription_id = item.get("subscriptionId")
            if not isinstance(subscription_id, str) or not subscription_id:
                continue
            event = item.get("lifecycleEvent")
            if isinstance(event, str) and event:
                if event not in LIFECYCLE_EVENTS:
                    # An event this bot does not know: a delta sync is always safe.
                    log.info("lifecycle event %r for %s: syncing", event, subscription_id)
                    event = MISSED
                lifecycle.append((subscription_id, event))
            else:
                changed.append(subscription_id)
        for subscription_id in dict.fromkeys(changed):
            self.coalescer.request(subscription_id)
        for key in dict.fromkeys(lifecycle):
            self.lifecycle_coalescer.request(key)
        return web.Response(status=202)

    def routes(self, path: str = NOTIFICATIONS_PATH) -> list[web.RouteDef]:
        return [web.post(path, self.handle), web.post(path + LIFECYCLE_SUFFIX, self.handle)]

    async def idle(self) -> None:
        while self.coalescer._tasks or self.lifecycle_coalescer._tasks:
            await self.lifecycle_coalescer.idle()
            await self.coalescer.idle()

    async def close(self) -> None:
        await self.lifecycle_coalescer.close()
        await self.coalescer.close()


def notifications_routes(
    trigger: SyncTrigger,
    client_state: str,
    *,
    path: str = NOTIFICATIONS_PATH,
    settle_seconds: float = 0.5,
    lifecycle: LifecycleHandler | None = None,
) -> tuple[list[web.RouteDef], NotificationReceiver]:
    """Routes to mount (`app.router.add_routes(routes)`: change and lifecycle notifications)
    and the receiver (close it on shutdown: `app.on_cleanup.append(lambda _: receiver.close())`)."""
    receiver = NotificationReceiver(
        trigger, client_state, lifecycle=lifecycle, settle_seconds=settle_seconds
    )
    return receiver.routes(path), receiver


def subscription_trigger(
    directory: ChannelWorkspace,
    inspections: InspectionRepository,
    files: SqlFileStore,
    listeners: Sequence[SyncListener] = (),
) -> SyncTrigger:
    """A trigger that syncs the inspection a subscription belongs to."""

    async def trigger(subscription_id: str) -> None:
        stored = await files.subscription(subscription_id)
        if stored is None:
            log.warning("notification for unknown subscription %s ignored", subscription_id)
            return
        await sync_inspection_files(directory, inspections, stored.inspection_id, listeners)

    return trigger


def lifecycle_url(notification_url: str) -> str:
    """Where Graph sends lifecycle notifications: `<notification URL>/lifecycle`."""
    parts = urlsplit(notification_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + LIFECYCLE_SUFFIX))


def check_notification_settings(config: GraphConfig) -> None:
    """Refuse settings Graph would refuse (or that would let forged notifications in)."""
    if not config.notification_url:
        raise ConfigurationError(
            "GRAPH_NOTIFICATION_URL is not set, so Graph cannot notify the bot of changes; "
            "set it to the public https URL of /api/notifications (polling still works)"
        )
    parts = urlsplit(config.notification_url)
    loopback = (parts.hostname or "") in LOOPBACK_HOSTS
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or (parts.scheme == "http" and not loopback)
    ):
        raise ConfigurationError(
            f"GRAPH_NOTIFICATION_URL {config.notification_url!r} is not a public https URL; "
            "Graph only notifies https endpoints: use e.g. "
            "https://bot.example.org/api/notifications"
        )
    if len(config.client_state) < 16:
        raise ConfigurationError(
            "GRAPH_CLIENT_STATE must be a secret of at least 16 characters; Graph sends it "
            "back with every notification so the bot can refuse forged ones"
        )


def client_state_digest(client_state: str) -> str:
    return hashlib.sha256(client_state.encode()).hexdigest()


def drive_of(resource: str) -> str:
    return resource.removeprefix("/").removeprefix("drives/").removesuffix("/root")


@dataclass
class UpkeepReport:
    """One pass of `SubscriptionManager.reconcile`, by inspection id."""

    created: list[int] = field(default_factory=list)
    renewed: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    busy: list[int] = field(default_factory=list)  # another instance held the lease
    failed: dict[int, str] = field(default_factory=dict)


class SubscriptionManager:
    """Creates, renews, re-creates and deletes drive subscriptions, one per inspection channel.

    Every change happens under the inspection's lease in the database, and the stored state
    is read again once the lease is held, so with several instances each renewal or
    re-creation is done once.
    """

    def __init__(
        self,
        client: GraphServiceClient,
        files: SqlFileStore,
        config: GraphConfig,
        clock: Clock,
        *,
        holder: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self._client = client
        self._files = files
        self._config = config
        self._clock = clock
        self._errors = ErrorPolicy(clock, config.zone, config.retry_minutes)
        self.holder = holder or secrets.token_hex(8)
        self._lease = lease

    @property
    def lifetime(self) -> timedelta:
        return timedelta(minutes=self._config.subscription_minutes)

    @property
    def renew_within(self) -> timedelta:
        """Renew when less than a third of a subscription's life is left (days, for drives)."""
        return self.lifetime / 3

    def _check_config(self) -> None:
        check_notification_settings(self._config)

    def _expiry(self) -> datetime:
        return self._clock.now() + self.lifetime

    def _current(self, stored: StoredSubscription, resource: str) -> bool:
        """Made for this resource with today's URL and secret (else it is replaced)."""
        return (
            stored.resource == resource
            and stored.notification_url == self._config.notification_url
            and hmac.compare_digest(
                stored.client_state_digest, client_state_digest(self._config.client_state)
            )
        )

    def _due(self, stored: StoredSubscription, within: timedelta | None = None) -> bool:
        return stored.expires_at - self._clock.now() < (within or self.renew_within)

    @asynccontextmanager
    async def _leased(self, inspection_id: int) -> AsyncIterator[bool]:
        taken = await self._files.take_subscription_lease(
            inspection_id, self.holder, now=self._clock.now(), lease=self._lease
        )
        try:
            yield taken
        finally:
            if taken:
                await self._files.release_subscription_lease(inspection_id, self.holder)

    # -- making sure a channel has one -----------------------------------------------------
    async def subscribe(self, inspection_id: int, channel: Channel) -> Subscription:
        """Subscribe to the channel's drive (reusing a live subscription). Idempotent."""
        self._check_config()
        if not channel.drive_id:
            raise ConfigurationError("the channel's drive is not recorded; run the setup first")
        made = await self.ensure(inspection_id, channel.drive_id)
        if made is None:
            raise Unavailable(
                "another instance of the bot is setting up this channel's change notifications; "
                "try again in a minute"
            )
        return made

    async def ensure(
        self, inspection_id: int, drive_id: str, *, report: UpkeepReport | None = None
    ) -> Subscription | None:
        """The inspection's live subscription, made or renewed if need be; None when another
        instance holds the lease (it is doing this)."""
        self._check_config()
        resource = f"/drives/{drive_id}/root"
        stored = await self._files.subscriptions(inspection_id=inspection_id)
        live = [s for s in stored if self._current(s, resource) and not self._due(s)]
        if len(live) == 1 and len(stored) == 1:
            return _domain(live[0])
        async with self._leased(inspection_id) as mine:
            if not mine:
                if report is not None:
                    report.busy.append(inspection_id)
                return None
            return _domain(await self._ensure_leased(inspection_id, resource, report))

    async def _ensure_leased(
        self, inspection_id: int, resource: str, report: UpkeepReport | None
    ) -> StoredSubscription:
        now = self._clock.now()
        keep: StoredSubscription | None = None
        stale: list[StoredSubscription] = []
        # Read again under the lease: another instance may have just done the work.
        for stored in await self._files.subscriptions(inspection_id=inspection_id):
            if keep is None and self._current(stored, resource) and stored.expires_at > now:
                keep = stored
            else:
                stale.append(stored)
        if keep is not None and self._due(keep):
            keep = await self._renew_leased(keep, report)
        elif keep is None:
            # The new one first, then the old ones go: no gap in notifications.
            keep = await self._create(inspection_id, resource)
            if report is not None:
                report.created.append(inspection_id)
        for old in stale:
            await self._remove(old)
        return keep

    async def _create(self, inspection_id: int, resource: str) -> StoredSubscription:
        expiry = self._expiry()
        body = GraphSubscription(
            change_type="updated",
            notification_url=self._config.notification_url,
            lifecycle_notification_url=lifecycle_url(self._config.notification_url),
            resource=resource,
            expiration_date_time=expiry,
            client_state=self._config.client_state,
        )
        async with self._errors.guard("subscribing to changes in the channel's files"):
            info = self._client.subscriptions.to_post_request_information(body)
            created = await send_json(self._client, info)
        if not isinstance(created, dict) or not created.get("id"):
            raise InspectionError("Microsoft Graph did not return the subscription; try again")
        stored = StoredSubscription(
            str(created["id"]),
            inspection_id,
            resource,
            parse_time(created.get("expirationDateTime")) or expiry,
            self._clock.now(),
            self._config.notification_url,
            client_state_digest(self._config.client_state),
        )
        try:
            await self._files.save_subscription(stored)
        except Exception:
            # Unrecorded, it would notify until it lapses (e.g. the inspection was purged).
            with contextlib.suppress(InspectionError):
                await self._delete_at_graph(stored.id)
            raise
        log.info("subscribed to changes in inspection %s's files (%s)", inspection_id, stored.id)
        return stored

    # -- renewal ---------------------------------------------------------------------------
    async def _renew_leased(
        self, stored: StoredSubscription, report: UpkeepReport | None = None
    ) -> StoredSubscription:
        """PATCH a later expiry (which also reauthorizes); a new subscription if Graph no
        longer has it (404) or it has lapsed (Graph deletes expired subscriptions)."""
        if stored.expires_at > self._clock.now():
            expiry = self._expiry()
            try:
                async with self._errors.guard("renewing the change subscription"):
                    builder = self._client.subscriptions.by_subscription_id(stored.id)
                    info = builder.to_patch_request_information(
                        GraphSubscription(expiration_date_time=expiry)
                    )
                    answer = await send_json(self._client, info)
            except NotFound:
                log.info("Graph no longer has subscription %s; making a new one", stored.id)
            else:
                given = (
                    parse_time(answer.get("expirationDateTime"))
                    if isinstance(answer, dict)
                    else None
                )
                renewed = replace(stored, expires_at=given or expiry)
                await self._files.renewed(stored.id, renewed.expires_at)
                if report is not None:
                    report.renewed.append(stored.inspection_id)
                return renewed
        await self._files.delete_subscription(stored.id)
        made = await self._create(stored.inspection_id, stored.resource)
        if report is not None:
            report.created.append(stored.inspection_id)
        return made

    async def renew_due(self, within: timedelta | None = None) -> list[Subscription]:
        """Renew subscriptions expiring within `within` (default: a third of their life);
        re-create ones Graph has forgotten. Each is renewed once, whatever the instances."""
        self._check_config()
        window = within or self.renew_within
        renewed: list[Subscription] = []
        due = await self._files.subscriptions(expiring_before=self._clock.now() + window)
        for stored in due:
            async with self._leased(stored.inspection_id) as mine:
                if not mine:
                    continue
                fresh = await self._files.subscription(stored.id)
                if fresh is None or not self._due(fresh, window):
                    continue  # renewed (or removed) by another instance meanwhile
                renewed.append(_domain(await self._renew_leased(fresh)))
        return renewed

    # -- lifecycle notifications -----------------------------------------------------------
    async def lifecycle(self, subscription_id: str, event: str) -> int | None:
        """Act on a lifecycle notification; the inspection to sync (None: not ours)."""
        stored = await self._files.subscription(subscription_id)
        if stored is None:
            log.warning("lifecycle %s for unknown subscription %s ignored", event, subscription_id)
            return None
        inspection_id = stored.inspection_id
        log.info("lifecycle %s for inspection %s (%s)", event, inspection_id, subscription_id)
        if event == SUBSCRIPTION_REMOVED:
            # Graph has dropped it: forget it at once, so nothing counts it as live.
            await self._files.delete_subscription(subscription_id)
        if event in (SUBSCRIPTION_REMOVED, REAUTHORIZATION_REQUIRED):
            open_channel = {c.inspection_id: c for c in await self._files.channels_with_files()}
            channel = open_channel.get(inspection_id)
            if channel is None or channel.closed:
                await self.unsubscribe(inspection_id)
                return inspection_id
            async with self._leased(inspection_id) as mine:
                if mine:
                    fresh = await self._files.subscription(subscription_id)
                    if fresh is not None:
                        await self._renew_leased(fresh)  # renewing reauthorizes
                    else:
                        await self._ensure_leased(
                            inspection_id, f"/drives/{channel.drive_id}/root", None
                        )
                # else: another instance is renewing or re-creating it right now.
        return inspection_id

    # -- the scheduler's pass --------------------------------------------------------------
    async def reconcile(self) -> UpkeepReport:
        """Every open inspection with channel Files has a live subscription, renewed in good
        time; closed or vanished inspections have none."""
        self._check_config()
        report = UpkeepReport()
        channels = await self._files.channels_with_files()
        subscribed: dict[int, list[StoredSubscription]] = {}
        for stored in await self._files.subscriptions():
            subscribed.setdefault(stored.inspection_id, []).append(stored)
        wanted = {c.inspection_id for c in channels if not c.closed}
        for channel in channels:
            if channel.closed:
                continue
            resource = f"/drives/{channel.drive_id}/root"
            mine = subscribed.get(channel.inspection_id, [])
            if len(mine) == 1 and self._current(mine[0], resource) and not self._due(mine[0]):
                continue
            try:
                await self.ensure(channel.inspection_id, channel.drive_id, report=report)
            except InspectionError as exc:
                report.failed[channel.inspection_id] = str(exc)
                log.warning("change subscription for inspection %s: %s", channel.inspection_id, exc)
        for inspection_id in sorted(set(subscribed) - wanted):
            try:
                await self.unsubscribe(inspection_id)
                report.removed.append(inspection_id)
            except InspectionError as exc:
                report.failed[inspection_id] = str(exc)
                log.warning("removing inspection %s's subscription: %s", inspection_id, exc)
        return report

    # -- removal ---------------------------------------------------------------------------
    async def _delete_at_graph(self, subscription_id: str) -> None:
        with contextlib.suppress(NotFound):  # already gone: what we wanted
            async with self._errors.guard("removing the change subscription"):
                builder = self._client.subscriptions.by_subscription_id(subscription_id)
                await send_json(self._client, builder.to_delete_request_information())

    async def _remove(self, stored: StoredSubscription) -> None:
        await self._delete_at_graph(stored.id)
        await self._files.delete_subscription(stored.id)

    async def unsubscribe(self, inspection_id: int) -> int:
        """Delete the inspection's subscriptions at Graph and here (closed or purged);
        the number deleted."""
        async with self._leased(inspection_id):
            # Removal goes ahead even if another instance holds the lease: deleting is
            # idempotent, and a renewal racing it finds the inspection closed next pass.
            gone = await self._files.subscriptions(inspection_id=inspection_id)
            for stored in gone:
                await self._remove(stored)
        return len(gone)


def _domain(stored: StoredSubscription) -> Subscription:
    return Subscription(stored.id, stored.inspection_id, stored.resource, stored.expires_at)
