"""Files arriving in the inspection channel reach the checklist (7.2).

A sync of the channel's Files (`ChannelWorkspace.sync_files`, run by change notifications or the
polling job) gives `FileChange`s; this module turns them into the checklist's `DocumentFile`s
and ids of removed files, records them, and says what changed and which new questions to put
to the link officer. The file's bytes are fetched through the `ChannelWorkspace` port only when the
checklist needs them (content checks, or a name too weak to decide on).

    intake = ChecklistIntake(store, frameworks, clock, directory=graph_directory)
    outcome = await intake.record_sync(inspection, sync_result)
    outcome.changed            # anything recorded: update the checklist card
    outcome.new_questions      # "Is 'Data Nov.xlsx' the child-level data or the staffing data?"
    await intake.map_file(inspection, file_id, "staffing_data", by=aad_id)  # content re-checked
    await intake.recheck(inspection)   # after the on-site dates moved or notice was recorded

Every checklist operation goes through `checklist_for(inspection)`, whose `DocumentReader` reads
from that inspection's channel, so mapping a file or re-checking reads the content again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import PurePosixPath

from inspection.checklist import (
    ChecklistState,
    ChecklistStore,
    DocumentFile,
    FileRef,
    InspectionChecklist,
    Question,
)
from inspection.clock import Clock
from inspection.documents.content import DEFAULT_LIMITS, Limits
from inspection.errors import NotFound
from inspection.frameworks import ChecklistItemSpec, FrameworkRegistry
from inspection.model import Channel, Inspection, Role
from inspection.workspace import ChannelWorkspace, DriveFile, SyncResult

# The directory may only exist once the app has started (the local emulator): ask each time.
WorkspaceSource = Callable[[], ChannelWorkspace | None]
Loader = Callable[[], Awaitable[bytes]]
# Checklist services kept per channel drive (each holds its matchers); more are rebuilt.
_CACHE_LIMIT = 256


@dataclass(frozen=True)
class IntakeResult:
    """What one sync changed in an inspection's checklist."""

    inspection_id: int
    # None when the sync brought nothing new (no card to update).
    state: ChecklistState | None = None
    recorded: tuple[str, ...] = ()  # paths of new or changed files
    removed: tuple[str, ...] = ()  # ids of files that went away

    @property
    def changed(self) -> bool:
        return self.state is not None and bool(self.recorded or self.removed)

    @property
    def new_questions(self) -> tuple[Question, ...]:
        return self.state.new_questions if self.state is not None else ()


def document_file(file: DriveFile, load: Loader | None = None) -> DocumentFile:
    """The checklist's view of a file in the channel: its folder is the whole folder path
    relative to the channel's Files ("02 Self-Evaluation Report/Archive"), which is what the
    checklist matches numbered item folders against."""
    folder = file.folder
    if file.path:
        parent = str(PurePosixPath(file.path).parent)
        folder = "" if parent == "." else parent
    return DocumentFile(
        file_id=file.item_id,
        name=file.name,
        folder=folder,
        size=file.size or 0,
        modified=file.last_modified,
        web_url=file.web_url,
        load=load,
    )


def changes_to_record(
    result: SyncResult, loader: Callable[[DriveFile], Loader] | None = None
) -> tuple[list[DocumentFile], list[str]]:
    """(files to record, ids of removed files) from a sync. A file changed several times in
    one sync counts once, as it was last seen; a file deleted and back again is recorded."""
    last: dict[str, DriveFile] = {}
    deleted: dict[str, bool] = {}
    for change in result.changes:
        last.pop(change.item_id, None)  # keep the order of the latest change
        last[change.item_id] = change
        deleted[change.item_id] = change.deleted
    files = [
        document_file(change, loader(change) if loader is not None else None)
        for item_id, change in last.items()
        if not deleted[item_id]
    ]
    removed = [item_id for item_id in last if deleted[item_id]]
    return files, removed


class DirectoryReader:
    """`DocumentReader` over `ChannelWorkspace.download`, for the files of one channel."""

    def __init__(self, directory: ChannelWorkspace, channel: Channel, *, max_bytes: int) -> None:
        self._directory = directory
        self._channel = channel
        self._max_bytes = max_bytes

    async def read(self, file: DocumentFile) -> bytes:
        return await self._directory.download(
            self._channel, file.file_id, max_bytes=self._max_bytes
        )

    def loader(self, file: DriveFile) -> Loader:
        async def load() -> bytes:
            return await self._directory.download(
                self._channel, file.item_id, max_bytes=self._max_bytes
            )

        return load


def readable_channel(inspection: Inspection) -> Channel | None:
    """The inspection's channel when its Files can be read (setup recorded the drive)."""
    channel = inspection.channel
    if channel is None or not channel.drive_id:
        return None
    return channel


