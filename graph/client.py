"""Building the Microsoft Graph client: base URL, credentials, retry policy.

The SDK keeps its default middleware (retry on 429/503/504 honouring Retry-After, redirects);
only its base URL changes, so the same code talks to Microsoft Graph or to the loopback
emulator. With a loopback base URL a static dummy token is used: no Azure account needed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from azure.core.credentials import AccessToken
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory  # type: ignore[import-untyped]

from inspection.errors import ConfigurationError
from inspection.workspace import DEFAULT_CHANNEL_NAME_PATTERN, MembershipType

GRAPH_SCOPES = ["https://graph.microsoft.com/.default"]
DEFAULT_BASE_URL = "https://graph.microsoft.com/v1.0"
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
CredentialKind = Literal["auto", "client_secret", "certificate", "managed_identity", "static"]


@dataclass(frozen=True)
class GraphConfig:
    """Everything graph/ needs from the settings (see settings.py, "Microsoft Graph")."""

    base_url: str = DEFAULT_BASE_URL
    credential: CredentialKind = "auto"
    tenant_id: str = ""
    client_id: str = ""
    client_secret: str = ""
    certificate_path: Path | None = None
    certificate_password: str = ""
    team_id: str = ""
    channel_name_pattern: str = DEFAULT_CHANNEL_NAME_PATTERN
    membership_type: MembershipType = "private"
    notification_url: str = ""
    client_state: str = ""
    # A new private channel's files can take minutes to appear (SharePoint provisioning).
    files_folder_wait_seconds: float = 600.0
    # When Graph stays unavailable, the bot says when it will try again.
    retry_minutes: int = 15
    timezone: str = "Europe/London"
    max_retries: int = 3
    subscription_minutes: int = 42300 - 60  # drive subscriptions: at most 42,300 minutes

    @classmethod
    def from_settings(cls, settings: Any) -> GraphConfig:
        """From `settings.Settings` (read by attribute so graph/ does not import the app)."""
        return cls(
            base_url=settings.graph_base_url.rstrip("/"),
            credential=settings.graph_credential,
            tenant_id=settings.graph_tenant_id or settings.microsoft_app_tenant_id,
            client_id=settings.graph_client_id or settings.microsoft_app_id,
            client_secret=settings.graph_client_secret or settings.microsoft_app_password,
            certificate_path=settings.graph_certificate_path,
            certificate_password=settings.graph_certificate_password,
            team_id=settings.graph_team_id,
            channel_name_pattern=settings.graph_channel_name_pattern,
            membership_type=settings.graph_channel_membership,
            notification_url=settings.graph_notification_url,
            client_state=settings.graph_client_state,
            files_folder_wait_seconds=settings.graph_files_folder_wait_minutes * 60,
            retry_minutes=settings.graph_retry_minutes,
            timezone=settings.graph_timezone,
        )

    @property
    def is_loopback(self) -> bool:
        return is_loopback(self.base_url)

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigurationError(
                f"GRAPH_TIMEZONE {self.timezone!r} is not a time zone; use an IANA name such as "
                "Europe/London"
            ) from None


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


class StaticTokenCredential:
    """A fixed bearer token, for the loopback emulator (it checks one is sent, not its value)."""

    def __init__(self, token: str = "local-emulator-token") -> None:  # noqa: S107
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


def make_credential(config: GraphConfig) -> Any:
    """The azure-identity credential the settings choose ("auto": the best one configured)."""
    kind = config.credential
    if kind == "auto":
        if config.is_loopback:
            kind = "static"
        elif config.certificate_path:
            kind = "certificate"
        elif config.client_secret:
            kind = "client_secret"
        else:
            kind = "managed_identity"
    if kind == "static":
        if not config.is_loopback:
            raise ConfigurationError(
                "GRAPH_CREDENTIAL=static only works with a loopback GRAPH_BASE_URL (the "
                "emulator); for Microsoft Graph choose client_secret, certificate or "
                "managed_identity"
            )
        return StaticTokenCredential()
    if kind in ("client_secret", "certificate"):
        missing = [
            name
            for name, value in (
                ("GRAPH_TENANT_ID (or MicrosoftAppTenantId)", config.tenant_id),
                ("GRAPH_CLIENT_ID (or MicrosoftAppId)", config.client_id),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                f"Microsoft Graph credentials ({kind}) need {' and '.join(missing)}; set them "
                "in the environment or .env"
            )
    if kind == "client_secret":
        if not config.client_secret:
            raise ConfigurationError(
                "GRAPH_CREDENTIAL=client_secret needs GRAPH_CLIENT_SECRET (or MicrosoftAppPassword)"
            )
        from azure.identity.aio import ClientSecretCredential

        return ClientSecretCredential(config.tenant_id, config.client_id, config.client_secret)
    if kind == "certificate":
        path = config.certificate_path
        if path is None or not path.is_file():
            raise ConfigurationError(
                f"GRAPH_CERTIFICATE_PATH {str(path) if path else '(not set)'} is not a readable "
                "certificate file (PEM or PKCS12 with its private key)"
            )
        from azure.identity.aio import CertificateCredential

        return CertificateCredential(
            config.tenant_id,
            config.client_id,
            str(path),
            password=config.certificate_password or None,
        )
    from azure.identity.aio import DefaultAzureCredential

    return DefaultAzureCredential()


def build_client(config: GraphConfig, credential: Any | None = None) -> GraphServiceClient:
    """A GraphServiceClient pointed at `config.base_url` with Graph's default middleware."""
    parts = urlsplit(config.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"GRAPH_BASE_URL {config.base_url!r} is not a URL; use "
            f"{DEFAULT_BASE_URL} or the emulator's http://127.0.0.1:PORT/v1.0"
        )
    if parts.scheme == "http" and not is_loopback(config.base_url):
        raise ConfigurationError(
            f"GRAPH_BASE_URL {config.base_url!r} uses plain http; only https is allowed except "
            "for a loopback emulator"
        )
    auth = AzureIdentityAuthenticationProvider(
        credential if credential is not None else make_credential(config),
        scopes=GRAPH_SCOPES,
        allowed_hosts=[parts.hostname],
    )
    retry = RetryHandlerOption(max_retries=max(0, min(config.max_retries, 10)))
    http_client = GraphClientFactory.create_with_default_middleware(
        options={RetryHandlerOption.get_key(): retry}
    )
    http_client.event_hooks["response"].append(count_graph_response)  # /metrics
    adapter = GraphRequestAdapter(auth, client=http_client)
    # Set on the adapter, not the httpx client, which would add a trailing slash (graph-notes).
    adapter.base_url = config.base_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter)


