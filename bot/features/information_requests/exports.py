"""The request log and the factual accuracy grid as files in the channel's Files (Excel)."""

from __future__ import annotations

from bot.features.information_requests.views import person
from bot.router import Reply, Routes, Turn
from bot.services import Services
from inspection.errors import InspectionError
from inspection.inspections import timeline_for
from inspection.model import INSPECTOR_ROLES, Role
from inspection.request_export import (
    LOG_FILE_NAME,
    XLSX_TYPE,
    export_xlsx,
    publish_factual_accuracy_grid,
)
from inspection.workspace import INFORMATION_REQUESTS_FOLDER

MEMBERS = frozenset(Role)

routes = Routes()


@routes.command(
    "export requests",
    roles=MEMBERS,
    help="Put the information request log (Excel) in the channel's Files",
    aliases=("requests export",),
)
async def export_log(turn: Turn, services: Services) -> Reply:
    """`export requests`: the provider's view of the whole log, uploaded as Excel."""
    inspection = turn.require_inspection()
    service = services.requests
    # Counted by the database; the workbook is written a batch of requests at a time.
    total = (await service.list_page(inspection, person(turn), size=1)).total
    if services.directory is None or inspection.channel is None:
        return Reply(
            text=f"{total} request(s) logged. I can't put the Excel file in the "
            "channel's Files here (Microsoft Graph is not set up); an administrator can run "
            f"`inspection-bot requests export --inspection {turn.inspection_id} --xlsx FILE`."
        )
    content = await export_xlsx(service, inspection, audience="provider")
    uploaded = await services.directory.upload(
        inspection.channel, INFORMATION_REQUESTS_FOLDER, LOG_FILE_NAME, content,
        content_type=XLSX_TYPE,
    )  # fmt: skip
    link = f"[{LOG_FILE_NAME}]({uploaded.web_url})" if uploaded.web_url else LOG_FILE_NAME
    return Reply(
        text=f"The information request log ({total} request(s)) is in the "
        f'channel\'s "{INFORMATION_REQUESTS_FOLDER}" folder: {link}'
    )


# `export` alone, as people say it (not in the help: `export requests` is).
routes.command("export", roles=MEMBERS, help="The information request log as Excel", hidden=True)(
    export_log
)


@routes.command(
    "factual accuracy grid",
    roles=INSPECTOR_ROLES,
    help="Put the factual accuracy grid (Appendix 4) in the channel and remind of its deadline",
    aliases=("grid",),
)
async def post_grid(turn: Turn, services: Services) -> Reply:
    """`factual accuracy grid`: Appendix 4's grid in the channel, with its deadline (7.4)."""
    inspection = turn.require_inspection()
    if services.directory is None or inspection.channel is None:
        raise InspectionError(
            "I can't put files in the channel here (Microsoft Graph is not set up); "
            f"run `inspection-bot requests grid --inspection {turn.inspection_id} --xlsx FILE`"
        )
    milestone = timeline_for(inspection, services.frameworks).find("factual_accuracy_due")
    due = milestone.date if milestone else None
    uploaded = await publish_factual_accuracy_grid(
        services.directory, inspection, draft_received=inspection.actuals.get("draft_sent"),
        comments_due=due,
    )  # fmt: skip
    link = f" ({uploaded.web_url})" if uploaded and uploaded.web_url else ""
    deadline = f" by {due:%a %d %b %Y}" if due else ""
    return Reply(
        text=f"The factual accuracy feedback grid (Appendix 4) is in the channel's Files"
        f"{link}. Please record any factual inaccuracies in it and return it{deadline} "
        "(7.4: within 20 working days of receiving the draft report)."
    )
