"""Zips a built Lambda layer directory reproducibly: `python zip_layer.py <dir> <zip>`.

Entries are sorted and carry a fixed timestamp, so the same pins give the same bytes
and CloudFormation publishes a new layer version only when the
contents change. The directory's top level (`python/`) becomes the zip's root, which
is where Lambda looks for a Python layer's packages.
"""

import sys
import zipfile
from pathlib import Path

FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def zip_layer(source: Path, target: Path) -> None:
    # __pycache__ included: the Makefile compiles the layer (unchecked-hash bytecode)
    # before zipping it, because /opt is read-only on Lambda too.
    files = sorted(path for path in source.rglob("*") if path.is_file())
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(source).as_posix(), FIXED_TIME)
            # Keep the executable bit (bundled shared libraries); S_IFREG | mode.
            entry.external_attr = (0o100000 | (path.stat().st_mode & 0o777)) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so Lambda honours the mode bits
            archive.writestr(entry, path.read_bytes())
    partial.replace(target)  # a half-written zip never looks up to date to make


if __name__ == "__main__":
    zip_layer(Path(sys.argv[1]), Path(sys.argv[2]))
