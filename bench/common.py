"""What every benchmark shares: interleaved repeated runs, medians, and one results file.

Timings on shared machines are noisy, so each figure is a median over repeated runs,
and each is measured next to its baseline in the same run, alternating between the
two, so a slow moment hits both alike.
"""

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latest.json"


def interleaved(runs: int, **measures: Callable[[], float]) -> dict[str, list[float]]:
    """Call each measure `runs` times, alternating between them."""
    samples: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(runs):
        for name, measure in measures.items():
            samples[name].append(measure())
    return samples


def median(values: list[float]) -> float:
    return statistics.median(values)


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    """Run `code` in a fresh interpreter from the project root; its stdout."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True).stdout


def save(section: str, figures: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[section] = figures
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