async def send_json(client: GraphServiceClient, info: Any) -> Any:
    """Send a request through the SDK's pipeline (auth, retries, ODataError) and parse the
    JSON answer ourselves.

    msgraph-sdk's model parsing is slow: the first parse imports thousands of model modules
    (about 5 s, blocking the event loop) and each driveItem then costs about 30 ms (Entity
    rebuilds its table of deserialisers on every call), so 10,000 files would take minutes.
    Request bodies are still built with the SDK's models; answers are read as plain JSON.
    """
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    send: Any = client.request_adapter.send_primitive_async  # typed as returning None
    raw = await send(info, "bytes", {"XXX": ODataError})
    return json.loads(raw) if raw else {}


async def get_json(client: GraphServiceClient, builder: Any, url: str | None = None) -> Any:
    """GET `builder` (or `url`, a nextLink/deltaLink, through it) as JSON."""
    info = (builder.with_url(url) if url else builder).to_get_request_information()
    return await send_json(client, info)


async def count_graph_response(response: Any) -> None:
    """Graph calls by outcome for /metrics (after the SDK's own retries: what the bot saw)."""
    import metrics

    status = int(getattr(response, "status_code", 0) or 0)
    if status in (429, 503, 504):
        metrics.GRAPH_THROTTLES.inc()
        metrics.GRAPH_CALLS.labels(outcome="throttled").inc()
    elif status >= 400:
        metrics.GRAPH_CALLS.labels(outcome="error").inc()
    else:
        metrics.GRAPH_CALLS.labels(outcome="ok").inc()
