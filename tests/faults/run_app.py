"""The real app in a child process with a fixed clock (BOT_NOW, ISO 8601), for kill tests:
`python tests/faults/run_app.py`. Settings come from the environment as in production."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aiohttp import web

from app import create_app
from inspection.clock import FixedClock
from logsetup import configure_logging
from settings import load_settings


def main() -> None:
    configure_logging("WARNING", fmt="text")
    settings = load_settings()
    clock = FixedClock(datetime.fromisoformat(os.environ["BOT_NOW"]))
    app = create_app(settings, clock=clock)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
