"""`make package`'s second step, after `chalice package --merge-template`.

    python -m infra.package PACKAGE_DIR
    python -m infra.package --compile-only TREE RUNTIME_PATH     (the media layer)

Chalice writes one deployment.zip of .py files for both functions. This step turns it
into what Lambda should run, and edits sam.yaml where the merge template cannot reach:

- Three code zips. `api.zip` for the API function: Chalice's zip without the aiohttp
  group (only twilio's async client imports it, and the app never uses that client).
  `worker.zip` for the evidence worker: only what `chalicelib.media.handler` imports, so
  none of the API's blueprints and none of twilio, requests, phonenumbers or PyJWT
  (WORKER_LEAVES_OUT). `push.zip` for the push worker: what `chalicelib.push.handler`
  imports, so the evidence worker's leave-outs and the domains it never touches
  (PUSH_LEAVES_OUT). Each worker's Handler points at its plain handler. The retention
  schedule (PurgeDue) runs from the evidence worker's lean zip, which holds all it
  imports (chalicelib.retention.handler: DynamoDB, S3, the reports' and media's
  records), with its Handler pointed at its own plain handler; it needs no media layer.
  The CSV export worker (ExportReports) runs from that zip too, its Handler at its own.
- Bytecode. Every module is compiled with this interpreter (the target's Python 3.13;
  the Makefile makes the virtualenv with it), with `--invalidation-mode unchecked-hash`:
  Lambda's /var/task is read-only, so without shipped bytecode every cold start compiles
  boto3, botocore and the app from source again. Unchecked-hash .pyc files are used
  whatever the zip's mtimes say, and their paths name /var/task (or /opt/python), so
  tracebacks show where the code runs.
- Deterministic zips: entries sorted, one fixed timestamp, modes normalised, bytecode
  compiled with one hash seed. The same source gives the same bytes, so CloudFormation
  sees a change only when there is one (tests/test_lambda_package.py checks this).
- SnapStart's alias in front of the API. The merge template gives APIHandler
  `AutoPublishAlias` and `SnapStart`; Chalice's swagger calls `${APIHandler.Arn}` (the
  unpublished $LATEST, which never has a snapshot) on every route, and its invoke
  permission names the function. Both are rewritten to the alias SAM generates,
  `APIHandlerAliaslive`, whose Ref is the alias's ARN.
"""

import argparse
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import yaml

FIXED_TIME = (2020, 1, 1, 0, 0, 0)
TASK_ROOT = "/var/task"
API_FUNCTION = "APIHandler"
# Each worker's function, the zip it runs from and its plain handler (no Chalice app
# loaded). The retention schedule and the export worker need nothing the evidence
# worker's zip lacks, and nothing of the API either.
WORKERS = {
    "ProcessEvidence": ("worker.zip", "chalicelib.media.handler.handler"),
    "PurgeDue": ("worker.zip", "chalicelib.retention.handler.handler"),
    "SendPushes": ("push.zip", "chalicelib.push.handler.handler"),
    "ExportReports": ("worker.zip", "chalicelib.exports.handler.handler"),
}
ALIAS = "live"  # infra/template.yaml's AutoPublishAlias
# The alias resource SAM generates for it, named <function id>Alias<alias name> (SAM's
# documented naming). `${APIHandler.Alias}` would be neater, but SAM does not resolve it
# inside an inline swagger body.
ALIAS_REF = f"{API_FUNCTION}Alias{ALIAS}"

# Imported only by twilio.http.async_http_client, which the app never uses.
AIOHTTP_GROUP = ("aiohttp", "aiohttp_retry", "aiohappyeyeballs", "aiosignal", "frozenlist",
                 "multidict", "yarl", "propcache", "attr", "attrs")
NEVER_SHIPPED = AIOHTTP_GROUP
# What the evidence worker never imports: the API's routes, SMS (twilio and requests,
# with requests' own dependencies; botocore has its own HTTP stack), phone numbers and
# tokens. Chalice too, once no module outside chalicelib/api/ imports it (worker_leaves_out).
WORKER_LEAVES_OUT = (*NEVER_SHIPPED, "chalicelib/api", "twilio", "requests",
                     "charset_normalizer", "idna", "phonenumbers", "jwt", "app.py")
# What the push worker never imports beyond that: the other domains, and geohashes.
PUSH_LEAVES_OUT = ("chalicelib/auth", "chalicelib/bulletins", "chalicelib/conversations",
                   "chalicelib/reports", "pygeohash")
IMPORTS_CHALICE = re.compile(r"^\s*(from|import)\s+chalice\b", re.MULTILINE)


def worker_leaves_out(tree: Path) -> tuple[str, ...]:
    """WORKER_LEAVES_OUT, plus chalice when the worker's modules cannot need it: when no
    module of chalicelib outside chalicelib/api/ imports it."""
    needs_chalice = any(IMPORTS_CHALICE.search(path.read_text(encoding="utf-8"))
                        for path in (tree / "chalicelib").rglob("*.py")
                        if not path.relative_to(tree).as_posix().startswith("chalicelib/api/"))
    return WORKER_LEAVES_OUT if needs_chalice else (*WORKER_LEAVES_OUT, "chalice")


def _distribution_name(top: str) -> str:
    """`aiohttp-3.14.5.dist-info` → `aiohttp`; `typing_extensions.py` → `typing_extensions`."""
    for suffix in (".dist-info", ".data"):
        if top.endswith(suffix):
            return top.removesuffix(suffix).rsplit("-", 1)[0].lower().replace("-", "_")
    return top.removesuffix(".py")


