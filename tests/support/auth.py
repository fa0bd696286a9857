"""Signing in through the API, as the sign-in tests (tests/auth/) do: fresh numbers,
JSON requests, codes read back from the SMS sink, and running calls in parallel."""

import json
import re
import threading
import uuid

JSON = {"Content-Type": "application/json"}


def new_phone() -> str:
    """A fresh China Mobile number, so tests never share one."""
    return f"+86139{uuid.uuid4().int % 10 ** 8:08d}"


def post(client, path: str, body, token: str | None = None, **headers):
    headers = {**JSON, **headers}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.http.post(path, body=raw, headers=headers)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def error_code(response) -> str:
    return json.loads(response.body)["error"]["code"]


def last_code(sms_sink, phone: str) -> str:
    """The code in the newest SMS to `phone`, read back from the sink as from Twilio."""
    newest = sms_sink.messages(to=phone)[0]
    return re.search(r"\b([0-9]{6})\b", newest["body"]).group(1)


def request_code(client, phone: str, **body):
    return post(client, "/auth/otp", {"phone": phone, **body})


def sign_in(client, sms_sink, phone: str | None = None) -> dict:
    """Sign `phone` (a fresh number by default) in through the API; the session body."""
    phone = phone or new_phone()
    assert request_code(client, phone).status_code == 202
    response = post(client, "/auth/verify", {"phone": phone, "code": last_code(sms_sink, phone)})
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def in_parallel(calls: list) -> list:
    """Run each of `calls` in its own thread, all released at once; their results."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
