"""What ships, run the way Lambda runs it.

`make package` (dev stage) is extracted as Lambda lays it out: each function's zip as
its /var/task, the media layer under a separate root as /opt/python, and a runtime
folder standing in for /var/runtime (it holds snapshot_restore_py, as Lambda's does).
Each function's handler then runs in a fresh Python 3.13, isolated (`-I -S -B`), with
only its code, its layers and the standard library on sys.path: no virtualenv
(tests/lambda_runtime.py). Its environment is the one the packaged template gives the
function, pointed at an emulator and an SMS sink of this module's own, with the dev
stage's resources created in it. The API answers API Gateway proxy events; the worker
gets the SQS events carrying the S3 notifications the emulator produced.

Also: the zips are the same bytes when packaged twice, every module is shipped as
bytecode, and nothing was compiled at run time.
"""

import hashlib
import io
import json
import os
import re
import select
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import av
import boto3
import pytest
import requests
import yaml
from PIL import Image
from support.api import report_body
from support.evidence import upload
from support.packaging import make_package
from support.waiting import wait_until

from infra import package as packaging
from local import config
from local.bootstrap import ACCOUNT_ID, Resolver
from local.emulator import free_port, start_emulator

pytestmark = pytest.mark.package

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = Path(__file__).with_name("lambda_runtime.py")
STAGE = "dev"
# The bare interpreter the virtualenv was made from: the standard library and nothing else.
PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
STDLIB = Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
NEVER_IN_THE_WORKER = ("twilio", "requests", "phonenumbers", "jwt", "aiohttp", "chalice",
                       "chalicelib.api", "app")
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> Path:
    return make_package(STAGE, tmp_path_factory.mktemp("shipped") / STAGE).parent


@pytest.fixture(scope="module")
def lambda_root(shipped, tmp_path_factory) -> Path:
    """The package extracted as Lambda lays it out, read-only as on Lambda."""
    root = tmp_path_factory.mktemp("lambda")
    for name, folder in (("api.zip", "api-task"), ("worker.zip", "worker-task"),
                         ("media-layer.zip", "opt")):
        with zipfile.ZipFile(shipped / name) as archive:
            archive.extractall(root / folder)
    (root / "runtime").mkdir()
    import snapshot_restore_py  # the runtime's module (requirements-dev.txt installs it)
    shutil.copy(snapshot_restore_py.__file__, root / "runtime")
    for path in root.rglob("*"):
        path.chmod(path.stat().st_mode & ~0o222)
    yield root
    for path in root.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)


@pytest.fixture(scope="module")
def stack():
    """An emulator holding the dev stage's resources, and an SMS sink, for this module."""
    from local.sms_sink import SmsSink

    port = free_port()
    emulator_url = f"http://{config.HOST}:{port}"
    emulator = start_emulator(config.HOST, port)
    sink = SmsSink(config.HOST, free_port(), config.TWILIO_ACCOUNT_SID, config.TWILIO_AUTH_TOKEN)
    sink.start()
    env = {**os.environ, "AWS_ENDPOINT_URL": emulator_url}
    subprocess.run([sys.executable, "-c", f"from local.bootstrap import bootstrap; "
                    f"bootstrap({STAGE!r})"], cwd=ROOT, env=env, check=True)
    try:
        yield {"emulator_url": emulator_url, "sink": sink}
    finally:
        sink.stop()
        emulator.terminate()
        emulator.wait(timeout=10)


def function_environment(template: dict, function: str, stack: dict) -> dict[str, str]:
    """The variables the template sets for `function`, resolved for the dev stage, plus
    what Lambda itself sets, pointed at this module's emulator and sink."""
    resources = template["Resources"]
    resolve = Resolver(template, STAGE, config.REGION)
    properties = resources[function]["Properties"]

    def value(item):
        if isinstance(item, dict) and set(item) == {"Ref"}:
            name = item["Ref"]
            if name in template.get("Parameters", {}):
                return template["Parameters"][name].get("Default", "")
            return resolve.physical_name(name)
        return item

    variables = {name: str(value(item))
                 for name, item in properties["Environment"]["Variables"].items()}
    return {
        **variables,
        # Lambda's own variables (credentials are the emulator's).
        "AWS_LAMBDA_FUNCTION_NAME": f"masses-{STAGE}-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(properties["MemorySize"]),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{properties['Runtime']}",
        "AWS_REGION": config.REGION, "AWS_DEFAULT_REGION": config.REGION,
        "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "LAMBDA_TASK_ROOT": "/var/task", "TZ": ":UTC", "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        # Where the stand-ins are: the emulator, and the sink as Twilio.
        "AWS_ENDPOINT_URL": stack["emulator_url"],
        "MASSES_TWILIO_API_BASE": stack["sink"].base_url,
        "MASSES_TWILIO_ACCOUNT_SID": config.TWILIO_ACCOUNT_SID,
        "MASSES_TWILIO_FROM": "+15005550006",
    }


