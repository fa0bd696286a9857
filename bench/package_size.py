"""Package size: each Lambda function of `make package`, unzipped, with its layers,
against the 250 MB AWS allows for a function and all its layers together.

    make package && .venv/bin/python -m bench.package_size [build/package-dev]

The sizes come from infra.package_size, which tests/test_infra.py holds to the limit.
"""

import sys
from pathlib import Path

from bench.common import ROOT, Figure, Section, report
from infra.package_size import LAMBDA_UNZIPPED_LIMIT, function_bundles, unzipped_size

DEFAULT_PACKAGE = ROOT / "build" / "package-dev"
MIB = 1024 * 1024


def main(package_dir: Path = DEFAULT_PACKAGE) -> Section:
    sam_yaml = package_dir / "sam.yaml"
    if not sam_yaml.exists():
        return Section("package size", [], failures=[f"{sam_yaml} is missing: run `make "
                                                     "package` first (`make bench` does)"])
    figures, details = [], {}
    for function, paths in function_bundles(sam_yaml).items():
        sizes = {path.name: unzipped_size(path) for path in paths}
        total = sum(sizes.values())
        details[function] = {"unzipped_bytes": sizes, "zipped_bytes": {
            path.name: path.stat().st_size for path in paths}}
        parts = " + ".join(name.removesuffix(".zip") for name in sizes)
        figures.append(Figure(f"{function} unzipped ({parts})", total / MIB, "MiB",
                              LAMBDA_UNZIPPED_LIMIT / MIB, "Lambda limit", "< limit",
                              total < LAMBDA_UNZIPPED_LIMIT))
    return Section("package size", figures, details)


if __name__ == "__main__":
    sys.exit(report(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PACKAGE)))