class ChecklistIntake:
    """The checklist of each inspection, fed by syncs of its channel's Files."""

    def __init__(
        self,
        store: ChecklistStore,
        frameworks: FrameworkRegistry,
        clock: Clock,
        *,
        directory: ChannelWorkspace | None = None,
        directory_source: WorkspaceSource | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        """`directory_source` instead of `directory` when the directory is only known once
        the app runs (the local Graph emulator starts with it)."""
        self._store = store
        self._frameworks = frameworks
        self._clock = clock
        self._source: WorkspaceSource = directory_source or (lambda: directory)
        self._limits = limits
        self._services: dict[tuple[int, str], InspectionChecklist] = {}

    def directory(self) -> ChannelWorkspace | None:
        return self._source()

    def _reader(self, inspection: Inspection) -> DirectoryReader | None:
        directory = self.directory()
        channel = readable_channel(inspection)
        if directory is None or channel is None:
            return None
        return DirectoryReader(directory, channel, max_bytes=self._limits.max_file_bytes)

    def checklist_for(self, inspection: Inspection) -> InspectionChecklist:
        """The checklist service, reading file content from this inspection's channel."""
        directory = self.directory()
        channel = readable_channel(inspection)
        key = (id(directory), channel.drive_id if channel and channel.drive_id else "")
        found = self._services.get(key)
        if found is None:
            if len(self._services) >= _CACHE_LIMIT:
                self._services.clear()
            found = InspectionChecklist(
                self._store,
                self._frameworks,
                self._clock,
                reader=self._reader(inspection),
                limits=self._limits,
            )
            self._services[key] = found
        return found

    # --- files from a sync -------------------------------------------------------------------
    async def record_sync(self, inspection: Inspection, result: SyncResult) -> IntakeResult:
        """Record what a sync of the channel's Files found (all of it on a first sync)."""
        if inspection.id is None:
            raise NotFound("this inspection has not been stored yet")
        if result.inspection_id != inspection.id:
            raise ValueError(
                f"sync of inspection {result.inspection_id} given for inspection {inspection.id}"
            )
        reader = self._reader(inspection)
        files, removed = changes_to_record(result, reader.loader if reader else None)
        if not files and not removed:
            return IntakeResult(inspection.id)
        state = await self.checklist_for(inspection).record_files(
            inspection, files, removed=removed
        )
        return IntakeResult(
            inspection.id,
            state=state,
            recorded=tuple(file.path for file in files),
            removed=tuple(removed),
        )

    async def reconcile(self, inspection: Inspection) -> IntakeResult:
        """Bring the checklist in line with every file the last sync knows of.

        A sync's changes are recorded once; if recording failed (database down mid-way) the
        next sync would not bring those files again. This catches up: files the checklist has
        not seen (or saw in an older version) are recorded, files it has that the channel no
        longer holds are removed; unchanged files are not read again.
        """
        if inspection.id is None:
            raise NotFound("this inspection has not been stored yet")
        directory = self.directory()
        if directory is None or readable_channel(inspection) is None:
            return IntakeResult(inspection.id)
        known = await directory.files(inspection.id)
        checklist = self.checklist_for(inspection)
        state = await checklist.state(inspection)
        recorded = {
            ref.file_id: ref
            for refs in (
                *(item.files for item in state.items),
                *(item.superseded for item in state.items),
                state.unmatched,
                state.ignored,
            )
            for ref in refs
        }
        reader = self._reader(inspection)
        files = [document_file(f, reader.loader(f) if reader else None) for f in known]
        fresh = [
            f
            for f in files
            if f.file_id not in recorded
            or (recorded[f.file_id].path, recorded[f.file_id].modified) != (f.path, f.modified)
        ]
        removed = sorted(set(recorded) - {f.file_id for f in files})
        if not fresh and not removed:
            return IntakeResult(inspection.id)
        # All known files go in: the checklist skips those it already has in this version.
        state = await checklist.record_files(inspection, files, removed=removed)
        return IntakeResult(
            inspection.id,
            state=state,
            recorded=tuple(f.path for f in fresh),
            removed=tuple(removed),
        )

    async def recheck(self, inspection: Inspection) -> ChecklistState | None:
        """Check every matched file's content again (after the on-site dates moved or notice
        was recorded: audit and meeting dates are judged against them). None when the files
        cannot be read here (no channel Files recorded, or no directory)."""
        if self._reader(inspection) is None:
            return None
        return await self.checklist_for(inspection).recheck(inspection)

    # --- what people say -----------------------------------------------------------------------
    async def state(self, inspection: Inspection) -> ChecklistState:
        return await self.checklist_for(inspection).state(inspection)

    async def map_file(
        self, inspection: Inspection, file_id: str, item_key: str | None, *, by: str
    ) -> ChecklistState:
        return await self.checklist_for(inspection).map_file(inspection, file_id, item_key, by=by)

    async def answer_question(
        self, inspection: Inspection, file_id: str, item_key: str | None, *, by: str
    ) -> ChecklistState:
        checklist = self.checklist_for(inspection)
        return await checklist.answer_question(inspection, file_id, item_key, by=by)

    async def waive(
        self, inspection: Inspection, item_key: str, reason: str, *, by: str
    ) -> ChecklistState:
        return await self.checklist_for(inspection).waive(inspection, item_key, reason, by=by)

    async def unwaive(self, inspection: Inspection, item_key: str, *, by: str) -> ChecklistState:
        return await self.checklist_for(inspection).unwaive(inspection, item_key, by=by)

    async def find_files(self, inspection: Inspection, words: str) -> list[FileRef]:
        return await self.checklist_for(inspection).find_files(inspection, words)

    def resolve_item(self, inspection: Inspection, words: str) -> list[ChecklistItemSpec]:
        return self.checklist_for(inspection).resolve_item(inspection, words)


def question_recipients(inspection: Inspection) -> tuple[str, ...]:
    """Who answers "what is this file?": the link officers (6.2, the service's contact), else
    the lead inspector, so a question is never left with nobody."""
    people = [m.aad_object_id for m in inspection.members_with(Role.LINK_OFFICER)]
    if not people and inspection.lead_inspector is not None:
        people = [inspection.lead_inspector.aad_object_id]
    return tuple(dict.fromkeys(people))


__all__ = [
    "ChecklistIntake",
    "DirectoryReader",
    "IntakeResult",
    "WorkspaceSource",
    "changes_to_record",
    "document_file",
    "question_recipients",
    "readable_channel",
]