class Function:
    """One function's warm execution environment: a runtime process serving events."""

    def __init__(self, handler: str, roots: list[Path], env: dict[str, str], log: Path,
                 snapstart: bool = False):
        self.log = log
        self.process = subprocess.Popen(
            [str(PYTHON), "-I", "-S", "-B", str(RUNTIME), handler, *map(str, roots),
             *(["--snapstart"] if snapstart else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
            env=env, cwd=roots[0])

    def _ask(self, request: dict) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], WAIT_SECONDS)
        line = self.process.stdout.readline() if ready else ""
        assert line, f"the runtime did not answer; its log:\n{self.log.read_text()[-4000:]}"
        return json.loads(line)

    def invoke(self, event: dict):
        answer = self._ask({"event": event})
        assert "error" not in answer, answer["error"] + self.log.read_text()[-4000:]
        return answer["result"]

    def report(self) -> dict:
        return self._ask({"report": True})

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def template(shipped) -> dict:
    return yaml.safe_load((shipped / "sam.yaml").read_text())


@pytest.fixture(scope="module")
def api(template, lambda_root, stack, tmp_path_factory):
    properties = template["Resources"]["APIHandler"]["Properties"]
    function = Function(properties["Handler"], [lambda_root / "api-task"],
                        function_environment(template, "APIHandler", stack),
                        tmp_path_factory.mktemp("logs") / "api.log", snapstart=True)
    yield function
    function.close()


@pytest.fixture(scope="module")
def worker(template, lambda_root, stack, tmp_path_factory):
    properties = template["Resources"]["ProcessEvidence"]["Properties"]
    function = Function(properties["Handler"],
                        [lambda_root / "worker-task", lambda_root / "opt" / "python"],
                        function_environment(template, "ProcessEvidence", stack),
                        tmp_path_factory.mktemp("logs") / "worker.log")
    yield function
    function.close()


def proxy_event(method: str, resource: str, path: str | None = None, body=None,
                token: str | None = None, path_parameters: dict | None = None) -> dict:
    """An API Gateway REST API proxy event, as it reaches the function."""
    path = path or resource
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com",
               "User-Agent": "masses-test", "X-Forwarded-For": "203.0.113.9",
               "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
               **({"Content-Type": "application/json"} if body is not None else {}),
               **({"Authorization": f"Bearer {token}"} if token else {})}
    return {
        "resource": resource, "path": path, "httpMethod": method, "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/v1{path}",
                           "stage": "v1", "requestId": str(uuid.uuid4()), "apiId": "abc123",
                           "identity": {"sourceIp": "203.0.113.9"},
                           "domainName": "abc123.execute-api.us-east-1.amazonaws.com"},
        "body": None if body is None else json.dumps(body), "isBase64Encoded": False,
    }


def call(api: Function, *args, **kwargs) -> tuple[int, dict, object]:
    answer = api.invoke(proxy_event(*args, **kwargs))
    body = answer.get("body")
    return answer["statusCode"], answer["headers"], json.loads(body) if body else None


# ---- the package itself ----------------------------------------------------------------

def test_the_runtimes_are_python_3_13(template):
    functions = {name: resource["Properties"] for name, resource in
                 template["Resources"].items() if resource["Type"] == "AWS::Serverless::Function"}
    assert {properties["Runtime"] for properties in functions.values()} == {"python3.13"}
    assert template["Resources"]["MediaLayer"]["Properties"]["CompatibleRuntimes"] == [
        "python3.13"]
    assert functions["ProcessEvidence"]["Handler"] == "chalicelib.media.handler.handler"
    assert sys.version_info[:2] == (3, 13)


def test_the_layer_holds_current_decoders(lambda_root):
    site = lambda_root / "opt" / "python"
    versions = {re.match(r"(.+)-([^-]+)\.dist-info", path.name).groups()
                for path in site.glob("*.dist-info")}
    versions = dict(versions)
    assert int(versions["pillow"].split(".")[0]) >= 13
    assert int(versions["av"].split(".")[0]) >= 19
    assert "pillow_heif" in versions
    # Wheels for Lambda's Amazon Linux 2023 (glibc 2.34): manylinux_2_28 or older.
    for wheel in site.glob("*.dist-info/WHEEL"):
        for tag in re.findall(r"^Tag: (.+)$", wheel.read_text(), re.MULTILINE):
            glibc = re.search(r"manylinux_(\d+)_(\d+)", tag)
            assert tag.startswith("cp3") and (not glibc or (int(glibc[1]), int(glibc[2]))
                                              <= (2, 28)), tag


