"""Assessing one file: ignored or not, which item, and that item's content checks."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime

from inspection.documents.checks import (
    CONTENT_MISMATCH,
    CheckContext,
    content_mismatch,
    grid_comment_problems,
    run_checks,
)
from inspection.documents.content import (
    DEFAULT_LIMITS,
    DocumentContent,
    Limits,
    Unreadable,
    read_content,
)
from inspection.documents.matching import Matcher, MatchResult
from inspection.documents.records import (
    Candidate,
    DocumentFile,
    DocumentReader,
    ExplicitMapping,
    FileAssessment,
)
from inspection.errors import InspectionError
from inspection.frameworks import ChecklistItemSpec, Framework
from inspection.model import Inspection
from inspection.request_export import FACTUAL_ACCURACY_FOLDER
from inspection.workspace import INFORMATION_REQUESTS_FOLDER

# --- ignoring ------------------------------------------------------------------------------------

_SYSTEM_FILES = {
    "thumbs.db": "a Windows thumbnail cache (Thumbs.db)",
    "ehthumbs.db": "a Windows thumbnail cache",
    ".ds_store": "a macOS folder settings file (.DS_Store)",
    "desktop.ini": "a Windows folder settings file (desktop.ini)",
}
_TEMP_SUFFIXES = (".tmp", ".temp", ".bak", ".crdownload", ".part", ".partial", ".swp", "~")


def ignored_reason(file: DocumentFile) -> str | None:
    """Why a file is not a checklist document (nobody uploaded it on purpose, or it belongs to
    the request log), or None."""
    name = file.name
    lower = name.lower()
    top = file.folder.replace("\\", "/").strip("/").split("/")[0]
    if top.casefold() == INFORMATION_REQUESTS_FOLDER.casefold():
        # 7.3: answers to information requests are tracked in the request log.
        return (
            f"in the '{INFORMATION_REQUESTS_FOLDER}' folder: answers to information requests "
            "are tracked in the request log, not the checklist"
        )
    if lower in _SYSTEM_FILES:
        return _SYSTEM_FILES[lower]
    if name.startswith("~$"):
        return "an Office lock file (~$...), left while someone has the document open"
    if lower.startswith(".~lock.") and lower.endswith("#"):
        return "a LibreOffice lock file, left while someone has the document open"
    if name.startswith("._"):
        return "a macOS resource fork (._...), not a document"
    if lower.endswith(_TEMP_SUFFIXES) or lower.startswith("~wr") or lower.startswith("~"):
        return "a temporary file"
    if file.size == 0:
        return "the file is empty (0 bytes); upload it again if it should have content"
    return None


# --- assessing one file --------------------------------------------------------------------------


def _context(
    notice: date | None, onsite_start: date | None, onsite_end: date | None
) -> CheckContext:
    return CheckContext(notice=notice, onsite_start=onsite_start, onsite_end=onsite_end)


def context_for(inspection: Inspection) -> CheckContext:
    return _context(inspection.notice_date, inspection.onsite_start, inspection.onsite_end)


async def _load(
    file: DocumentFile, reader: DocumentReader | None, limits: Limits
) -> DocumentContent | Unreadable:
    if file.size > limits.max_file_bytes:
        return Unreadable(
            f"the file is {file.size / 1_048_576:.0f} MB, over the "
            f"{limits.max_file_bytes // 1_048_576} MB checked; split it or remove images"
        )
    try:
        if file.load is not None:
            data = await file.load()
        elif reader is not None:
            data = await reader.read(file)
        else:
            return Unreadable("its content could not be fetched")
    except InspectionError as exc:
        return Unreadable(f"its content could not be fetched: {exc}")
    except OSError as exc:
        return Unreadable(f"its content could not be fetched: {exc.strerror or exc}")
    # Parsing is CPU work: keep the event loop (and the bot's 15 s turns) responsive.
    return await asyncio.to_thread(read_content, file.name, data, limits)


async def assess_file(
    file: DocumentFile,
    framework: Framework,
    context: CheckContext,
    *,
    matcher: Matcher | None = None,
    mapping: ExplicitMapping | None = None,
    reader: DocumentReader | None = None,
    limits: Limits = DEFAULT_LIMITS,
    now: datetime | None = None,
) -> FileAssessment:
    """Match one file to an item and run that item's content checks."""
    now = now or datetime.now(UTC)
    why_ignored = ignored_reason(file)
    if why_ignored is not None:
        return FileAssessment(file=file, ignored=why_ignored, reason=why_ignored, assessed_at=now)
    if _top_folder(file) == FACTUAL_ACCURACY_FOLDER.casefold():
        return await _factual_accuracy_grid(file, framework, reader, limits, now)
    matcher = matcher or Matcher(framework.checklist)
    folder_evidence = matcher.by_folder(file.folder)
    name_evidence = matcher.by_name(file.name)
    content: DocumentContent | Unreadable | None = None
    if mapping is not None:
        if mapping.item_key is None:
            return FileAssessment(
                file=file, reason="marked as not a checklist document", assessed_at=now
            )
        result = MatchResult(mapping.item_key, 1.0, f"{mapping.by} said so")
    else:
        result = matcher.decide(folder_evidence, name_evidence)
        if result.item_key is None or _needs_confirmation(result):
            content = await _load(file, reader, limits)
            content_evidence = (
                matcher.by_content(content) if isinstance(content, DocumentContent) else []
            )
            result = matcher.decide(folder_evidence, name_evidence, content_evidence)
    candidates = tuple(Candidate(e.item_key, e.confidence, e.reason) for e in result.candidates)
    assessment = FileAssessment(
        file=file,
        item_key=result.item_key,
        confidence=result.confidence,
        reason=result.reason,
        candidates=candidates,
        ambiguous=result.ambiguous,
        assessed_at=now,
    )
    if result.item_key is None:
        return assessment
    item = matcher.item(result.item_key)
    if not item.checks:
        return assessment
    if content is None:
        content = await _load(file, reader, limits)
    if mapping is None and isinstance(content, DocumentContent):
        lacks = content_mismatch(item, content, file.name)
        if lacks is not None:
            return _mismatched(assessment, item, result, lacks)
    return _checked(assessment, item, content, context)


