"""The services a command handler may use, built once in `app.create_app` and passed to every
`register(router, services)`.

A service may be None where it is not configured (no Microsoft Graph, no scheduler in this
instance); handlers that need one say so to the user instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.sender import Sender
from inspection.checklist import InspectionChecklist
from inspection.clock import Clock
from inspection.directory import Directory
from inspection.frameworks import FrameworkRegistry
from inspection.inspections import InspectionService
from inspection.notifier import Notifier
from inspection.reminder_dispatch import Outbox
from inspection.repository import InspectionRepository
from inspection.requests import RequestLog
from scheduler.runtime import ReminderScheduler
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
    # Every outbound message (bot/sender.py); None only where no bot runs (package-app).
    sender: Sender | None = None
    # None only where a command list is built without a running bot (package-app).
    checklist: InspectionChecklist | None = None
    requests: RequestLog | None = None
    # None when this instance runs no scheduler (SCHEDULER_ENABLED=false, tests).
    scheduler: ReminderScheduler | None = None
    # Reminders sent and failed (any instance's), for `status`.
    outbox: Outbox | None = None
    # Anything else a feature module needs, by name.
    extras: dict[str, Any] = field(default_factory=dict)
