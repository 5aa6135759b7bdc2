"""Benchmark the checklist: matching 10,000 file names, and content-checking 200 real-sized
documents (among them a 30-page DOCX and a 5,000-row XLSX). Prints time per file and peak
memory. Run: .venv/bin/python bench/checklist.py
"""

from __future__ import annotations

import asyncio
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspection.checklist import DocumentFile, assess_file
from inspection.documents.checks import CheckContext
from inspection.documents.matching import Matcher
from inspection.frameworks import builtin_frameworks
from tests.documents.builders import (
    LOREM,
    child_rows,
    csv_bytes,
    docx_bytes,
    pdf_bytes,
    staffing_rows,
    xlsx_bytes,
)

CONTEXT = CheckContext(
    notice=date(2024, 2, 1), onsite_start=date(2024, 3, 4), onsite_end=date(2024, 3, 15)
)
FRAMEWORK = builtin_frameworks().get("jcc-children-social-care")


def names(count: int, seed: int = 4) -> list[tuple[str, str]]:
    """(folder, name) pairs as services write them: synonyms, dates, versions, decoys."""
    rng = random.Random(seed)
    words: list[str] = []
    for item in FRAMEWORK.checklist:
        words.extend([item.title, *item.synonyms])
    decoys = ["Lunch menu", "Parking", "Team photo", "Minutes", "Data", "Plan", "Report", "Notes"]
    extras = ["", " v2", " FINAL", " draft", " Jan 2024", " 2023-24", " (1)", " updated", " Q3"]
    extensions = [".docx", ".xlsx", ".pdf", ".csv", ".doc", ".pptx", ".xls"]
    folders = ["", "", "", "Staffing data", "Case audits", "Misc", "General/Old"]
    out = []
    for _ in range(count):
        base = rng.choice(decoys) if rng.random() < 0.2 else rng.choice(words)
        if rng.random() < 0.3:
            base = base.upper() if rng.random() < 0.5 else base.replace(" ", "_")
        out.append((rng.choice(folders), base + rng.choice(extras) + rng.choice(extensions)))
    return out


def bench_matching() -> None:
    matcher = Matcher(FRAMEWORK.checklist)
    pairs = names(10_000)
    start = time.perf_counter()
    outcomes: dict[str, int] = defaultdict(int)
    for folder, name in pairs:
        result = matcher.decide(matcher.by_folder(folder), matcher.by_name(name))
        outcome = "ambiguous" if result.ambiguous else "matched" if result.item_key else "unmatched"
        outcomes[outcome] += 1
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    for folder, name in pairs:
        matcher.decide(matcher.by_folder(folder), matcher.by_name(name))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print("Matching 10,000 file names (folder + name)")
    print(f"  total {elapsed:.2f} s, {elapsed / len(pairs) * 1e6:.0f} us per name")
    print(f"  outcomes: {dict(outcomes)}")
    print(f"  peak traced memory {peak / 1_048_576:.1f} MB")