def _mismatched(
    assessment: FileAssessment, item: ChecklistItemSpec, result: MatchResult, lacks: str
) -> FileAssessment:
    """Content before names: the folder or name says `item`, the content does not. Not
    received; a question for the link officer that says what the content lacks."""
    by_folder = any(e.kind == "folder" and e.item_key == item.key for e in result.candidates)
    suggested = "its folder suggests" if by_folder else "its name suggests"
    reason = f"{suggested} the {item.title}, but its content has {lacks}"
    return replace(
        assessment,
        item_key=None,
        reason=reason,
        candidates=(Candidate(item.key, assessment.confidence, reason),),
        ambiguous=True,
        content_checked=True,
        found={CONTENT_MISMATCH: frozenset({item.key})},
    )


def _top_folder(file: DocumentFile) -> str:
    return file.folder.replace("\\", "/").strip("/").split("/")[0].casefold()


async def _factual_accuracy_grid(
    file: DocumentFile,
    framework: Framework,
    reader: DocumentReader | None,
    limits: Limits,
    now: datetime,
) -> FileAssessment:
    """7.4, Appendix 4: the grid the provider returns is not a checklist document; its
    comments are free text, checked for children's names like any other (9.7)."""
    reason = (
        f"in the '{FACTUAL_ACCURACY_FOLDER}' folder: the factual accuracy grid (7.4, "
        "Appendix 4) is read by the inspectors, not the checklist"
    )
    problems: list[str] = []
    if file.name.lower().endswith((".xlsx", ".xlsm", ".csv")):
        content = await _load(file, reader, limits)
        if isinstance(content, DocumentContent):
            problems = grid_comment_problems(content, framework.privacy.proper_nouns)
    if problems:
        reason += (
            f". 9.7: {len(problems)} comment(s) may name a child or give a date of birth ("
            + "; ".join(problems[:5])
            + "); use the case reference number instead and upload the grid again"
        )
    return FileAssessment(
        file=file, ignored=reason, reason=reason, problems=tuple(problems), assessed_at=now
    )


def _needs_confirmation(result: MatchResult) -> bool:
    # A lone weak reason ("its name contains 'diary'") is confirmed against the content.
    return result.confidence < 0.75 and not any(e.kind == "folder" for e in result.candidates)


def _checked(
    assessment: FileAssessment,
    item: ChecklistItemSpec,
    content: DocumentContent | Unreadable,
    context: CheckContext,
) -> FileAssessment:
    if isinstance(content, Unreadable):
        return replace(assessment, notes=(f"received, content not checked: {content.reason}",))
    result = run_checks(item, content, context)
    return replace(
        assessment,
        content_checked=True,
        problems=tuple(result.problems),
        notes=tuple(result.notes),
        found={k: frozenset(v) for k, v in result.found.items()},
    )
