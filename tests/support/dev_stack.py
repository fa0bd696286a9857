"""`python -m local.dev` (what `make dev` runs) on free ports, for the tests that start
the whole offline stack in a subprocess."""

import os

import requests

from local.emulator import free_port


def dev_ports() -> dict[str, int]:
    """A free port for each part that listens, by the variable local.dev reads it from."""
    return {name: free_port() for name in ("MOTO_PORT", "API_PORT", "SMS_SINK_PORT",
                                           "PUSH_SINK_PORT", "SNS_PORT", "ADMIN_PORT")}


def dev_environment(ports: dict[str, int], reload: bool = False) -> dict[str, str]:
    """This process's environment with those ports; `chalice local` does not reload by
    default, because other tests write files under the project while the stack runs."""
    return {**os.environ, **{name: str(port) for name, port in ports.items()},
            "API_RELOAD": "1" if reload else "0"}


def answers_health(api: str) -> bool:
    try:
        return requests.get(f"{api}/health", timeout=1).json() == {"status": "ok"}
    except (requests.RequestException, ValueError):
        return False
