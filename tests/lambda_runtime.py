"""A stand-in for Lambda's Python runtime, for tests/test_lambda_package.py (no tests here).

    python3.13 -I -S -B tests/lambda_runtime.py HANDLER TASK_ROOT [LAYER_ROOT] [--snapstart]

Run by a bare interpreter (isolated, no site-packages, no bytecode written), it puts on
sys.path what Lambda does: the function's code (/var/task), the layer (/opt/python) and
the runtime's own folder (/var/runtime, which here holds only snapshot_restore_py),
then the standard library, and nothing else. It imports the handler as Lambda's
`module.attr` names it, and with --snapstart runs the SnapStart hooks the way Lambda
does around a snapshot (before-snapshot, then after-restore).

Then it serves invocations: one JSON object per line on stdin, {"event": …}, and one
JSON line per answer on its original stdout, {"result": …} or {"error": traceback}. The
app's own output (its logs) goes to stderr. {"report": true} answers with what it saw:
every module imported from the task or layer roots, and each one the runtime had to
compile from source (there must be none: the package ships bytecode).

Standard library only: it runs without any of the virtualenv.
"""

import importlib
import json
import os
import sys
import time
import traceback
import uuid
from importlib import _bootstrap_external

compiled_from_source: list[str] = []
_source_to_code = _bootstrap_external.SourceLoader.source_to_code


def _recording_source_to_code(self, data, path, *args, **kwargs):
    """What importlib calls only when no usable .pyc exists for a module."""
    compiled_from_source.append(str(path))
    return _source_to_code(self, data, path, *args, **kwargs)


_bootstrap_external.SourceLoader.source_to_code = _recording_source_to_code


class Context:
    """The parts of Lambda's context object the app reads."""

    def __init__(self, function_name: str):
        self.function_name = function_name
        self.function_version = "1"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"))
        self.invoked_function_arn = (f"arn:aws:lambda:us-east-1:123456789012:function:"
                                     f"{function_name}")
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def main() -> None:
    arguments = [a for a in sys.argv[1:] if not a.startswith("--")]
    snapstart = "--snapstart" in sys.argv
    handler_name, task_root, *layer = arguments
    runtime_root = os.path.join(os.path.dirname(task_root), "runtime")
    roots = [task_root, *layer]
    sys.path[:0] = [*roots, runtime_root]
    # Answers go to the real stdout; anything the app prints goes to stderr.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)

    module_name, attribute = handler_name.rsplit(".", 1)
    handler = getattr(importlib.import_module(module_name), attribute)
    if snapstart:
        import snapshot_restore_py

        for function, args, kwargs in snapshot_restore_py.get_before_snapshot():
            function(*args, **kwargs)
        for function, args, kwargs in snapshot_restore_py.get_after_restore():
            function(*args, **kwargs)

    for line in sys.stdin:
        request = json.loads(line)
        if request.get("report"):
            modules = {name: getattr(module, "__file__", None)
                       for name, module in list(sys.modules.items())}
            answers.write(json.dumps({
                "compiled_from_source": compiled_from_source,
                "modules": {name: path for name, path in modules.items() if path},
                "sys_path": sys.path, "roots": roots}) + "\n")
            continue
        try:
            result = handler(request["event"], Context(os.environ["AWS_LAMBDA_FUNCTION_NAME"]))
            answers.write(json.dumps({"result": _jsonable(result)}) + "\n")
        except Exception:
            answers.write(json.dumps({"error": traceback.format_exc()}) + "\n")


if __name__ == "__main__":
    main()
