"""Recording an answer to a request (7.3: every response is kept with its request), with the
files that came with it, and the dialog that asks for what an answer is missing."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from bot.activities import TEAMS_FILE_REFERENCE, TEAMS_FILE_TYPES
from bot.features.information_requests.cards import ANSWER_CONFIRMED_ACTION, confirm_card
from bot.features.information_requests.dialogs import DIALOG_ID
from bot.features.information_requests.views import card_for, person
from bot.router import Attachment, DialogStart, Reply, Turn
from bot.services import Services
from inspection.errors import InspectionError
from inspection.model import Inspection
from inspection.requests import LinkedFile, Precheck, RequestStatus
from inspection.workspace import INFORMATION_REQUESTS_FOLDER, clean_name

log = logging.getLogger(__name__)

MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024


async def record_answer(
    turn: Turn, services: Services, ref: str, text: str, complete: bool, *, confirm: bool = False
) -> Reply:
    """Record `text` (and the turn's files) as an answer to `ref`; unless `confirm`, the
    privacy check (9.7) runs first and nothing is recorded while it finds something."""
    service = services.requests
    inspection = turn.require_inspection()
    current = await service.get(turn.inspection_id, ref, person(turn))
    findings = list(service.check_privacy(inspection, text)) if text and not confirm else []
    if findings:
        # Checked before any file is copied: nothing is recorded until the person decides.
        check = Precheck(tuple(findings))
        if turn.attachments:
            return Reply(
                text=f"Not recorded yet. {check.message().split(' Edit the text')[0]} "
                "Edit your message and send it again with the attachment."
            )
        data = {"request": current.ref, "text": text, "complete": complete}
        return Reply(
            text="Not recorded yet. " + check.message(),
            card=confirm_card(check, data, action=ANSWER_CONFIRMED_ACTION,
                              label="Record anyway"),
        )  # fmt: skip
    files, problems = await linked_files(services, inspection, current.ref, turn.attachments)
    answered = await service.answer(
        turn.inspection_id, ref, person(turn), text, files=files, complete=complete,
        confirm=True,
    )  # fmt: skip
    what = "Recorded an answer to" if complete else "Recorded a partial answer to"
    attached = f" with {len(files)} file(s)" if files else ""
    summary = f"{what} {answered.ref}{attached}. It is now {answered.status.label}."
    if problems:
        summary += " " + " ".join(problems)
    return Reply(text=summary, card=card_for(turn, services, answered))


async def start_answer_dialog(
    turn: Turn, services: Services, ref: str | None, *, complete: bool = True
) -> Reply:
    """Ask for what is missing (which request, the response text, files) in a dialog."""
    if ref is not None:
        current = await services.requests.get(turn.inspection_id, ref, person(turn))
        if current.status in (RequestStatus.ACCEPTED, RequestStatus.WITHDRAWN):
            raise InspectionError(
                f"{current.ref} is {current.status.label}; it needs no answer. "
                "Type `requests` to see the open ones."
            )
        ref = current.ref
    files = [_attachment_data(a) for a in file_attachments(turn.attachments)]
    example = ref or "IR-004"
    return Reply(
        dialog=DialogStart(
            DIALOG_ID,
            {"inspection_id": turn.inspection_id, "ref": ref, "complete": complete,
             "files": files},
            instead=f"Tell me in one message, e.g. `{example} is answered, see the attached` "
            "with the file(s) attached.",
        )
    )  # fmt: skip


def file_attachments(attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """The attachments that are files (not Teams' HTML copy of the message, not a card)."""
    return tuple(a for a in attachments if a.content_type in TEAMS_FILE_TYPES and a.name)


def _attachment_data(attachment: Attachment) -> dict[str, Any]:
    return {
        "name": attachment.name,
        "content_type": attachment.content_type,
        "content_url": attachment.content_url,
        "content": attachment.content if isinstance(attachment.content, dict) else None,
    }


async def linked_files(
    services: Services, inspection: Inspection, ref: str, attachments: tuple[Attachment, ...]
) -> tuple[list[LinkedFile], list[str]]:
    """Files attached to an answer, as links to channel files.

    A file sent in a personal chat lives in the sender's OneDrive, which inspectors may not be
    able to open: it is copied into the channel's "Information requests" folder when the
    ChannelWorkspace is available. A file shared in the channel is linked where it is.
    """
    files: list[LinkedFile] = []
    problems: list[str] = []
    for attachment in attachments:
        if attachment.content_type not in TEAMS_FILE_TYPES or not attachment.name:
            continue
        content = attachment.content if isinstance(attachment.content, dict) else {}
        unique = content.get("uniqueId") if isinstance(content.get("uniqueId"), str) else None
        if attachment.content_type == TEAMS_FILE_REFERENCE or services.directory is None:
            files.append(LinkedFile(attachment.name, attachment.content_url, unique))
            continue
        # Teams gives a short-lived `downloadUrl` for the bytes and a `contentUrl` for people.
        download = content.get("downloadUrl")
        if inspection.channel is None or not isinstance(download, str) or not download:
            files.append(LinkedFile(attachment.name, attachment.content_url, unique))
            continue
        try:
            data = await _download(download)
            uploaded = await services.directory.upload(
                inspection.channel,
                INFORMATION_REQUESTS_FOLDER,
                clean_name(f"{ref} {attachment.name}"),
                data,
                content_type=str(content.get("fileType") or "application/octet-stream"),
            )
        except (InspectionError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "answer file not copied", extra={"request": ref, "error": type(exc).__name__}
            )
            problems.append(
                f"I couldn't copy {attachment.name} into the channel's files ({exc}); the link "
                "goes to where you shared it, so check the inspectors can open it."
            )
            files.append(LinkedFile(attachment.name, attachment.content_url, unique))
            continue
        files.append(
            LinkedFile(attachment.name, uploaded.web_url, uploaded.item_id, uploaded.drive_id)
        )
    return files, problems


async def _download(url: str) -> bytes:
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
        if response.status >= 400:
            raise InspectionError(f"the file could not be fetched (HTTP {response.status})")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > MAX_DOWNLOAD_BYTES:
                raise InspectionError("the file is over 50 MB; upload it to the channel instead")
            chunks.append(chunk)
        return b"".join(chunks)
