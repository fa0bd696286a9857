"""Load: 50 concurrent citizen clients file 1,000 reports against `chalice local` and
the emulator; throughput, p50 and p99, and proof that every report is stored exactly
once (the run fails otherwise).

    .venv/bin/python -m bench.load

`chalice local --stage local` runs on a free port against the bench's emulator. The
local stage allows 10 reports an hour per citizen, so the 1,000 reports come from 200
citizens (4 per client, 5 reports each); their access tokens are minted with
chalicelib.tokens.issue_access_token (the emulator's SSM holds the signing key), so
the load measures filing reports, not sending SMS. No request is retried.

The baseline is the same 50 clients sending 1,000 GET /health, run before and after
the reports (both runs pooled): what this server answers at with no work to do.

Afterwards each citizen's reports are read back through the reports table's
by-reporter index (one Query per citizen, as GET /reports does), and each report the
clients filed must be there exactly once, under its client-made marker.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.common import Figure, Section, percentile, report
from bench.stack import cpu_seconds, local_stack
from bench.world import report_body
from local import config
from local.emulator import free_port, wait_for_port

CLIENTS = 50
CITIZENS = 200
REPORTS = 1000
REQUEST_TIMEOUT = 60


class ChaliceLocal:
    """`chalice local` for the local stage, on a free port, in its own process group."""

    def __init__(self, environment: dict[str, str]):
        self.port = free_port()
        chalice = str(Path(sys.executable).with_name("chalice"))
        self.process = subprocess.Popen(
            [chalice, "local", "--stage", config.STAGE, "--host", config.HOST,
             "--port", str(self.port), "--no-autoreload"],
            env={**os.environ, **environment}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(config.HOST, self.port, timeout=60)
        self.url = f"http://{config.HOST}:{self.port}"

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=10)


def run_clients(url: str, work: list[list], send) -> tuple[list[tuple], float]:
    """Each of the clients sends its share of `work` in turn, all clients at once.
    `send(session, item)` returns a status; the result is [(item, status, seconds)]
    and the wall time from the first request to the last answer.

    Each client connects (one GET /health) before the clock starts, one after another:
    `chalice local` listens with Python's default backlog of 5, and 50 connections
    opened at once overflow it, which measures the dev server's accept queue (resets,
    1 s SYN retries), not the app. API Gateway has no such queue.
    """
    import requests

    results: list[tuple] = []
    lock = threading.Lock()
    sessions = [requests.Session() for _ in work]
    for session in sessions:
        session.get(f"{url}/health", timeout=REQUEST_TIMEOUT).raise_for_status()
    start = threading.Barrier(len(work) + 1)

    def client(session, items: list) -> None:
        start.wait()
        for item in items:
            started = time.perf_counter()
            try:
                status = send(session, item)
            except requests.RequestException as error:
                status = type(error).__name__
            with lock:
                results.append((item, status, time.perf_counter() - started))

    threads = [threading.Thread(target=client, args=pair) for pair in zip(sessions, work,
                                                                         strict=True)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for session in sessions:
        session.close()
    return results, elapsed


@dataclass(frozen=True)
class Filing:
    """One report a client files for a citizen, found again later by its marker."""

    user_id: str
    headers: dict[str, str]
    marker: str


def citizens(count: int) -> list[tuple[str, dict[str, str]]]:
    from chalicelib.tokens import Principal, issue_access_token

    return [(user_id, {"Authorization": "Bearer " + issue_access_token(
        Principal(user_id, "citizen"))}) for user_id in (uuid.uuid4().hex for _ in range(count))]


def stored_markers(user_ids: set[str], run_id: str) -> dict[str, int]:
    """How many times each of this run's markers is in the reports table."""
    from chalicelib.tables import Report

    counts: dict[str, int] = {}
    for user_id in user_ids:
        for stored in Report.by_reporter.query(user_id):
            marker = stored.description.rsplit("[", 1)[-1].rstrip("]")
            if marker.startswith(run_id):
                counts[marker] = counts.get(marker, 0) + 1
    return counts


