"""`make dev`: the whole stack on loopback, in the foreground, until Ctrl-C.

Starts the emulator, creates the stack in it from infra/template.yaml, then starts the
SMS sink, `chalice local`, the pump and the admin site. Ctrl-C (or SIGTERM) stops
exactly the processes started here and exits 0. A part that fails to start or exits by
itself stops the rest, and `make dev` exits 1 saying which part and, for a failure at
start-up, with its traceback. Ports come from MOTO_PORT, API_PORT, SMS_SINK_PORT
and ADMIN_PORT; API_RELOAD=0 stops `chalice local` restarting when files change.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

from local import config
from local.emulator import start_emulator, wait_for_port


def url(port: int) -> str:
    return f"http://{config.HOST}:{port}"


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Its own process group, so stopping it also stops what it spawns (chalice local's
    # reloader runs the server in a child process).
    return subprocess.Popen(command, env=env, start_new_session=True)


class Part:
    """One process of the stack, named as `make dev` reports it."""

    def __init__(self, name: str, process: subprocess.Popen):
        self.name, self.process = name, process

    def __str__(self) -> str:
        return f"{self.name} (pid {self.process.pid})"


def stop(parts: list[Part]) -> None:
    """Stops every part still running, the last started first."""
    for part in reversed(parts):
        if part.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
                os.killpg(part.process.pid, signal.SIGTERM)
    for part in parts:
        try:
            part.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(part.process.pid, signal.SIGKILL)
            part.process.wait()


def fail(parts: list[Part], message: str) -> int:
    print(f"make dev: {message}; stopping the stack", file=sys.stderr, flush=True)
    stop(parts)
    return 1


def main() -> int:
    """0 after Ctrl-C or SIGTERM; 1, with what failed on stderr, when a part fails to
    start or exits by itself."""
    parts: list[Part] = []
    stage_env = config.stage_environment(url(config.EMULATOR_PORT), url(config.SMS_SINK_PORT))
    env = {**os.environ, **stage_env}
    os.environ.update(stage_env)

    def stopped_on_request(*_):
        stop(parts)
        sys.exit(0)

    signal.signal(signal.SIGINT, stopped_on_request)
    signal.signal(signal.SIGTERM, stopped_on_request)
    step = "starting the AWS emulator"
    try:
        parts.append(Part("AWS emulator", start_emulator(config.HOST, config.EMULATOR_PORT)))
        step = "creating the stack in the emulator (local/bootstrap.py)"
        from local.bootstrap import bootstrap
        bootstrap()
        step = "starting the SMS sink, chalice local, the pump and the admin site"
        python = sys.executable
        parts.append(Part("SMS sink", start([python, "-m", "local.sms_sink", "--port",
                                             str(config.SMS_SINK_PORT)], env)))
        chalice = str(Path(python).with_name("chalice"))
        # chalice local restarts on any file written under the project (builds, test
        # caches, screenshots); the browser tests switch that off with API_RELOAD=0.
        reload = [] if os.environ.get("API_RELOAD", "1") == "1" else ["--no-autoreload"]
        parts.append(Part("chalice local", start(
            [chalice, "local", "--stage", config.STAGE, *reload,
             "--host", config.HOST, "--port", str(config.API_PORT)], env)))
        parts.append(Part("evidence pump", start([python, "-m", "local.pump"], env)))
        parts.append(Part("admin site", start(
            [python, "-m", "local.admin_site", "--port", str(config.ADMIN_PORT),
             "--api", url(config.API_PORT), "--media", url(config.EMULATOR_PORT)], env)))
        for name, port, timeout in (("SMS sink", config.SMS_SINK_PORT, 30),
                                    ("admin site", config.ADMIN_PORT, 30),
                                    ("chalice local", config.API_PORT, 60)):
            step = f"waiting for the {name} on port {port}"
            wait_for_port(config.HOST, port, timeout=timeout)
    except Exception:
        traceback.print_exc()
        dead = [f"{part} exited with {part.process.returncode}" for part in parts
                if part.process.poll() is not None]
        return fail(parts, "; ".join([f"{step} failed", *dead]))
    sink_messages = f"/2010-04-01/Accounts/{config.TWILIO_ACCOUNT_SID}/Messages.json"
    queue = f"{stage_env['MASSES_RESOURCE_PREFIX']}-evidence"
    exports = f"{stage_env['MASSES_RESOURCE_PREFIX']}-exports"
    first_admin = stage_env.get("MASSES_BOOTSTRAP_ADMIN") or "(none configured)"
    print(f"""
Masses runs on loopback; Ctrl-C stops it all.
  API (chalice local, stage local)  {url(config.API_PORT)}   try: curl {url(config.API_PORT)}/health
  admin site                        {url(config.ADMIN_PORT)}   first admin: {first_admin}
  AWS emulator (moto server)        {url(config.EMULATOR_PORT)}
  SMS sink (Twilio API)             {url(config.SMS_SINK_PORT)}   codes: GET {sink_messages}
  evidence pump                     queue {queue} -> process_evidence
  export pump                       queue {exports} -> export_reports
""", flush=True)
    while True:
        for part in parts:
            if part.process.poll() is not None:
                return fail(parts, f"{part} exited by itself with {part.process.returncode}")
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
