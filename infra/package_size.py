"""How big each packaged Lambda function is, unzipped, with the layers it carries.

AWS caps a function plus all its layers at 250 MB unzipped. tests/test_infra.py holds
the package to that limit, and `make bench` reports the figures; both read them here,
from the output of `make package` (sam.yaml with deployment.zip and media-layer.zip
beside it).
"""

import zipfile
from pathlib import Path

import yaml

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def function_bundles(sam_yaml: Path) -> dict[str, list[Path]]:
    """Each function's code zip followed by its layers' zips, by logical id.

    Relative code paths resolve next to sam.yaml, as `aws cloudformation package` reads
    them.
    """
    folder = sam_yaml.parent
    resources = yaml.safe_load(sam_yaml.read_text())["Resources"]
    return {name: [folder / resource["Properties"]["CodeUri"]]
            + [folder / resources[layer["Ref"]]["Properties"]["ContentUri"]
               for layer in resource["Properties"].get("Layers", [])]
            for name, resource in resources.items()
            if resource["Type"] == "AWS::Serverless::Function"}


def unzipped_size(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        return sum(entry.file_size for entry in archive.infolist())


def zip_tops(path: Path) -> set[str]:
    """The first two levels of a zip's paths ("python/PIL", "chalicelib/api", …)."""
    with zipfile.ZipFile(path) as archive:
        return {"/".join(name.split("/")[:2]) for name in archive.namelist()}


def function_sizes(sam_yaml: Path) -> dict[str, int]:
    """Each function's unzipped bytes, its layers included: what the limit applies to."""
    return {name: sum(unzipped_size(path) for path in paths)
            for name, paths in function_bundles(sam_yaml).items()}
