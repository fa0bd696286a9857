"""Handler overhead: GET /bulletins (a page of 20) in process, against the one raw
boto3 Query it performs, on the same emulator with the same 50 bulletins.

    .venv/bin/python -m bench.handler_overhead

The Query is the very one the route sends (its parameters are taken from botocore as
the route makes it), so the difference is everything the app adds: Chalice's routing
and middleware, reading the query string, PynamoDB turning items into models, signing
the cursor, building the views and the ETag, and encoding the JSON. The emulator's
time is in both.
"""

import sys
import time

from bench.common import Figure, Section, interleaved, median, report
from bench.stack import app_log_in_file, recorded_requests
from bench.world import expect, send, shared

RUNS = 60
WARM_UP = 10
TARGET_RATIO = 1.5
PAGE = 20


def main(runs: int = RUNS) -> Section:
    import boto3

    client, _, _ = shared()
    with app_log_in_file(), recorded_requests() as requests:
        page = expect(send(client, "GET", "/bulletins"), 200)
    [query] = [r for r in requests if r.service == "dynamodb"]
    if query.operation != "Query" or len(page["items"]) != PAGE:
        raise AssertionError(f"GET /bulletins sent {requests} for {len(page['items'])} items")
    dynamodb = boto3.client("dynamodb")

    def route() -> float:
        started = time.perf_counter()
        response = send(client, "GET", "/bulletins")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200
        return elapsed

    def raw_query() -> float:
        started = time.perf_counter()
        items = dynamodb.query(**query.params)["Items"]
        elapsed = time.perf_counter() - started
        assert len(items) == PAGE
        return elapsed

    with app_log_in_file():
        interleaved(WARM_UP, route=route, raw_query=raw_query)
        samples = interleaved(runs, route=route, raw_query=raw_query)
    ours, baseline = median(samples["route"]) * 1000, median(samples["raw_query"]) * 1000
    figures = [Figure("GET /bulletins, page of 20, in process", ours, "ms", baseline,
                      "raw boto3 Query", f"≤ {TARGET_RATIO}×", ours <= TARGET_RATIO * baseline),
               # The emulator's Query is far slower than DynamoDB's (a few ms), so the
               # app's own time per request is the figure that carries over to AWS.
               Figure("  of which the app's own time (difference)", ours - baseline, "ms")]
    return Section("handler overhead", figures, {
        "runs": runs, "query": query.params,
        "route_ms": [round(s * 1000, 3) for s in samples["route"]],
        "raw_query_ms": [round(s * 1000, 3) for s in samples["raw_query"]]})


if __name__ == "__main__":
    sys.exit(report(main()))
