"""What every benchmark shares: interleaved repeated runs, medians, the figures, the
table they print as, and the one results file.

Timings on shared machines are noisy, so each figure is a median over repeated runs,
and each is measured next to its baseline in the same run, alternating between the
two, so a slow moment hits both alike.
"""

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"
# Inputs the benchmarks make once and keep (a 60 s video takes a while to encode).
WORK = ROOT / "build" / "bench"


def interleaved(runs: int, **measures: Callable[[], float]) -> dict[str, list[float]]:
    """Call each measure `runs` times, alternating between them."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            samples[name].append(measure())
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: a value that was actually measured."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a fresh interpreter from the project root; its stdout."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


@dataclass(frozen=True)
class Figure:
    """One line of the table: our figure next to its baseline from the same run.

    `met` is None for a figure shown for information, without a target.
    """

    name: str
    ours: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.ours / self.baseline if self.baseline else None

    def as_json(self) -> dict:
        return {**asdict(self), "ratio": None if self.ratio is None else round(self.ratio, 4)}


@dataclass
class Section:
    """One item of the issue: its figures, the details behind them, and the checks
    that failed (a failed check fails `make bench`; a missed target does not)."""

    name: str
    figures: list[Figure]
    details: dict = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def number(value: float, unit: str) -> str:
    if unit in ("requests", "count"):
        return f"{value:.0f}"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2 if abs(value) >= 1 else 3
    return f"{value:.{digits}f} {unit}"


def table(sections: list[Section]) -> str:
    header = ("figure", "ours", "baseline", "ratio", "target", "")
    rows: list[tuple[str, ...]] = []
    for section in sections:
        rows.append((f"[{section.name}]", "", "", "", "", ""))
        for figure in section.figures:
            baseline = ("" if figure.baseline is None else
                        f"{number(figure.baseline, figure.unit)} {figure.baseline_name}".strip())
            ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}×"
            verdict = {True: "met", False: "MISSED", None: ""}[figure.met]
            rows.append((figure.name, number(figure.ours, figure.unit), baseline, ratio,
                         figure.target, verdict))
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
             .rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def save(section: Section) -> None:
    """Writes the section into the results file, keeping the other sections there."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                          "load_average": [round(load, 2) for load in os.getloadavg()]}
    results[section.name] = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                             "figures": [figure.as_json() for figure in section.figures],
                             "details": section.details, "failures": section.failures}
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def report(section: Section) -> int:
    """Save and print one section; the exit status of a benchmark run on its own."""
    save(section)
    print(table([section]))
    for failure in section.failures:
        print(f"FAILED: {failure}")
    return 1 if section.failures else 0