def _left_out(relative: str, leaves_out: tuple[str, ...]) -> bool:
    if relative.startswith("__pycache__/"):  # a top-level module's bytecode goes with it
        relative = relative.removeprefix("__pycache__/").split(".", 1)[0] + ".py"
    top = relative.split("/", 1)[0]
    names = {_distribution_name(top), top}
    # attrs ships two packages, attr and attrs; pyjwt's dist-info names "pyjwt".
    if _distribution_name(top) in ("pyjwt",):
        names.add("jwt")
    if _distribution_name(top) in ("phonenumberslite",):
        names.add("phonenumbers")
    return any(relative == item or relative.startswith(item + "/") or item in names
               for item in leaves_out)


def compile_tree(tree: Path, runtime_path: str) -> None:
    """Every .py under `tree` compiled in place (`__pycache__/*.cpython-313.pyc`), as if
    it lived at `runtime_path`. Fails on a file that does not compile."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    result = subprocess.run(  # noqa: S603  (this interpreter, fixed arguments)
        [sys.executable, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode",
         "unchecked-hash", "-s", str(tree), "-p", runtime_path, str(tree)],
        env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"compileall failed in {tree}:\n{result.stdout}{result.stderr}")


def zip_tree(tree: Path, target: Path, modes: dict[str, int],
             leaves_out: tuple[str, ...] = ()) -> None:
    """`tree` zipped reproducibly, but what `leaves_out` names: sorted entries, a fixed
    time, and each file's mode from `modes` (the source zip's; 0o644 for bytecode)."""
    files = sorted(path for path in tree.rglob("*") if path.is_file()
                   and not _left_out(path.relative_to(tree).as_posix(), leaves_out))
    partial = target.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in files:
            name = path.relative_to(tree).as_posix()
            entry = zipfile.ZipInfo(name, FIXED_TIME)
            entry.external_attr = (stat.S_IFREG | modes.get(name, 0o644)) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so Lambda honours the mode bits
            archive.writestr(entry, path.read_bytes())
    partial.replace(target)


def _unzip(source: Path, tree: Path, leaves_out: tuple[str, ...]) -> dict[str, int]:
    """Extracts `source` into `tree` but what `leaves_out` names, and any bytecode:
    Chalice copies the working tree's `__pycache__` (whatever Pythons made it, for
    whatever path), and compile_tree makes the package's own. The entries' modes."""
    modes = {}
    with zipfile.ZipFile(source) as archive:
        for entry in archive.infolist():
            if (entry.is_dir() or "__pycache__/" in entry.filename
                    or _left_out(entry.filename, leaves_out)):
                continue
            archive.extract(entry, tree)
            mode = (entry.external_attr >> 16) & 0o777
            modes[entry.filename] = 0o755 if mode & 0o100 else 0o644
    return modes


def build_code_zips(deployment_zip: Path, api_zip: Path, worker_zip: Path,
                    push_zip: Path) -> None:
    """Every function's zip from one extracted, compiled copy of Chalice's."""
    with tempfile.TemporaryDirectory(prefix="masses-package-") as folder:
        tree = Path(folder)
        modes = _unzip(deployment_zip, tree, NEVER_SHIPPED)
        compile_tree(tree, TASK_ROOT)
        zip_tree(tree, api_zip, modes)
        zip_tree(tree, worker_zip, modes, worker_leaves_out(tree))
        zip_tree(tree, push_zip, modes, (*worker_leaves_out(tree), *PUSH_LEAVES_OUT))


def _to_alias(value):
    """Chalice's references to the API function, made references to its alias."""
    if isinstance(value, dict):
        if value.get("Fn::Sub") and isinstance(value["Fn::Sub"], str):
            return {"Fn::Sub": value["Fn::Sub"].replace(f"${{{API_FUNCTION}.Arn}}",
                                                        f"${{{ALIAS_REF}}}")}
        return {key: _to_alias(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_alias(item) for item in value]
    return value


def edit_template(template: dict) -> dict:
    resources = template["Resources"]
    api = resources[API_FUNCTION]["Properties"]
    if api.get("AutoPublishAlias") != ALIAS or "SnapStart" not in api:
        raise SystemExit(f"infra/template.yaml must give {API_FUNCTION} AutoPublishAlias "
                         f"{ALIAS!r} and SnapStart")
    api["CodeUri"] = "./api.zip"
    for function, (code, handler) in WORKERS.items():
        resources[function]["Properties"].update(CodeUri=f"./{code}", Handler=handler)
    rest_api = resources["RestAPI"]["Properties"]
    rest_api["DefinitionBody"] = _to_alias(rest_api["DefinitionBody"])
    for resource in resources.values():
        if resource["Type"] == "AWS::Lambda::Permission" and \
                resource["Properties"]["FunctionName"] == {"Ref": API_FUNCTION}:
            resource["Properties"]["FunctionName"] = {"Ref": ALIAS_REF}
    return template


def package(package_dir: Path) -> None:
    sam_yaml = package_dir / "sam.yaml"
    deployment_zip = package_dir / "deployment.zip"
    template = edit_template(yaml.safe_load(sam_yaml.read_text()))
    build_code_zips(deployment_zip, package_dir / "api.zip", package_dir / "worker.zip",
                    package_dir / "push.zip")
    deployment_zip.unlink()
    sam_yaml.write_text(yaml.safe_dump(template, sort_keys=False, width=100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compile-only", nargs=2, metavar=("TREE", "RUNTIME_PATH"),
                        help="compile a folder in place as if it lived at RUNTIME_PATH")
    parser.add_argument("package_dir", nargs="?", type=Path)
    arguments = parser.parse_args()
    if arguments.compile_only:
        tree, runtime_path = arguments.compile_only
        compile_tree(Path(tree), runtime_path)
    elif arguments.package_dir:
        package(arguments.package_dir)
    else:
        parser.error("name a package folder, or --compile-only TREE RUNTIME_PATH")


if __name__ == "__main__":
    main()