def check_stored_once(filed: list[tuple], run_id: str) -> tuple[int, list[str]]:
    """How many accepted reports are stored exactly once, and what is wrong if any is
    not (refused, missing, duplicated, or stored though refused)."""
    failures = []
    accepted = {filing.marker for filing, status, _ in filed if status == 201}
    if len(accepted) != len(filed):
        refused = [(filing.marker, status) for filing, status, _ in filed if status != 201]
        failures.append(f"{len(refused)} of {len(filed)} reports not accepted, e.g. {refused[:3]}")
    counts = stored_markers({filing.user_id for filing, _, _ in filed}, run_id)
    once = sum(counts.get(marker) == 1 for marker in accepted)
    duplicated = sum(n > 1 for n in counts.values())
    unexpected = len(set(counts) - accepted)
    if once != len(filed) or duplicated or unexpected:
        failures.append(f"stored exactly once: {once} of {len(filed)}; duplicated: "
                        f"{duplicated}; stored though not accepted: {unexpected}")
    return once, failures


def main() -> Section:
    stack = local_stack()
    server = ChaliceLocal(stack.environment)
    try:
        return measure(server.url, {"emulator": stack.emulator_pid,
                                    "chalice_local": server.process.pid})
    finally:
        server.stop()


def measure(url: str, servers: dict[str, int]) -> Section:
    """`servers`: the processes whose CPU time per report goes into the details, to
    show which of them bounds the throughput."""
    run_id = uuid.uuid4().hex[:12]
    people = citizens(CITIZENS)
    # Client k speaks for citizens k, k + 50, …, filing for each in turn.
    work = [[Filing(*people[c], f"{run_id}-{c}-{n}") for n in range(REPORTS // CITIZENS)
             for c in range(k, CITIZENS, CLIENTS)] for k in range(CLIENTS)]
    health_work = [[None] * (REPORTS // CLIENTS) for _ in range(CLIENTS)]

    def file(session, filing: Filing) -> int:
        body = report_body()
        body["description"] += f" [{filing.marker}]"
        return session.post(f"{url}/reports", json=body, headers=filing.headers,
                            timeout=REQUEST_TIMEOUT).status_code

    def health(session, _) -> int:
        return session.get(f"{url}/health", timeout=REQUEST_TIMEOUT).status_code

    # Warm the server (imports, the signing key from SSM) with a citizen of its own.
    run_clients(url, [[Filing(*citizens(1)[0], f"warm-{run_id}")]], file)
    before, before_s = run_clients(url, health_work, health)
    cpu_before = {name: cpu_seconds(pid) for name, pid in servers.items()}
    filed, filed_s = run_clients(url, work, file)
    cpu_ms_per_report = {name: round((cpu_seconds(pid) - cpu_before[name]) * 1000 / REPORTS, 2)
                         for name, pid in servers.items()}
    after, after_s = run_clients(url, health_work, health)

    once, failures = check_stored_once(filed, run_id)
    unhealthy = [status for _, status, _ in before + after if status != 200]
    if unhealthy:
        failures.append(f"{len(unhealthy)} GET /health failed, e.g. {unhealthy[:3]}")
    seconds = [s * 1000 for _, _, s in filed]
    base = [s * 1000 for _, _, s in before + after]
    figures = [
        Figure(f"{REPORTS} reports, {CLIENTS} clients: throughput", REPORTS / filed_s, "req/s",
               2 * REPORTS / (before_s + after_s), "GET /health"),
        Figure("POST /reports p50 latency", percentile(seconds, 0.5), "ms",
               percentile(base, 0.5), "GET /health"),
        Figure("POST /reports p99 latency", percentile(seconds, 0.99), "ms",
               percentile(base, 0.99), "GET /health"),
        Figure("reports stored exactly once", once, "count", target=f"all {REPORTS}",
               met=once == REPORTS and not failures),
    ]
    return Section("load", figures, {
        "clients": CLIENTS, "citizens": CITIZENS, "reports": REPORTS,
        "reports_wall_s": round(filed_s, 3),
        "health_wall_s": [round(before_s, 3), round(after_s, 3)],
        "server_cpu_ms_per_report": cpu_ms_per_report,
        "statuses": sorted({str(status) for _, status, _ in filed})}, failures)


if __name__ == "__main__":
    sys.exit(report(main()))