def documents() -> list[tuple[str, str, Callable[[], bytes]]]:
    """(kind, file name, builder): 200 real-sized documents in 10 kinds."""
    audit_rows: list[list[Any]] = [
        ["Case ref", "Case type", "Allocated social worker", "Team", "Audit date", "Grade"]
    ]
    for i in range(300):
        audit_rows.append(
            [f"CR-{i:06d}", ["CIN", "CP", "CLA", "Care leaver"][i % 4], f"Worker {i % 40}",
             "North Team", datetime(2023, 9 + i % 4, 1 + i % 28), ["Good", "Inadequate"][i % 2]]
        )  # fmt: skip
    kinds: list[tuple[str, str, Callable[[], bytes]]] = [
        (
            "docx 30 pages (SER)",
            "Self-Evaluation Report {n}.docx",
            lambda: docx_bytes(
                title="Self-Evaluation Report",
                sections=[(f"Section {i}", 6) for i in range(1, 31)],
                page_breaks=29,
            ),
        ),
        (
            "xlsx 5,000 rows (child level data)",
            "Annex A child level data {n}.xlsx",
            lambda: xlsx_bytes(
                {
                    "CIN": child_rows("1", 5_000),
                    "CLA": child_rows("2", 400),
                    "Care leavers": child_rows("3", 200),
                }
            ),
        ),
        (
            "xlsx 300 audits",
            "Case audits {n}.xlsx",
            lambda: xlsx_bytes({"Audits": audit_rows}),
        ),
        ("csv 300 audits", "Case audit list {n}.csv", lambda: csv_bytes(audit_rows)),
        (
            "xlsx staffing return",
            "Staffing return {n}.xlsx",
            lambda: xlsx_bytes({"Appendix 2": staffing_rows()}),
        ),
        (
            "pdf 20 pages (staffing report)",
            "Staffing data {n}.pdf",
            lambda: pdf_bytes(
                [f"{LOREM}\n{LOREM}\n{LOREM}"] * 19
                + ["\n".join(f"{q}: {a}" for q, a in staffing_rows()[2:])]
            ),
        ),
        (
            "pdf 30 pages (SER)",
            "SER {n}.pdf",
            lambda: pdf_bytes([f"Self-evaluation\n\n{LOREM}\n{LOREM}"] * 30),
        ),
        (
            "docx meetings table",
            "Meetings during inspection {n}.docx",
            lambda: docx_bytes(
                title="Meetings",
                tables=[
                    [["Date", "Meeting"]]
                    + [[f"{4 + i % 10} March 2024", "Board"] for i in range(60)]
                ],
            ),
        ),
        (
            "docx 8 pages (service user groups)",
            "Service user groups {n}.docx",
            lambda: docx_bytes(title="Youth forum on 6 March 2024", sections=[("Forum", 50)]),
        ),
        (
            "doc legacy (not readable)",
            "Meetings diary {n}.doc",
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" * 4096,
        ),
    ]
    return kinds


async def bench_content() -> None:
    kinds = documents()
    built = {kind: builder() for kind, _, builder in kinds}
    timings: dict[str, list[float]] = defaultdict(list)
    peaks: dict[str, int] = {}
    matcher = Matcher(FRAMEWORK.checklist)
    start_all = time.perf_counter()
    for n in range(200):
        kind, pattern, _ = kinds[n % len(kinds)]
        data = built[kind]

        async def load(data: bytes = data) -> bytes:
            return data

        file = DocumentFile(
            f"id-{n}",
            pattern.format(n=n),
            "",
            len(data),
            datetime(2024, 2, 5, tzinfo=UTC),
            load=load,
        )
        # Timed without tracing (tracemalloc slows Python down several times) ...
        start = time.perf_counter()
        assessment = await assess_file(file, FRAMEWORK, CONTEXT, matcher=matcher)
        timings[kind].append(time.perf_counter() - start)
        assert assessment.item_key is not None, file.name
        # ... then the peak memory of the same work, once per kind.
        if kind not in peaks:
            tracemalloc.start()
            await assess_file(file, FRAMEWORK, CONTEXT, matcher=matcher)
            _, peaks[kind] = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    total = time.perf_counter() - start_all
    print("\nContent-checking 200 documents (match + read + checks), per file:")
    print(f"  {'kind':36} {'size':>9} {'n':>3} {'median':>9} {'max':>9} {'peak mem':>9}")
    for kind, _, _ in kinds:
        t = timings[kind]
        print(
            f"  {kind:36} {len(built[kind]) / 1024:7.0f}KB {len(t):3d} "
            f"{statistics.median(t) * 1000:7.0f}ms {max(t) * 1000:7.0f}ms "
            f"{peaks[kind] / 1_048_576:7.1f}MB"
        )
    every = [x for t in timings.values() for x in t]
    print(f"  all 200: total {total:.1f} s, mean {statistics.mean(every) * 1000:.0f} ms per file")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  process peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    bench_matching()
    asyncio.run(bench_content())
