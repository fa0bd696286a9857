"""`make bench`: every benchmark of issue 7 in one run, one table, one results file.

    .venv/bin/python -m bench [--package-dir build/package-dev] [SECTION …]

Sections run in this order, each next to its own baseline: cold start, package size,
round trips, handler overhead, load, nearby, shift, media. The API sections share one emulator (and
one realistic state); the media section runs last, alone on the CPU. Results go to
bench/results/latest.json. The exit status is 1 when a check failed (a route without
a scenario, a report not stored exactly once, a section that crashed); a missed
target is printed as MISSED and does not fail the run.
"""

import argparse
import sys
import time
import traceback
from pathlib import Path

from bench import (
    cold_start,
    handler_overhead,
    load,
    media,
    nearby,
    package_size,
    round_trips,
    shift,
)
from bench.common import RESULTS, Section, save, table

SECTIONS = {"cold_start": cold_start, "package_size": package_size,
            "round_trips": round_trips, "handler_overhead": handler_overhead,
            "load": load, "nearby": nearby, "shift": shift, "media": media}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sections", nargs="*", metavar="SECTION",
                        help=f"any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--package-dir", type=Path, default=package_size.DEFAULT_PACKAGE)
    arguments = parser.parse_args()
    unknown = set(arguments.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {', '.join(sorted(unknown))}; "
                     f"choose from {', '.join(SECTIONS)}")
    started = time.monotonic()
    sections: list[Section] = []
    for name in arguments.sections or SECTIONS:
        print(f"== {name}", flush=True)
        section_started = time.monotonic()
        try:
            if name in ("package_size", "cold_start"):
                section = SECTIONS[name].main(arguments.package_dir)
            else:
                section = SECTIONS[name].main()
        except Exception:
            traceback.print_exc()
            section = Section(name.replace("_", " "), [], failures=[
                f"crashed: {traceback.format_exc(limit=1).strip().splitlines()[-1]}"])
        section.details["seconds"] = round(time.monotonic() - section_started, 1)
        save(section)
        sections.append(section)
    print()
    print(table(sections))
    failures = [f"{section.name}: {failure}" for section in sections
                for failure in section.failures]
    for failure in failures:
        print(f"FAILED {failure}")
    print(f"\n{sum(len(s.figures) for s in sections)} figures in "
          f"{time.monotonic() - started:.0f} s, also in {RESULTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
