"""Smoke test of a deployed stage: is it up, does it read, can it send a sign-in code?

    python scripts/smoke_test.py API_URL --phone +8613800000000

API_URL is the stack's EndpointURL output (https://….execute-api.….amazonaws.com/v1/),
or http://127.0.0.1:8000 for `make dev`. It checks, in order:

    GET  /health                 200 {"status": "ok"}
    GET  /bulletins?limit=1      200 {"items": [...], "next_cursor": ...}
    GET  /bulletins/{id}         200, the first listed bulletin (when there is one)
    POST /auth/otp {"phone"}     202

The last one sends a real SMS on AWS: give a number you hold. A number may ask for a
code once a minute; a second run within the minute answers 429 and fails here.
Standard library only, so it runs from any Python 3.11. Exit status 0 when all pass.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Answer:
    status: int
    body: object
    milliseconds: int


class SmokeTest:
    def __init__(self, api_url: str):
        if not api_url.startswith(("http://", "https://")):
            raise ValueError(f"API_URL must be an http(s) URL, not {api_url!r}")
        self.api_url = api_url.rstrip("/")
        self.failures = 0

    def call(self, method: str, path: str, body: dict | None = None) -> Answer:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.api_url + path, data=data, method=method,
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        milliseconds = round((time.monotonic() - started) * 1000)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")[:200]
        return Answer(status, parsed, milliseconds)

    def check(self, method: str, path: str, expected_status: int, body: dict | None = None,
              expect=lambda answer_body: True, shown_path: str | None = None) -> Answer | None:
        """One request; prints one line. `expect` judges the body of a right status."""
        label = f"{method} {shown_path or path}"
        try:
            answer = self.call(method, path, body)
        except (OSError, urllib.error.URLError) as error:
            return self._failed(f"{label}: no answer ({error})")
        if answer.status != expected_status:
            return self._failed(f"{label}: {answer.status}, expected {expected_status}: "
                                f"{json.dumps(answer.body, ensure_ascii=False)[:300]}")
        if not expect(answer.body):
            return self._failed(f"{label}: unexpected body "
                                f"{json.dumps(answer.body, ensure_ascii=False)[:300]}")
        print(f"ok    {label}  {answer.status} in {answer.milliseconds} ms", flush=True)
        return answer

    def _failed(self, line: str) -> None:
        self.failures += 1
        print(f"FAIL  {line}", flush=True)
        return None

    def run(self, phone: str) -> bool:
        self.check("GET", "/health", 200, expect=lambda body: body == {"status": "ok"})
        listing = self.check("GET", "/bulletins?limit=1", 200, expect=is_a_page)
        if listing and listing.body["items"]:
            first = listing.body["items"][0]["id"]
            self.check("GET", f"/bulletins/{first}", 200,
                       expect=lambda body: body.get("id") == first)
        # The number is the operator's; it stays out of the output all the same.
        self.check("POST", "/auth/otp", 202, body={"phone": phone},
                   shown_path="/auth/otp {phone}")
        return self.failures == 0


def is_a_page(body) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("items"), list)
            and "next_cursor" in body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("api_url", metavar="API_URL")
    parser.add_argument("--phone", required=True,
                        help="a mobile number you hold, in E.164: it receives a sign-in code")
    arguments = parser.parse_args(argv)
    smoke = SmokeTest(arguments.api_url)
    passed = smoke.run(arguments.phone)
    print("smoke test passed" if passed else f"smoke test FAILED: {smoke.failures} check(s) failed")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
