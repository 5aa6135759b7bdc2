"""Everything a handler may use, built once by the composition root (`app.build_services`) and
handed to every handler as its second argument.

Each field is one service, typed; nothing is looked up by name. A field is None only where the
deployment has no such thing: no Microsoft Graph configured (`directory`), no reminder
scheduler in this instance (`scheduler`), no polling of the channels' Files (`file_sync`).
Handlers that need one of those say so to the user instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from inspection.checklist import InspectionChecklist
from inspection.clock import Clock
from inspection.frameworks import FrameworkRegistry
from inspection.inspections import InspectionService
from inspection.intake import ChecklistIntake
from inspection.notifier import Notifier
from inspection.reminder_dispatch import Outbox, ReminderDispatcher
from inspection.repository import InspectionRepository
from inspection.request_export import LogPublisher
from inspection.requests import RequestLog
from inspection.workspace import ChannelWorkspace
from store.conversations import SqlConversationStore
from store.database import Database

if TYPE_CHECKING:
    from bot.features.checklist.board import ChecklistBoard
    from bot.sender import Sender
    from graph.notifications import SubscriptionManager
    from scheduler.file_sync import FileSyncPoller
    from scheduler.runtime import ReminderScheduler


@dataclass
class Services:
    database: Database
    frameworks: FrameworkRegistry
    clock: Clock
    repository: InspectionRepository
    inspections: InspectionService
    conversations: SqlConversationStore
    requests: RequestLog
    checklist: InspectionChecklist
    # Files in the channel -> the checklist (and the questions about files).
    intake: ChecklistIntake
    # Reminders sent and failed (any instance's), for `status`.
    outbox: Outbox
    dispatcher: ReminderDispatcher
    notifier: Notifier
    # Every outbound message (bot/sender.py).
    sender: Sender
    # The live checklist card in each inspection channel.
    board: ChecklistBoard
    # The channel name pattern for new inspections ("Inspection - {service} - {month}").
    channel_name_pattern: str
    # The team new inspection channels are made in; None: the team the command was sent from.
    inspections_team_id: str | None
    # Microsoft Graph (channel set-up, members, files); None when not configured.
    directory: ChannelWorkspace | None = None
    # Graph change subscriptions for the channels' Files (GRAPH_NOTIFICATION_URL set).
    subscriptions: SubscriptionManager | None = None
    # Keeps the Excel copy of the request log in the channel's Files (needs `directory`).
    log_publisher: LogPublisher | None = None
    # Polls the channels' Files (and `sync files`); None when this instance does not.
    file_sync: FileSyncPoller | None = None
    # None when this instance runs no scheduler (SCHEDULER_ENABLED=false, tests).
    scheduler: ReminderScheduler | None = None
