"""`inspection-bot requests export|list|grid`: the information request log (7.3) from the store."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from cli.common import CliError, frameworks, print_json, run, settings, with_database
from inspection.clock import SystemClock
from inspection.inspections import timeline_for
from inspection.request_export import factual_accuracy_grid, to_csv, to_xlsx
from inspection.requests import (
    WAITING_STATUSES,
    InformationRequest,
    RequestLog,
    RequestQuery,
    RequestStatus,
)
from store.database import Database
from store.inspections import SqlInspectionRepository
from store.request_log import SqlRequestRepository

STATUS_CHOICES = [s.value for s in RequestStatus]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("requests", help="export and list information requests")
    actions = parser.add_subparsers(dest="action", required=True, metavar="{export,list,grid}")

    export = actions.add_parser("export", help="write the request log as Excel or CSV")
    export.add_argument("--inspection", type=int, required=True, help="inspection id")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--xlsx", type=Path, help="write an Excel workbook here")
    target.add_argument("--csv", type=Path, help="write CSV here")
    export.add_argument(
        "--for",
        dest="audience",
        choices=["provider", "inspectors"],
        default="provider",
        help="provider (default) leaves out inspectors-only notes; inspectors keeps them",
    )
    export.set_defaults(handler=run(_export))

    listing = actions.add_parser("list", help="list requests, optionally filtered")
    listing.add_argument("--inspection", type=int, required=True, help="inspection id")
    listing.add_argument("--status", choices=STATUS_CHOICES, action="append", default=[])
    listing.add_argument("--open", action="store_true", help="only requests waiting for an answer")
    listing.add_argument("--overdue", action="store_true", help="only overdue requests")
    listing.add_argument("--child", help="only requests about this case reference")
    listing.add_argument("--theme", help="only requests with this theme")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run(_list))

    grid = actions.add_parser("grid", help="write the factual accuracy grid (Appendix 4)")
    grid.add_argument("--inspection", type=int, required=True, help="inspection id")
    grid.add_argument("--xlsx", type=Path, required=True, help="write the workbook here")
    grid.set_defaults(handler=run(_grid))


def _service(database: Database) -> RequestLog:
    config = settings()
    return RequestLog(
        SqlRequestRepository(database),
        SqlInspectionRepository(database),
        frameworks(config),
        SystemClock(),
        extra_closures=config.extra_closures,
    )


def _write(path: Path, content: bytes) -> None:
    if path.parent and not path.parent.is_dir():
        raise CliError(f"{path.parent} is not a folder; create it first or choose another path")
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from exc


async def _export(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        log = _service(database)
        inspection = await SqlInspectionRepository(database).get(args.inspection)
        requests = await log.all_requests(args.inspection, args.audience)
        zone = log.framework_of(inspection).zone
        today = log.today(inspection)
        if args.xlsx is not None:
            content = to_xlsx(inspection, requests, audience=args.audience, zone=zone, today=today)
            path: Path = args.xlsx
        else:
            content = to_csv(requests, audience=args.audience, zone=zone, today=today)
            path = args.csv
        _write(path, content)
        sys.stdout.write(f"Wrote {len(requests)} request(s) to {path}\n")
        return 0

    return await with_database(settings(), work)


async def _list(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        log = _service(database)
        inspection = await SqlInspectionRepository(database).get(args.inspection)
        today = log.today(inspection)
        statuses = {RequestStatus(s) for s in args.status}
        if args.open or args.overdue:
            statuses = (statuses or set(WAITING_STATUSES)) & set(WAITING_STATUSES)
            if not statuses:
                raise CliError("--open/--overdue list waiting requests: use open or follow_up")
        query = RequestQuery(
            statuses=frozenset(statuses) if statuses else None,
            due_to=date.fromordinal(today.toordinal() - 1) if args.overdue else None,
            child_ref=args.child,
            theme=args.theme,
        )
        found = await log.matching(args.inspection, query, "provider")
        if args.json:
            print_json({"requests": [_summary(r, today) for r in found]})
        elif not found:
            sys.stdout.write("No requests match.\n")
        else:
            for request in found:
                late = "  OVERDUE" if request.is_overdue(today) else ""
                text = " ".join(request.text.split())
                text = text if len(text) <= 70 else text[:69] + "…"
                sys.stdout.write(
                    f"{request.ref}  due {request.due_on:%a %d %b}  "
                    f"[{request.status.label}]{late}  {text}\n"
                )
        return 0

    return await with_database(settings(), work)


async def _grid(args: argparse.Namespace) -> int:
    async def work(database: Database) -> int:
        inspection = await SqlInspectionRepository(database).get(args.inspection)
        timeline = timeline_for(inspection, frameworks(settings()))
        keys = {milestone.key: milestone for milestone in timeline.milestones}
        due = keys.get("factual_accuracy_due")
        content = factual_accuracy_grid(
            inspection,
            draft_received=inspection.actuals.get("draft_sent"),
            comments_due=due.date if due else None,
        )
        _write(args.xlsx, content)
        sys.stdout.write(f"Wrote the factual accuracy grid to {args.xlsx}\n")
        return 0

    return await with_database(settings(), work)


def _summary(request: InformationRequest, today: date) -> dict[str, object]:
    return {
        "id": request.ref,
        "text": request.text,
        "status": request.status.value,
        "due": request.due_on.isoformat(),
        "overdue": request.is_overdue(today),
        "asked_by": request.asked_by.name,
        "asked_at": request.asked_at.isoformat(),
        "for": request.assignee.name if request.assignee else None,
        "child_refs": list(request.child_refs),
        "theme": request.theme,
        "answers": len(request.answers),
        "files": [f.name for f in request.files],
    }
