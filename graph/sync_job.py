"""The polling job's one step: a delta sync of an inspection's channel files, then listeners.

Kept apart from `graph.notifications` so that the scheduler can poll without importing
msgraph (about 35 MB) when Graph is not configured (memory).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from inspection.model import Inspection
from inspection.repository import InspectionRepository
from inspection.workspace import ChannelWorkspace, SyncResult

# Told about every completed sync (the checklist reacts to the changes).
SyncListener = Callable[[Inspection, SyncResult], Awaitable[None]]


async def sync_inspection_files(
    directory: ChannelWorkspace,
    inspections: InspectionRepository,
    inspection_id: int,
    listeners: Sequence[SyncListener] = (),
) -> SyncResult | None:
    """One delta sync for an inspection (the scheduler's polling job, and notifications).

    Returns None when the inspection has no channel files yet (nothing to sync).
    """
    inspection = await inspections.get(inspection_id)
    channel = inspection.channel
    if channel is None or not channel.drive_id or not channel.folder_id:
        return None
    result = await directory.sync_files(inspection_id, channel)
    for listener in listeners:
        await listener(inspection, result)
    return result
