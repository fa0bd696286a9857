"""A citizen's devices, as the API changes them. The SNS side (the platform endpoint)
is the push worker's (worker.py); the API only writes DynamoDB and queues a job."""

from chalicelib import clock
from chalicelib.push import jobs
from chalicelib.tables import Device


def register(user_id: str, installation_id: str, *, platform: str, token: str,
             locale: str) -> Device:
    """Register or update one installation. The same body again writes nothing; it
    still queues a check of the endpoint, which SNS may have disabled meanwhile (AWS's
    pseudo-code runs on every app launch). A changed platform needs a new endpoint: the
    old one is deleted."""
    try:
        device = Device.get(user_id, installation_id, consistent_read=True)
    except Device.DoesNotExist:
        device = None
    stale = []
    if device is None or (device.platform, device.token, device.locale) != (
            platform, token, locale):
        keeps_endpoint = device is not None and device.platform == platform
        if device is not None and device.endpoint_arn and not keeps_endpoint:
            stale.append(device.endpoint_arn)
        device = Device(user_id, installation_id, platform=platform, token=token,
                        locale=locale, updated_at=clock.now(),
                        endpoint_arn=device.endpoint_arn if keeps_endpoint else None)
        device.save()
    jobs.send_after_change(*([jobs.SyncUser(user_id, stale)] if stale else []),
                           jobs.SyncDevice(user_id, installation_id))
    return device


def remove(user_id: str, installation_ids: list[str] | None = None) -> None:
    """Remove these installations (None: every one) of the user; the worker deletes
    their endpoints and audience rows."""
    devices = [device for device in Device.query(user_id, consistent_read=True)
               if installation_ids is None or device.installation_id in installation_ids]
    for device in devices:
        device.delete()
    if devices:
        jobs.send_after_change(jobs.SyncUser(
            user_id, [device.endpoint_arn for device in devices if device.endpoint_arn]))


def view(device: Device) -> dict:
    return {"installation_id": device.installation_id, "platform": device.platform,
            "locale": device.locale, "registered": device.endpoint_arn is not None,
            "updated_at": device.updated_at.isoformat()}