def test_every_module_ships_as_bytecode(lambda_root):
    for tree in ("api-task", "worker-task", "opt/python"):
        for source in (lambda_root / tree).rglob("*.py"):
            cached = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
            assert cached.exists(), source
            # Unchecked-hash bytecode (PEP 552): flags 0b01, so no mtime is compared.
            assert int.from_bytes(cached.read_bytes()[4:8], "little") == 0b01, cached
        # and no other bytecode: none a working tree's other Pythons left behind
        for cached in (lambda_root / tree).rglob("*.pyc"):
            assert cached.name.endswith(".cpython-313.pyc"), cached
            source = cached.parent.parent / f"{cached.name.split('.')[0]}.py"
            assert source.exists(), cached


def test_the_worker_carries_only_what_it_imports(lambda_root):
    worker_tops = {path.name for path in (lambda_root / "worker-task").iterdir()}
    api_tops = {path.name for path in (lambda_root / "api-task").iterdir()}
    assert not {"twilio", "requests", "phonenumbers", "jwt", "chalice", "app.py"} & worker_tops
    assert not (lambda_root / "worker-task" / "chalicelib" / "api").exists()
    assert not {top for top in worker_tops | api_tops
                if top.split("-")[0] in packaging.AIOHTTP_GROUP}
    assert {"twilio", "jwt", "phonenumbers", "app.py", "chalicelib"} <= api_tops


def test_packaging_twice_gives_the_same_zips(shipped, tmp_path):
    again = make_package(STAGE, tmp_path / STAGE).parent
    for name in ("api.zip", "worker.zip", "media-layer.zip", "sam.yaml"):
        assert hashlib.sha256((shipped / name).read_bytes()).digest() == hashlib.sha256(
            (again / name).read_bytes()).digest(), name


def test_api_gateway_invokes_the_snapstart_alias(template):
    resources = template["Resources"]
    api = resources["APIHandler"]["Properties"]
    assert api["AutoPublishAlias"] == packaging.ALIAS
    assert api["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    uris = re.findall(r"functions/\$\{([^}]+)\}/invocations",
                      json.dumps(resources["RestAPI"]["Properties"]["DefinitionBody"]))
    assert uris and set(uris) == {packaging.ALIAS_REF}
    [permission] = [resource["Properties"] for resource in resources.values()
                    if resource["Type"] == "AWS::Lambda::Permission"]
    assert permission["FunctionName"] == {"Ref": packaging.ALIAS_REF}


# ---- the API function ------------------------------------------------------------------

def under_chalice_local(local_api: str, method: str, path: str, body=None):
    answer = requests.request(method, local_api + path, json=body, timeout=10)
    return answer.status_code, answer.headers, answer.json() if answer.content else None


def assert_same_headers(lambda_headers: dict, local_headers, varying=()) -> None:
    """Every header the function answers with, as `chalice local` answers it (which
    adds its HTTP server's own: Date, Server, Content-Length); those in `varying` only
    by name (an ETag, when the two stacks hold different data)."""
    assert set(varying) <= set(lambda_headers) and set(varying) <= set(local_headers)
    assert ({name: local_headers.get(name) for name in lambda_headers if name not in varying}
            == {name: value for name, value in lambda_headers.items() if name not in varying})


def test_health_and_the_openapi_document_answer_as_under_chalice_local(api, local_api):
    for path in ("/health", "/openapi.json"):
        status, headers, body = call(api, "GET", path)
        local_status, local_headers, local_body = under_chalice_local(local_api, "GET", path)
        if path == "/openapi.json":  # `servers` names where the request came in
            assert body.pop("servers") == [
                {"url": "https://abc123.execute-api.us-east-1.amazonaws.com/v1"}]
            local_body.pop("servers")
        assert (status, body) == (local_status, local_body), path
        assert_same_headers(headers, local_headers)


def test_bulletins_are_listed_as_under_chalice_local(api, local_api):
    status, headers, body = call(api, "GET", "/bulletins")
    local_status, local_headers, local_body = under_chalice_local(local_api, "GET", "/bulletins")
    assert status == local_status == 200
    assert body == {"items": [], "next_cursor": None}   # a new stage: none published yet
    assert set(local_body) == set(body)
    assert_same_headers(headers, local_headers, varying=("ETag",))


def test_a_code_reaches_the_sms_sink_as_under_chalice_local(api, stack, local_api, sms_sink):
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    status, headers, body = call(api, "POST", "/auth/otp", body={"phone": phone})
    local_status, local_headers, local_body = under_chalice_local(
        local_api, "POST", "/auth/otp", {"phone": phone})
    assert status == local_status == 202
    assert body == local_body
    assert_same_headers(headers, local_headers)
    for sink in (stack["sink"], sms_sink):
        [message] = sink.messages(to=phone)
        assert re.search(r"\b[0-9]{6}\b", message["body"])


