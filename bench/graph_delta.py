"""Delta sync of a channel folder holding 1,000, 10,000 and 50,000 files in 200 folders.

The emulator runs in its own process (`python -m graph.emulator`), so the memory and CPU
figures are the bot's alone. Prints per size: first sync (full enumeration) and incremental
syncs (nothing changed; 10 files changed and 1 deleted) with wall time, CPU time, Graph
requests made, pages, and peak memory; then a table of the three sizes.

    .venv/bin/python bench/graph_delta.py [--files 1000,10000,50000] [--folders 200]
        [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from graph.client import GraphConfig, build_client  # noqa: E402
from graph.workspace import GraphWorkspace  # noqa: E402
from inspection.model import Inspection  # noqa: E402
from inspection.workspace import ChannelSetup  # noqa: E402
from store.database import Database  # noqa: E402
from store.files import SqlFileStore  # noqa: E402
from store.inspections import SqlInspectionRepository  # noqa: E402

LEAD = "11111111-1111-4111-8111-111111111111"
TEAM = "00000000-0000-4000-8000-000000007ea1"


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.loads(answer.read())


def _delta_requests(origin: str) -> int:
    log = _get_json(f"{origin}/_emulator/requests")
    assert isinstance(log, list)
    return sum(1 for method, path, _query, _status in log if method == "GET" and "delta" in path)


async def run(args: argparse.Namespace, files: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="graph-delta-bench-"))
    server = subprocess.Popen(  # noqa: ASYNC220  (started once, before any measuring)
        [
            sys.executable,
            "-m",
            "graph.emulator",
            "--folder",
            str(work / "files"),
            "--port",
            "0",
            "--page-size",
            str(args.page_size),
            "--provisioning-404s",
            "0",
            "--watch-interval",
            "3600",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().split()[-1]
        origin = base_url.removesuffix("/v1.0")
        database = Database(args.database_url or f"sqlite+aiosqlite:///{work / 'bench.db'}")
        await database.migrate()
        config = GraphConfig(base_url=base_url)
        directory = GraphWorkspace(build_client(config), SqlFileStore(database), config)
        setup = await directory.setup_channel(
            ChannelSetup(TEAM, "Benchmark Service", date(2024, 3, 4), LEAD)
        )
        # Two records on the same channel: one is timed, the other traced for memory
        # (tracemalloc slows Python down, so timing and tracing are separate runs).
        timed, traced = [
            await SqlInspectionRepository(database).add(
                Inspection(
                    "jcc-children-social-care",
                    "full",
                    f"Benchmark Service {n}",
                    date(2024, 3, 4),
                    date(2024, 3, 8),
                    channel=setup.channel,
                )
            )
            for n in (1, 2)
        ]
        assert timed.id is not None and traced.id is not None

        state = _get_json(f"{origin}/_emulator/state")
        assert isinstance(state, dict)
        channel = state["teams"][0]["channels"][0]
        folder = Path(channel["folder"]) / setup.display_name
        per_folder = files // args.folders
        started = time.perf_counter()
        for number in range(args.folders):
            sub = folder / f"Folder {number:03d}"
            sub.mkdir(parents=True, exist_ok=True)
            for index in range(per_folder):
                (sub / f"Document {index:03d}.docx").write_bytes(b"x" * 64)
        print(
            f"wrote {args.folders * per_folder} files in {args.folders} folders "
            f"({time.perf_counter() - started:.1f} s)"
        )
        print(f"emulator page size: {args.page_size}; database: {database.backend}")
        print()
        print(
            f"{'sync':<28}{'wall s':>8}{'CPU s':>8}{'requests':>10}{'pages':>7}{'changes':>9}"
            f"{'peak MiB':>10}"
        )
        figures: dict[str, float] = {}

        async def measure(label: str) -> None:
            before = _delta_requests(origin)
            tick, cpu = time.perf_counter(), time.process_time()
            result = await directory.sync_files(timed.id, setup.channel)  # type: ignore[arg-type]
            wall, cpu = time.perf_counter() - tick, time.process_time() - cpu
            made = _delta_requests(origin) - before
            figures[label] = cpu
            figures[label + " requests"] = made
            tracemalloc.start()
            await directory.sync_files(traced.id, setup.channel)  # type: ignore[arg-type]
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(
                f"{label:<28}{wall:>8.2f}{cpu:>8.2f}{made:>10}{result.pages:>7}"
                f"{len(result.changes):>9}{peak / 1_048_576:>10.1f}"
            )

        await measure("first (full enumeration)")
        await measure("incremental, unchanged")
        for number in range(10):
            (folder / f"Folder {number:03d}" / "Document 000.docx").write_bytes(b"changed" * 20)
        (folder / "Folder 199" / "Document 001.docx").unlink()
        await measure("incremental, 11 changes")
        await measure("incremental, unchanged again")
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print()
        print(f"bot process max RSS: {rss:.0f} MiB (includes the SDK and SQLAlchemy)")
        await database.dispose()
        return figures
    finally:
        server.terminate()
        server.wait(timeout=10)


async def all_sizes(args: argparse.Namespace) -> None:
    results: dict[int, dict[str, float]] = {}
    for files in (int(size) for size in args.files.split(",")):
        print(f"== {files:,} files")
        results[files] = await run(args, files)
        print()
    print("| files | first sync CPU s | unchanged poll CPU s (Graph requests) | "
          "11 changes CPU s (Graph requests) |")  # fmt: skip
    print("|---|---|---|---|")
    for files, found in results.items():
        print(
            f"| {files:,} | {found['first (full enumeration)']:.2f} | "
            f"{found['incremental, unchanged']:.3f} "
            f"({found['incremental, unchanged requests']:.0f}) | "
            f"{found['incremental, 11 changes']:.3f} "
            f"({found['incremental, 11 changes requests']:.0f}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", default="1000,10000,50000", help="comma-separated sizes")
    parser.add_argument("--folders", type=int, default=200)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary folder")
    asyncio.run(all_sizes(parser.parse_args()))


if __name__ == "__main__":
    main()
