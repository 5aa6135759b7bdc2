"""Sum a py-spy profile (`--format raw --full-filenames`) into where a turn's CPU goes.

    .venv/bin/python bench/profile_summary.py PROFILE.txt [--cpu-ms 5.2] [--top 25]
        [--focus 'bot/|store/'] [--functions 'send_activit|model_dump']

`BENCH_PYSPY=FOLDER .venv/bin/python bench/load.py ...` writes one such profile per target and
command (measured turns only). Each line of the file is one stack, outermost frame first,
and the number of samples in it. Printed:

1. self time by package: the share of samples whose innermost frame is in that package (the
   standard library by module, the project by top folder);
2. inclusive time of the functions whose file matches --focus (default: the project's own
   code) or whose name or file matches --functions: the share of samples with that function
   anywhere on the stack, counted once per sample.

With --cpu-ms (the target's CPU ms per turn from the same run) each share is also shown in
milliseconds per turn: samples are taken only while a thread is on the CPU, so a share of
samples is a share of the process's Python CPU time.
"""

from __future__ import annotations

import argparse
import re
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STDLIB = sysconfig.get_paths()["stdlib"]
# Namespace packages whose first folder says little: keep two more levels.
NAMESPACES = {"botbuilder", "botframework", "microsoft_agents", "azure", "opentelemetry"}
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>.*):(?P<line>\d+)\)$")


@dataclass(frozen=True)
class Frame:
    function: str
    file: str

    @property
    def package(self) -> str:
        path = self.file
        if "site-packages/" in path:
            parts = path.split("site-packages/", 1)[1].split("/")
            if parts[0] in NAMESPACES and len(parts) > 2:
                return ".".join(p.removesuffix(".py") for p in parts[:3])
            return parts[0].removesuffix(".py")
        if path.startswith(str(ROOT) + "/"):
            return "project: " + path[len(str(ROOT)) + 1 :].split("/")[0].removesuffix(".py")
        if path.startswith(STDLIB + "/"):
            return "stdlib: " + path[len(STDLIB) + 1 :].split("/")[0].removesuffix(".py")
        if path.startswith("<frozen"):
            return "stdlib: importlib"
        return path

    @property
    def label(self) -> str:
        path = self.file
        for prefix in (str(ROOT) + "/", STDLIB + "/"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
        if "site-packages/" in path:
            path = path.split("site-packages/", 1)[1]
        return f"{self.function} ({path})"


def read_profile(path: Path) -> list[tuple[list[Frame], int]]:
    """The stacks (outermost first, thread markers dropped) and their sample counts."""
    stacks: list[tuple[list[Frame], int]] = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            raise SystemExit(f"{path}:{number}: not a py-spy raw profile line (no sample count)")
        frames = []
        for part in stack.split(";"):
            match = FRAME.match(part)
            if match is None or part.startswith(("thread (", "process ")):
                continue
            frames.append(Frame(match["function"], match["file"]))
        stacks.append((frames, int(count)))
    return stacks


def summarise(
    stacks: list[tuple[list[Frame], int]], focus: re.Pattern[str], functions: re.Pattern[str] | None
) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        total += count
        by_package[frames[-1].package if frames else "(no Python frame)"] += count
        seen: set[str] = set()
        for frame in frames:
            mine = frame.file.startswith(str(ROOT) + "/")
            wanted = mine and focus.search(frame.file[len(str(ROOT)) + 1 :]) is not None
            if functions is not None and functions.search(frame.label):
                wanted = True
            if wanted and frame.label not in seen:
                seen.add(frame.label)
                inclusive[frame.label] += count
    return total, by_package, inclusive


def rows(counter: Counter[str], total: int, top: int, cpu_ms: float | None) -> list[str]:
    out = []
    for name, count in counter.most_common(top):
        share = count / total
        ms = f"{share * cpu_ms:7.2f} ms" if cpu_ms is not None else ""
        out.append(f"  {share:6.1%} {ms}  {name}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path, help="a py-spy --format raw --full-filenames file")
    parser.add_argument("--cpu-ms", type=float, help="CPU ms per turn measured in the same run")
    parser.add_argument("--top", type=int, default=25, help="rows per table (default 25)")
    parser.add_argument(
        "--focus",
        default=r"^(bot|store|inspection|dialogs|graph|scheduler|cli)/|^[a-z_]+\.py$",
        help="regular expression on the project file path (default: all the project's code)",
    )
    parser.add_argument("--functions", help="regular expression on 'function (file)' of any frame")
    args = parser.parse_args()
    if not args.profile.is_file():
        parser.error(f"{args.profile} is not a file: give the path of a py-spy raw profile")
    try:
        focus = re.compile(args.focus)
        functions = re.compile(args.functions) if args.functions else None
    except re.error as exc:
        parser.error(f"not a valid regular expression: {exc}")
    total, by_package, inclusive = summarise(read_profile(args.profile), focus, functions)
    if not total:
        parser.error(f"{args.profile} has no samples: was the server busy while py-spy ran?")
    print(f"{args.profile}: {total} samples")
    print("self time by package:")
    print("\n".join(rows(by_package, total, args.top, args.cpu_ms)))
    print("inclusive time by function:")
    print("\n".join(rows(inclusive, total, args.top, args.cpu_ms)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
