"""The services a command handler may use, built once in `app.create_app` and passed to every
`register(router, services)`.

Optional services are None until the engineer who owns them wires them in `create_app`;
handlers that need one say so to the user ("not available yet") instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inspection.clock import Clock
from inspection.directory import Directory
from inspection.frameworks import FrameworkRegistry
from inspection.inspections import InspectionService
from inspection.notifier import Notifier
from inspection.repository import InspectionRepository
from store.conversations import SqlConversationStore
from store.database import Database


@dataclass
class Services:
    database: Database
    frameworks: FrameworkRegistry
    clock: Clock
    repository: InspectionRepository
    inspections: InspectionService
    conversations: SqlConversationStore
    # Microsoft Graph (channel set-up, members, files); None when not configured.
    directory: Directory | None = None
    # The channel name pattern for new inspections ("Inspection - {service} - {month}").
    channel_name_pattern: str = "Inspection - {service} - {month}"
    # The team new inspection channels are made in; None: the team the command was sent from.
    inspections_team_id: str | None = None
    notifier: Notifier | None = None
    # Owned by other issues (checklist, request log, scheduler); None until wired.
    checklist: Any = None
    requests: Any = None
    scheduler: Any = None
    # Anything else a feature module needs, by name.
    extras: dict[str, Any] = field(default_factory=dict)
