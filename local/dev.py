"""`make dev`: the whole stack on loopback, in the foreground, until Ctrl-C.

Starts the emulator, creates the stack in it from infra/template.yaml, then starts the
SMS sink, `chalice local`, the pump and the admin site. Ctrl-C (or SIGTERM) stops
exactly the processes started here. Ports come from MOTO_PORT, API_PORT, SMS_SINK_PORT
and ADMIN_PORT; API_RELOAD=0 stops `chalice local` restarting when files change.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from local import config
from local.emulator import start_emulator, wait_for_port


def url(port: int) -> str:
    return f"http://{config.HOST}:{port}"


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Its own process group, so stopping it also stops what it spawns (chalice local's
    # reloader runs the server in a child process).
    return subprocess.Popen(command, env=env, start_new_session=True)


def main() -> int:
    emulator = start_emulator(config.HOST, config.EMULATOR_PORT)
    children = [emulator]
    stage_env = config.stage_environment(url(config.EMULATOR_PORT), url(config.SMS_SINK_PORT))
    env = {**os.environ, **stage_env}
    os.environ.update(stage_env)

    def stop(*_):
        for child in reversed(children):
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        from local.bootstrap import bootstrap
        bootstrap()
        python = sys.executable
        children.append(start([python, "-m", "local.sms_sink", "--port",
                               str(config.SMS_SINK_PORT)], env))
        chalice = str(Path(python).with_name("chalice"))
        # chalice local restarts on any file written under the project (builds, test
        # caches, screenshots); the browser tests switch that off with API_RELOAD=0.
        reload = [] if os.environ.get("API_RELOAD", "1") == "1" else ["--no-autoreload"]
        children.append(start([chalice, "local", "--stage", config.STAGE, *reload,
                               "--host", config.HOST, "--port", str(config.API_PORT)], env))
        children.append(start([python, "-m", "local.pump"], env))
        children.append(start([python, "-m", "local.admin_site", "--port", str(config.ADMIN_PORT),
                               "--api", url(config.API_PORT),
                               "--media", url(config.EMULATOR_PORT)], env))
        wait_for_port(config.HOST, config.SMS_SINK_PORT)
        wait_for_port(config.HOST, config.ADMIN_PORT)
        wait_for_port(config.HOST, config.API_PORT, timeout=60)
    except Exception:
        stop()
        raise
    sink_messages = f"/2010-04-01/Accounts/{config.TWILIO_ACCOUNT_SID}/Messages.json"
    queue = f"{stage_env['MASSES_RESOURCE_PREFIX']}-evidence"
    first_admin = stage_env.get("MASSES_BOOTSTRAP_ADMIN") or "(none configured)"
    print(f"""
Masses runs on loopback; Ctrl-C stops it all.
  API (chalice local, stage local)  {url(config.API_PORT)}   try: curl {url(config.API_PORT)}/health
  admin site                        {url(config.ADMIN_PORT)}   first admin: {first_admin}
  AWS emulator (moto server)        {url(config.EMULATOR_PORT)}
  SMS sink (Twilio API)             {url(config.SMS_SINK_PORT)}   codes: GET {sink_messages}
  evidence pump                     queue {queue} -> process_evidence
""", flush=True)
    while True:
        for child in children:
            if child.poll() is not None:
                print(f"{child.args} exited with {child.returncode}; stopping", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