# ---- the worker ------------------------------------------------------------------------

def signed_in(api: Function, sink) -> str:
    phone = f"+86139{uuid.uuid4().int % 10**8:08d}"
    assert call(api, "POST", "/auth/otp", body={"phone": phone})[0] == 202
    code = re.search(r"\b([0-9]{6})\b", sink.messages(to=phone)[0]["body"]).group(1)
    status, _, session = call(api, "POST", "/auth/verify", body={"phone": phone, "code": code})
    assert status == 200, session
    return session["access_token"]


def picture(size: tuple[int, int]) -> Image.Image:
    ramp = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                               Image.new("L", size, 128)))


def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    picture((640, 480)).save(out, "HEIF")
    return out.getvalue()


def jpeg() -> bytes:
    out = io.BytesIO()
    picture((2000, 1500)).save(out, "JPEG", quality=90)
    return out.getvalue()


def mp4(seconds: int = 2, fps: int = 10, size=(320, 240)) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4",
                                      rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        frame = av.VideoFrame.from_image(picture(size))
        for _ in range(seconds * fps):
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return out.getvalue()


def sqs_events(stack: dict, expected: int) -> list[dict]:
    """Lambda's SQS events for the messages on the evidence queue (S3's test event too),
    until `expected` ObjectCreated notifications have come."""
    sqs = boto3.client("sqs", endpoint_url=stack["emulator_url"], region_name=config.REGION,
                       aws_access_key_id="local", aws_secret_access_key="local")
    queue_url = sqs.get_queue_url(QueueName=f"masses-{STAGE}-evidence")["QueueUrl"]
    events, created = [], 0

    def receive():
        nonlocal created
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=1).get("Messages", []):
            created += '"ObjectCreated' in message["Body"]
            events.append({"Records": [{
                "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"], "attributes": {}, "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{config.REGION}:{ACCOUNT_ID}:"
                                  f"masses-{STAGE}-evidence",
                "awsRegion": config.REGION}]})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        return created >= expected

    assert wait_until(receive, timeout=WAIT_SECONDS), f"{created} of {expected} notifications"
    return events


def test_uploaded_jpeg_heic_and_mp4_become_ready(api, worker, stack):
    token = signed_in(api, stack["sink"])
    status, _, report = call(api, "POST", "/reports", body=report_body(), token=token)
    assert status == 201, report
    report_id = report["report_id"]
    uploads = {"image/jpeg": jpeg(), "image/heic": heic(), "video/mp4": mp4()}
    for content_type, content in uploads.items():
        status, _, ticket = call(api, "POST", "/reports/{report_id}/evidence",
                                 f"/reports/{report_id}/evidence", token=token,
                                 body={"content_type": content_type, "size": len(content)},
                                 path_parameters={"report_id": report_id})
        assert status == 201, ticket
        upload(ticket["upload"], content, content_type)

    for event in sqs_events(stack, expected=len(uploads)):
        worker.invoke(event)

    status, _, seen = call(api, "GET", "/reports/{report_id}", f"/reports/{report_id}",
                           token=token, path_parameters={"report_id": report_id})
    assert status == 200
    assert sorted(item["status"] for item in seen["evidence"]) == ["ready"] * 3, seen
    for item in seen["evidence"]:
        thumb = requests.get(item["thumb_url"], timeout=10)
        assert thumb.status_code == 200
        assert max(Image.open(io.BytesIO(thumb.content)).size) == 320


# ---- what was loaded, and how ----------------------------------------------------------

def loaded_outside(report: dict, allowed: list[Path]) -> dict[str, str]:
    return {name: path for name, path in report["modules"].items()
            if not any(Path(path).is_relative_to(root) for root in allowed)}


def test_nothing_was_compiled_at_run_time_and_nothing_came_from_elsewhere(
        api, worker, lambda_root):
    # After the other tests of this module: both functions have served real events.
    for function, roots in ((api, ["api-task"]), (worker, ["worker-task", "opt/python"])):
        report = function.report()
        own = [lambda_root / root for root in roots]
        compiled = [path for path in report["compiled_from_source"]
                    if any(Path(path).is_relative_to(root) for root in own)]
        assert compiled == [], compiled
        allowed = [*own, lambda_root / "runtime", STDLIB, RUNTIME]
        assert loaded_outside(report, allowed) == {}
        from_package = [name for name, path in report["modules"].items()
                        if any(Path(path).is_relative_to(root) for root in own)]
        assert len(from_package) > 100
    worker_modules = worker.report()["modules"]
    assert not [name for name in worker_modules
                if name.split(".")[0] in NEVER_IN_THE_WORKER
                or name.startswith("chalicelib.api")]
    assert {"PIL", "av", "pillow_heif", "boto3", "pynamodb"} <= {
        name.split(".")[0] for name in worker_modules}
