"""Sum a py-spy profile (`--format raw --full-filenames`) into where a turn's CPU goes.

    .venv/bin/python bench/profile_summary.py PROFILE.txt [--cpu-ms 5.2 --kernel-share 0.1]
        [--top 25] [--focus 'bot/|store/'] [--functions 'send_activit|model_dump']
        [--phase 'reply=send_activit' --phase 'state=DialogRunner' ... | --phases bot]

`BENCH_PYSPY=FOLDER .venv/bin/python bench/load.py ...` writes one such profile per target and
command (measured turns only). Each line of the file is one stack, outermost frame first,
and the number of samples in it. Printed:

1. self time by package: the share of samples whose innermost frame is in that package (the
   standard library by module, the project by top folder);
2. inclusive time of the functions whose file matches --focus (default: the project's own
   code) or whose name or file matches --functions: the share of samples with that function
   anywhere on the stack, counted once per sample;
3. with --phase NAME=REGEX (in order, most specific first): each sample in the first phase
   with a frame matching REGEX, the rest in "other"; the phases add up to the whole.
   `--phases bot` and `--phases agents-echo` are the parts bench/README.md reports.

With --cpu-ms (the target's CPU ms per turn from the same run) each share is also shown in
milliseconds per turn.

py-spy samples a thread that is running or waiting for a CPU, not only one on a CPU. On a
busy machine a process is often put aside just after a system call that wakes another
(a socket write to PostgreSQL or the connector), so samples pile up on those calls, far beyond
their cost. --kernel-share (the `system_cpu_share` bench/load.py measured from /proc, in the
same run) sets those samples aside: the kernel's share is the measured one, and the Python
shares are of the rest of the CPU.
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
# Innermost frames that are a system call on a socket or the selector (see --kernel-share).
SYSTEM_CALL = re.compile(
    r"^(_SelectorSocketTransport\.(write|writelines|_read_ready__data_received|_read_ready__get_buffer)"
    r"|BaseSelectorEventLoop\._sock_connect|EpollSelector\.select|socket\._real_close"
    r"|socket\.close) \((asyncio/|selectors|socket)"
)


# The parts of a turn bench/README.md reports, most specific first. aiohttp/web.py is left out
# of "aiohttp": its run_app is at the root of every stack.
PRESETS: dict[str, list[tuple[str, str]]] = {
    "bot": [
        ("database: SQLAlchemy, asyncpg, store/", r"(sqlalchemy|asyncpg)/| \(store/"),
        (
            "reply: card, msrest, connector HTTP",
            r"Sender\.reply \(|bot/sender\.py|bot/msrest_fast\.py|msrest/|bot/adapter\.py",
        ),
        (
            "dialog state, not its database part",
            r"DialogRunner|botbuilder/core/bot_state|botbuilder/dialogs|dialogs/",
        ),
        ("command: routing, domain", r"Router\.dispatch"),
        (
            "turn pipeline: botbuilder, on_turn",
            r"InspectionBot\.on_turn|process_activity|run_pipeline",
        ),
        ("request in: JSON, checks, activity, auth", r"messages_handler\.<locals>\.handle"),
        ("aiohttp: server, client callbacks", r"aiohttp/(?!web\.py)"),
    ],
    "agents-echo": [
        ("telemetry spans (OpenTelemetry, no-op)", r"telemetry/|opentelemetry/"),
        (
            "user token client per turn (importlib.metadata)",
            r"create_user_token_client|UserTokenClient|get_product_info",
        ),
        (
            "reply: connector client per turn, TCP connect, POST",
            r"send_activit|create_connector_client|ConnectorClient|close",
        ),
        ("turn pipeline: AgentApplication, TurnContext, state", r"process_activity"),
        (
            "request in: JSON, pydantic Activity, auth",
            r"process_request|_jwt_authorization_middleware",
        ),
        ("aiohttp: server, client callbacks", r"aiohttp/(?!web\.py)"),
    ],
}


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


@dataclass
class Summary:
    total: int  # samples counted below
    set_aside: int  # samples in a system call, left to the measured kernel share
    by_package: Counter[str]
    inclusive: Counter[str]
    phases: Counter[str]


def summarise(
    stacks: list[tuple[list[Frame], int]],
    focus: re.Pattern[str],
    functions: re.Pattern[str] | None,
    phases: list[tuple[str, re.Pattern[str]]],
    set_system_calls_aside: bool,
) -> Summary:
    total = set_aside = 0
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    by_phase: Counter[str] = Counter()
    for frames, count in stacks:
        if set_system_calls_aside and frames and SYSTEM_CALL.match(frames[-1].label):
            set_aside += count
            continue
        total += count
        by_package[frames[-1].package if frames else "(no Python frame)"] += count
        labels = [frame.label for frame in frames]
        phase = next(
            (name for name, pattern in phases if any(pattern.search(x) for x in labels)), "other"
        )
        by_phase[phase] += count
        seen: set[str] = set()
        for frame in frames:
            mine = frame.file.startswith(str(ROOT) + "/")
            wanted = mine and focus.search(frame.file[len(str(ROOT)) + 1 :]) is not None
            if functions is not None and functions.search(frame.label):
                wanted = True
            if wanted and frame.label not in seen:
                seen.add(frame.label)
                inclusive[frame.label] += count
    return Summary(total, set_aside, by_package, inclusive, by_phase)


def rows(
    counter: Counter[str], total: int, top: int, cpu_ms: float | None, scale: float
) -> list[str]:
    """`scale`: the share of the CPU that the counted samples stand for."""
    out = []
    for name, count in counter.most_common(top):
        share = count / total * scale
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
    parser.add_argument(
        "--kernel-share",
        type=float,
        help="the measured share of the CPU spent in system calls (0-1): samples in one are "
        "set aside and the rest stand for the remaining share",
    )
    parser.add_argument(
        "--phase",
        action="append",
        default=[],
        metavar="NAME=REGEX",
        help="a part of the turn: samples with a frame ('function (file)') matching REGEX",
    )
    parser.add_argument(
        "--phases", choices=sorted(PRESETS), help="the parts of a turn bench/README.md reports"
    )
    args = parser.parse_args()
    if args.phases:
        if args.phase:
            parser.error("give either --phases or --phase, not both")
        args.phase = [f"{name}={pattern}" for name, pattern in PRESETS[args.phases]]
    if args.kernel_share is not None and not 0 <= args.kernel_share < 1:
        parser.error("--kernel-share is a share of the CPU: from 0 up to (not including) 1")
    phases: list[tuple[str, re.Pattern[str]]] = []
    if not args.profile.is_file():
        parser.error(f"{args.profile} is not a file: give the path of a py-spy raw profile")
    try:
        focus = re.compile(args.focus)
        functions = re.compile(args.functions) if args.functions else None
        for phase in args.phase:
            name, equals, pattern = phase.partition("=")
            if not equals or not name or not pattern:
                parser.error(f"--phase {phase!r}: write it as NAME=REGEX, e.g. 'reply=send'")
            phases.append((name, re.compile(pattern)))
    except re.error as exc:
        parser.error(f"not a valid regular expression: {exc}")
    kernel = args.kernel_share
    found = summarise(read_profile(args.profile), focus, functions, phases, kernel is not None)
    if not found.total:
        parser.error(f"{args.profile} has no samples: was the server busy while py-spy ran?")
    scale = 1.0 if kernel is None else 1.0 - kernel
    print(f"{args.profile}: {found.total + found.set_aside} samples")
    if kernel is not None:
        ms = f"{kernel * args.cpu_ms:7.2f} ms" if args.cpu_ms is not None else ""
        print(
            f"  {kernel:6.1%} {ms}  system calls (measured), "
            f"where {found.set_aside / (found.total + found.set_aside):.0%} of the samples were"
        )
    for title, counter, top in (
        ("self time by package", found.by_package, args.top),
        ("inclusive time by function", found.inclusive, args.top),
        ("phases", found.phases if phases else Counter(), len(phases) + 1),
    ):
        if counter:
            print(f"{title}:")
            print("\n".join(rows(counter, found.total, top, args.cpu_ms, scale)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
