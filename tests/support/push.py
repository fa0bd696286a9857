"""Push devices and what reached them, read from the push sink over HTTP (the sink
reads what the app published to SNS: local/push_sink.py)."""

import uuid

import boto3
import requests

from chalicelib.tables import Device
from support.api import send
from support.waiting import wait_until


def pushes(sink_url: str, token: str) -> list[dict]:
    response = requests.get(f"{sink_url}/pushes", params={"token": token}, timeout=10)
    response.raise_for_status()
    return response.json()["pushes"]


def wait_for_pushes(sink_url: str, token: str, count: int = 1, timeout: float = 30) -> list[dict]:
    found = wait_until(lambda: len(pushes(sink_url, token)) >= count and pushes(sink_url, token),
                       timeout=timeout)
    assert found, f"no {count} pushes reached {token}"
    return found


def new_token() -> str:
    return f"token-{uuid.uuid4().hex}"


def new_installation() -> str:
    return f"install-{uuid.uuid4().hex[:12]}"


def register(client, who, installation_id: str, token: str, platform: str = "fcm",
             locale: str = "zh-CN"):
    return send(client, "put", f"/me/devices/{installation_id}", who,
                {"platform": platform, "token": token, "locale": locale})


def registered_endpoint(user_id: str, installation_id: str, timeout: float = 30) -> str:
    """The SNS endpoint the worker made for the device, once it has made it."""
    def endpoint():
        try:
            return Device.get(user_id, installation_id, consistent_read=True).endpoint_arn
        except Device.DoesNotExist:
            return None
    arn = wait_until(endpoint, timeout=timeout)
    assert arn, "the worker made no endpoint"
    return arn


def endpoint_attributes(arn: str) -> dict | None:
    sns = boto3.client("sns")
    try:
        return sns.get_endpoint_attributes(EndpointArn=arn)["Attributes"]
    except sns.exceptions.NotFoundException:
        return None
