"""`make package` for tests (no tests here). Test files run in parallel processes, and two
`chalice package` runs at once would share Chalice's cache in .chalice/deployments, so
runs take turns under a lock file."""

import fcntl
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "build" / ".package.lock"


def make_package(stage: str, package_dir: Path) -> Path:
    """Packages `stage` into `package_dir`; the path of its sam.yaml."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = subprocess.run(["make", "--no-print-directory", "package", f"STAGE={stage}",
                               f"PACKAGE_DIR={package_dir}"], cwd=ROOT, capture_output=True,
                              text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    return package_dir / "sam.yaml"
