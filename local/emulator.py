"""Starts the local AWS emulator (moto server) and waits until it answers."""

import socket
import subprocess
import sys
import time


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                message = f"nothing listens on {host}:{port} after {timeout:.0f} s"
                raise TimeoutError(message) from None
            time.sleep(0.1)


def start_emulator(host: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "local.emulator_server", host, str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        wait_for_port(host, port)
    except TimeoutError:
        process.kill()
        raise
    return process


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
