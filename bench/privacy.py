"""Benchmark the privacy guard (9.7): recall and false alarms on the corpus, time per text,
memory. Prints figures; asserts nothing.

Run:
    .venv/bin/python bench/privacy.py                  # the tune part, with every miss shown
    .venv/bin/python bench/privacy.py --held-out       # the held-out part: figures only
    .venv/bin/python bench/privacy.py --all --json

A phrasing naming a child counts as caught when every name marked in it overlaps a finding of
kind "name" (a date of birth alone does not count). A clean phrasing is a false alarm when the
guard finds anything in it. The held-out part never shows its misses: it is measured, never
tuned on (tests/privacy/corpus/README.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.privacy.phrasings import Phrasing, corpus


def _caught(phrasing: Phrasing, findings: list[Any]) -> bool:
    names = [f for f in findings if f.kind == "name"]
    return all(any(f.start < end and start < f.end for f in names) for start, end in phrasing.names)


def score(parts: set[str], show_misses: bool) -> dict[str, Any]:
    from inspection.privacy import check_text

    named, clean = corpus()
    named = [p for p in named if p.part in parts]
    clean = [p for p in clean if p.part in parts]
    missed = [p for p in named if not _caught(p, check_text(p.text))]
    alarms = [(p, check_text(p.text)) for p in clean]
    alarms = [(p, f) for p, f in alarms if f]
    if show_misses:
        for phrasing in missed:
            print(f"  missed: {phrasing.text}")
        for phrasing, findings in alarms:
            shown = ", ".join(f"{phrasing.text[f.start : f.end]!r} ({f.hint})" for f in findings)
            print(f"  false alarm: {phrasing.text}  <- {shown}")
    return {
        "named": len(named),
        "clean": len(clean),
        "recall": round(1 - len(missed) / len(named), 4) if named else None,
        "false_alarm_rate": round(len(alarms) / len(clean), 4) if clean else None,
    }


def timing() -> dict[str, Any]:
    from inspection.privacy import check_text

    named, clean = corpus()
    # A 2,000-character text made of request phrasings, as a long answer or note would be.
    pool = [p.text for p in (*named, *clean)]
    text = ""
    index = 0
    while len(text) < 2000:
        text += pool[(index * 37) % len(pool)] + ". "
        index += 1
    text = text[:2000]
    check_text(text)  # lists loaded
    runs = []
    for _ in range(200):
        started = time.perf_counter()
        check_text(text)
        runs.append((time.perf_counter() - started) * 1000)
    short = "Please send the care plan for CR-104233 and the last LAC review minutes"
    short_runs = []
    for _ in range(2000):
        started = time.perf_counter()
        check_text(short)
        short_runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return {
        "chars": len(text),
        "ms_min_2000_chars": round(runs[0], 3),
        "ms_median_2000_chars": round(statistics.median(runs), 3),
        "ms_p95_2000_chars": round(runs[int(len(runs) * 0.95)], 3),
        "ms_median_short_request": round(statistics.median(short_runs), 4),
    }


_RSS_PROBE = """
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
import inspection  # the package is imported by the app anyway
gc.collect()
before = rss()
started = time.perf_counter()
from inspection import privacy
privacy.warm_up()
loaded = time.perf_counter() - started
privacy.check_text("Please send the care plan for CR-104233")
gc.collect()
print(json.dumps({"rss_mb_added": (rss() - before) / 1024, "load_ms": loaded * 1000}))
"""


def memory() -> dict[str, Any]:
    """RSS added by the guard, in a fresh process without tracemalloc (which inflates RSS);
    then what tracemalloc sees the lists keep, in this process."""
    root = str(Path(__file__).resolve().parent.parent)
    probe = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, root], capture_output=True, text=True, check=True
    )
    fresh = json.loads(probe.stdout)
    gc.collect()
    tracemalloc.start()
    from inspection import privacy

    privacy.warm_up()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "load_ms": round(fresh["load_ms"], 1),
        "rss_mb_added": round(fresh["rss_mb_added"], 2),
        "traced_mb_kept": round(current / 1_048_576, 2),
        "traced_mb_peak": round(peak / 1_048_576, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--held-out", action="store_true", help="measure the held-out part")
    which.add_argument("--all", action="store_true", help="both parts, figures only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"memory": memory()}  # first: the lists are not loaded yet
    if args.all:
        result["tune"] = score({"tune"}, False)
        result["held_out"] = score({"held_out"}, False)
    elif args.held_out:
        result["held_out"] = score({"held_out"}, False)
    else:
        result["tune"] = score({"tune"}, not args.json)
    result["timing"] = timing()
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(result))
        return
    for part in ("tune", "held_out"):
        if part in result:
            figures = result[part]
            print(
                f"{part}: {figures['named']} naming a child, {figures['clean']} clean; "
                f"recall {figures['recall']:.1%} (target >= 95 %), false alarms "
                f"{figures['false_alarm_rate']:.1%} (target <= 5 %)"
            )
    t, m = result["timing"], result["memory"]
    print(
        f"time: {t['ms_median_2000_chars']} ms median (min {t['ms_min_2000_chars']}, p95 "
        f"{t['ms_p95_2000_chars']}) for "
        f"{t['chars']} characters (target <= 2 ms); {t['ms_median_short_request']} ms for a "
        f"one-line request (load average {result['load_average'][0]} on "
        f"{os.cpu_count()} CPUs)"
    )
    print(
        f"memory: RSS +{m['rss_mb_added']} MB for the guard and its lists (target <= 30 MB), "
        f"loaded in {m['load_ms']} ms; tracemalloc: {m['traced_mb_kept']} MB kept, peak "
        f"{m['traced_mb_peak']} MB"
    )


if __name__ == "__main__":
    main()
