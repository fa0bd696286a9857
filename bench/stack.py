"""The offline stack the API benchmarks run against, and a count of what the app asks
of AWS.

`local_stack()` starts the emulator and the SMS sink on free ports, creates the stack
in the emulator from infra/template.yaml and points this process at it, exactly as
tests/conftest.py does (so it must run before `app` is imported: table names are read
at import). One stack serves every benchmark of a run; it stops when the process ends.

`recorded_requests()` lists every request botocore sends meanwhile, seen through its
`before-send` event on every client (boto3's and PynamoDB's alike), with the API
parameters of the call and whether authorize() was on the stack when it was made.
"""

import atexit
import contextlib
import contextvars
import functools
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from bench.common import WORK
from local import config
from local.emulator import free_port, start_emulator

AUTHORIZATION_CODE = str(Path(__file__).resolve().parents[1] / "chalicelib" / "api" / "authz.py")


@dataclass(frozen=True)
class Stack:
    emulator_url: str
    emulator_pid: int
    sms_sink: object  # local.sms_sink.SmsSink
    environment: dict[str, str]


@functools.cache
def local_stack() -> Stack:
    from local.sms_sink import SmsSink

    emulator_port, sink_port = free_port(), free_port()
    environment = config.stage_environment(f"http://{config.HOST}:{emulator_port}",
                                           f"http://{config.HOST}:{sink_port}")
    os.environ.update(environment)
    hook_every_client()
    emulator = start_emulator(config.HOST, emulator_port)
    atexit.register(_stop, emulator)
    from local.bootstrap import bootstrap
    bootstrap()
    sink = SmsSink(config.HOST, sink_port, config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN)
    sink.start()
    atexit.register(sink.stop)
    return Stack(environment["AWS_ENDPOINT_URL"], emulator.pid, sink, environment)


@contextlib.contextmanager
def app_log_in_file():
    """The app logs a JSON line per request to stdout, as Lambda wants; in process those
    lines go to build/bench/app.log instead (still written, so still paid for), and the
    bench's own output stays readable."""
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / "app.log", "a") as log, contextlib.redirect_stdout(log):
        yield


def _stop(process) -> None:
    process.terminate()
    process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Request:
    service: str          # "dynamodb", "s3", "ssm", …
    operation: str        # "Query", "GetItem", …
    params: dict          # the API call's parameters
    in_authorization: bool


_recording = threading.local()   # the parameters of the call in hand, per thread
# A contextvar, so that the Queries a request runs in its own threads (they run in a
# copy of its context: chalicelib/geo.py) are counted with it.
_recorded: contextvars.ContextVar[list | None] = contextvars.ContextVar("recorded",
                                                                        default=None)


@contextlib.contextmanager
def recorded_requests():
    """The requests botocore sends inside the block, from this thread and from the
    threads its work runs in."""
    requests: list[Request] = []
    token = _recorded.set(requests)
    try:
        yield requests
    finally:
        _recorded.reset(token)


def hook_every_client() -> None:
    """Registers the recorder on every botocore client created from now on."""
    from botocore.session import Session

    create_client = Session.create_client
    if getattr(create_client, "records_requests", False):
        return

    def create_recording_client(self, *args, **kwargs):
        client = create_client(self, *args, **kwargs)
        client.meta.events.register("before-parameter-build", _remember_params)
        client.meta.events.register("before-send", _record)
        return client

    create_recording_client.records_requests = True
    Session.create_client = create_recording_client


def _remember_params(params, **_) -> None:
    _recording.params = params


def _record(request, event_name, **_) -> None:
    """Returns None: a before-send handler that returns a value replaces the response."""
    requests = _recorded.get()
    if requests is None:
        return
    _, service, operation = event_name.split(".", 2)
    requests.append(Request(service, operation, dict(getattr(_recording, "params", {})),
                            _inside_authorization()))


def _inside_authorization() -> bool:
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_filename == AUTHORIZATION_CODE:
            return True
        frame = frame.f_back
    return False
