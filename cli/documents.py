"""`inspection-bot check-documents DIR`: check a local folder as if it were the channel's Files.

Prints the checklist (or one JSON object with --json). It is a report: the exit code is 0
whatever the status; 2 for a missing folder, an unknown framework or bad dates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from cli.common import CliError, frameworks, iso_date, print_json, run, settings
from inspection.checklist import (
    ChecklistRecords,
    ChecklistState,
    DocumentFile,
    ItemStatus,
    assess_file,
    build_state,
)
from inspection.documents.checks import CheckContext
from inspection.documents.matching import Matcher

# A folder with more files than this is probably not an inspection's upload folder.
MAX_FILES = 5_000
MARKS = {
    ItemStatus.RECEIVED: "[x]",
    ItemStatus.MISSING: "[ ]",
    ItemStatus.NEEDS_ATTENTION: "[!]",
    ItemStatus.WAIVED: "[-]",
}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check-documents",
        help="check a folder of uploaded documents against the framework's checklist",
        description=(
            "Check a local folder as if it were the inspection channel's Files: match each file "
            "to a required or optional item, check content where the handbook says what must be "
            "in it, and print the checklist. Exit code 0 whatever the status."
        ),
    )
    parser.add_argument("directory", metavar="DIR", type=Path, help="the folder to check")
    parser.add_argument("--framework", required=True, help="e.g. jcc-children-social-care")
    parser.add_argument(
        "--notice", type=iso_date, help="the date notice was given (audit dates are checked)"
    )
    parser.add_argument("--onsite-start", type=iso_date, help="first on-site day (YYYY-MM-DD)")
    parser.add_argument("--onsite-end", type=iso_date, help="last on-site day (YYYY-MM-DD)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run(_check_documents))


def local_files(directory: Path) -> list[DocumentFile]:
    """Every file under `directory` (symbolic links are not followed), as DocumentFiles."""
    found: list[DocumentFile] = []
    for root, dirs, names in os.walk(directory, followlinks=False):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if path.is_symlink() or not path.is_file():
                continue
            stat = path.stat()
            relative = path.relative_to(directory).as_posix()
            folder = relative.rpartition("/")[0]
            found.append(
                DocumentFile(
                    file_id=relative,
                    name=name,
                    folder=folder,
                    size=stat.st_size,
                    modified=datetime.fromtimestamp(stat.st_mtime, UTC),
                    load=_loader(path),
                )
            )
            if len(found) > MAX_FILES:
                raise CliError(
                    f"{directory} holds more than {MAX_FILES} files; point at the folder of one "
                    "inspection's uploads"
                )
    return found


def _loader(path: Path) -> Callable[[], Awaitable[bytes]]:
    async def load() -> bytes:
        return await asyncio.to_thread(path.read_bytes)

    return load


async def check_directory(
    directory: Path, framework_key: str, context: CheckContext
) -> ChecklistState:
    framework = frameworks(settings()).get(framework_key)
    if not framework.checklist:
        raise CliError(f"framework {framework_key!r} has no checklist of documents to check")
    if not await asyncio.to_thread(directory.is_dir):
        raise CliError(f"{directory}: no such folder; give the folder holding the uploads")
    matcher = Matcher(framework.checklist)
    records = ChecklistRecords()
    for file in await asyncio.to_thread(local_files, directory):
        records.files[file.file_id] = await assess_file(file, framework, context, matcher=matcher)
    return build_state(framework, records)


async def _check_documents(args: argparse.Namespace) -> int:
    if (args.onsite_start is None) != (args.onsite_end is None):
        raise CliError("give both --onsite-start and --onsite-end, or neither")
    if args.onsite_start and args.onsite_end < args.onsite_start:
        raise CliError("--onsite-end is before --onsite-start; check the dates")
    context = CheckContext(
        notice=args.notice, onsite_start=args.onsite_start, onsite_end=args.onsite_end
    )
    state = await check_directory(args.directory, args.framework, context)
    if args.json:
        print_json(state.to_json())
    else:
        sys.stdout.write(format_checklist(state))
    return 0


def format_checklist(state: ChecklistState) -> str:
    counts = state.required_counts()
    lines = [
        f"Required documents: {counts['received']} received, {counts['needs_attention']} need "
        f"attention, {counts['missing']} missing, {counts['waived']} waived",
        "",
    ]
    for heading, required in (("Required", True), ("Optional", False)):
        lines.append(f"{heading}:")
        for item in state.items:
            if item.required != required:
                continue
            status = item.status.value.replace("_", " ")
            lines.append(f"  {MARKS[item.status]} {item.title} ({status})")
            lines.extend(f"        file: {f.path}" for f in item.files)
            lines.extend(f"        superseded: {f.path} ({f.reason})" for f in item.superseded)
            lines.extend(f"        problem: {p}" for p in item.problems)
            lines.extend(f"        note: {n}" for n in item.notes)
        lines.append("")
    if state.questions:
        lines.append("Questions for the link officer:")
        lines.extend(f"  {q.text}" for q in state.questions)
        lines.append("")
    if state.unmatched:
        lines.append("Not matched to any item:")
        lines.extend(f"  {f.path}: {f.reason}" for f in state.unmatched)
        lines.append("")
    if state.ignored:
        lines.append("Ignored:")
        lines.extend(f"  {f.path}: {f.reason}" for f in state.ignored)
        lines.append("")
    return "\n".join(lines)
