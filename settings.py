"""Settings from the environment or a `.env` file, validated at start."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inspection.errors import ConfigurationError
from inspection.frameworks import FrameworkRegistry


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- Storage -----------------------------------------------------------------------------
    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/inspection-bot.db", alias="DATABASE_URL"
    )

    # --- Frameworks and calendar -------------------------------------------------------------
    frameworks_dir: Path | None = Field(default=None, alias="FRAMEWORKS_DIR")
    # Local closure days on top of bank holidays, e.g. "2024-12-24,2024-12-31".
    extra_closures: tuple[date, ...] = Field(default=(), alias="EXTRA_CLOSURE_DAYS")

    # --- Reminders and the scheduler (scheduler/) ------------------------------------
    scheduler_enabled: bool = Field(default=True, alias="SCHEDULER_ENABLED")
    # How often the scheduler also looks for missed and failed reminders, in minutes (it runs
    # at each framework's reminder and Keep in Touch times as well).
    scheduler_interval_minutes: int = Field(
        default=5, ge=1, le=60, alias="SCHEDULER_INTERVAL_MINUTES"
    )
    # A reminder sent this many minutes after its time says "(delayed)".
    reminder_delayed_after_minutes: int = Field(
        default=60, ge=1, le=1440, alias="REMINDER_DELAYED_AFTER_MINUTES"
    )
    # A reminder Teams did not take is tried again after this many minutes.
    reminder_retry_minutes: int = Field(default=15, ge=1, le=1440, alias="REMINDER_RETRY_MINUTES")

    # --- HTTP server -------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", alias="HOST")
    port: int = Field(default=3978, ge=1, le=65535, alias="PORT")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )

    # --- Bot Framework (empty app id: local mode, authentication off) -----------------------
    microsoft_app_id: str = Field(default="", alias="MicrosoftAppId")
    microsoft_app_password: str = Field(default="", alias="MicrosoftAppPassword", repr=False)
    microsoft_app_tenant_id: str = Field(default="", alias="MicrosoftAppTenantId")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", alias="MicrosoftAppType"
    )

    # --- Teams bot --------------------------------------------------------------
    # Largest activity accepted on /api/messages (Teams messages are at most about 100 KB).
    bot_max_request_bytes: int = Field(
        default=512_000, ge=16_000, le=10_000_000, alias="BOT_MAX_REQUEST_BYTES"
    )
    # Longest wait for a Bot Framework token check (it may fetch the signing keys); longer,
    # and the request is answered 503 with Retry-After.
    bot_token_check_seconds: float = Field(
        default=5.0, gt=0, le=14, alias="BOT_TOKEN_CHECK_SECONDS"
    )
    # Seconds to finish in-flight turns on shutdown.
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=120, alias="SHUTDOWN_GRACE_SECONDS"
    )

    # --- Microsoft Graph (graph/) ---------------------------------------------------
    # Any Graph-compatible server; a loopback URL (the emulator) uses a dummy token.
    graph_base_url: str = Field(default="https://graph.microsoft.com/v1.0", alias="GRAPH_BASE_URL")
    # auto: static token on loopback, else certificate, client secret, or managed identity.
    graph_credential: Literal[
        "auto", "client_secret", "certificate", "managed_identity", "static"
    ] = Field(default="auto", alias="GRAPH_CREDENTIAL")
    graph_tenant_id: str = Field(default="", alias="GRAPH_TENANT_ID")  # else MicrosoftAppTenantId
    graph_client_id: str = Field(default="", alias="GRAPH_CLIENT_ID")  # else MicrosoftAppId
    graph_client_secret: str = Field(default="", alias="GRAPH_CLIENT_SECRET", repr=False)
    graph_certificate_path: Path | None = Field(default=None, alias="GRAPH_CERTIFICATE_PATH")
    graph_certificate_password: str = Field(
        default="", alias="GRAPH_CERTIFICATE_PASSWORD", repr=False
    )
    # The inspectorate's team, where inspection channels are made (7.2).
    graph_team_id: str = Field(default="", alias="GRAPH_TEAM_ID")
    graph_channel_name_pattern: str = Field(
        default="Inspection - {service} - {month}", alias="GRAPH_CHANNEL_NAME_PATTERN"
    )
    graph_channel_membership: Literal["private", "standard"] = Field(
        default="private", alias="GRAPH_CHANNEL_MEMBERSHIP"
    )
    # Change notifications (optional; polling is the fallback): public https URL of
    # POST /api/notifications, and the secret Graph echoes back in each notification.
    graph_notification_url: str = Field(default="", alias="GRAPH_NOTIFICATION_URL")
    graph_client_state: str = Field(default="", alias="GRAPH_CLIENT_STATE", repr=False)
    # How often the bot makes sure each channel with Files has a live subscription, renewed
    # in good time (seconds; a pass with nothing to do makes no Graph call).
    graph_subscription_check_seconds: float = Field(
        default=60.0, ge=1, le=3600, alias="GRAPH_SUBSCRIPTION_CHECK_SECONDS"
    )
    graph_files_folder_wait_minutes: float = Field(
        default=10.0, ge=0, le=120, alias="GRAPH_FILES_FOLDER_WAIT_MINUTES"
    )
    graph_retry_minutes: int = Field(default=15, ge=1, le=1440, alias="GRAPH_RETRY_MINUTES")
    graph_timezone: str = Field(default="Europe/London", alias="GRAPH_TIMEZONE")
    # Where the in-process emulator keeps channel files in local runs.
    graph_emulator_folder: Path = Field(
        default=Path("./local/graph-files"), alias="GRAPH_EMULATOR_FOLDER"
    )

    # --- Checklist intake: files in the channel reach the checklist ----------
    # How often each open inspection's channel Files are synced when change notifications are
    # off or quiet (the local Graph emulator is polled every 30 seconds instead).
    file_sync_minutes: float = Field(default=5.0, gt=0, le=1440, alias="FILE_SYNC_MINUTES")

    # --- Operations: logs and metrics -----------------------------------------------
    # "json": one JSON object per line (production); "text": readable lines (local runs).
    log_format: Literal["json", "text"] = Field(default="json", alias="LOG_FORMAT")
    # When set, GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>".
    metrics_token: str = Field(default="", alias="METRICS_TOKEN", repr=False)

    # --- Load -------------------------------------------------------------------------
    # Draw a small timeline picture at start-up (in the background) so the first `timeline`
    # answers sooner; off by default: it loads matplotlib (~25 MB) into every process, which
    # otherwise happens on the first timeline picture (drawn off the event loop either way).
    timeline_warm_up: bool = Field(default=False, alias="TIMELINE_WARM_UP")
    # At most this many turns run at once; the others wait their turn in arrival order (0: no
    # limit). Under overload the queue forms at the door, fairly, instead of inside turns that
    # then hold database connections and time out.
    max_concurrent_turns: int = Field(default=16, ge=0, le=10_000, alias="MAX_CONCURRENT_TURNS")

    @field_validator("extra_closures", mode="before")
    @classmethod
    def _split_dates(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def local_mode(self) -> bool:
        return not self.microsoft_app_id


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a bad value is refused naming the variable and the problem."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise ConfigurationError(f"setting {name}: {first['msg']}") from exc


def load_frameworks(settings: Settings) -> FrameworkRegistry:
    """The built-in frameworks, and the inspectorate's own rule files from FRAMEWORKS_DIR."""
    extra = (settings.frameworks_dir,) if settings.frameworks_dir else ()
    return FrameworkRegistry.load(*extra)
