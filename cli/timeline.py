"""`inspection-bot timeline`: plan an inspection's milestones without storing anything."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from cli.common import CliError, frameworks, iso_date, print_json, run, settings
from inspection.timeline import Timeline, plan


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "timeline",
        help="plan an inspection's dated milestones",
        description="Plan the dated milestones of an inspection from its framework's rules.",
    )
    parser.add_argument("--framework", required=True, help="e.g. jcc-children-social-care")
    parser.add_argument("--type", required=True, dest="inspection_type", help="e.g. full, focused")
    parser.add_argument("--onsite-start", type=iso_date, help="first on-site day (YYYY-MM-DD)")
    parser.add_argument("--onsite-end", type=iso_date, help="last on-site day (YYYY-MM-DD)")
    parser.add_argument("--month", type=_month, help="for a monthly cycle: YYYY-MM")
    parser.add_argument("--notice", type=iso_date, help="the date notice was actually given")
    parser.add_argument("--draft-sent", type=iso_date, help="the date the draft report was sent")
    parser.add_argument(
        "--comments-received", type=iso_date, help="the date the provider's comments arrived"
    )
    parser.add_argument(
        "--allow-late-notice",
        action="store_true",
        help="plan even when notice was given later than the framework allows (with a warning)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run(_timeline))


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01") if len(text) == 7 else date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month; use YYYY-MM") from None


async def _timeline(args: argparse.Namespace) -> int:
    framework = frameworks(settings()).get(args.framework)
    framework.inspection_type(args.inspection_type)
    if framework.kind == "inspection" and (args.onsite_start is None or args.onsite_end is None):
        raise CliError("give --onsite-start and --onsite-end (YYYY-MM-DD)")
    if framework.kind == "monthly_cycle" and args.month is None:
        if args.onsite_start is None:
            raise CliError(f"{framework.key} is a monthly cycle: give --month YYYY-MM")
        args.month = args.onsite_start
    timeline = plan(
        framework,
        args.inspection_type,
        onsite_start=args.onsite_start,
        onsite_end=args.onsite_end,
        month=args.month,
        actuals={
            "notice": args.notice,
            "draft_sent": args.draft_sent,
            "comments_received": args.comments_received,
        },
        allow_late_notice=args.allow_late_notice,
    )
    for warning in timeline.warnings:
        sys.stderr.write(f"inspection-bot: warning: {warning}\n")
    if args.json:
        print_json(timeline.to_json())
    else:
        sys.stdout.write(format_table(timeline))
    return 0


def format_table(timeline: Timeline) -> str:
    rows = [("Date", "Milestone", "Source")]
    for milestone in timeline.milestones:
        when = milestone.date.strftime("%a %d %b %Y")
        if milestone.end:
            when += " to " + milestone.end.strftime("%a %d %b %Y")
        title = milestone.title + (" (actual)" if milestone.actual else "")
        rows.append((when, title, milestone.source))
        if len(milestone.candidates) > 1:
            for candidate in milestone.candidates:
                rows.append(
                    (
                        "",
                        f"  {candidate.date.strftime('%a %d %b %Y')}: {candidate.rule}",
                        candidate.source,
                    )
                )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines) + "\n"
