"""Settings from the environment or a `.env` file, validated at start."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from inspection.errors import ConfigurationError


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

    # --- Teams bot (issue 9) --------------------------------------------------------------
    # Largest activity accepted on /api/messages (Teams messages are at most about 100 KB).
    bot_max_request_bytes: int = Field(
        default=512_000, ge=16_000, le=10_000_000, alias="BOT_MAX_REQUEST_BYTES"
    )
    # Seconds to finish in-flight turns on shutdown.
    shutdown_grace_seconds: float = Field(
        default=10.0, ge=0, le=120, alias="SHUTDOWN_GRACE_SECONDS"
    )

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
