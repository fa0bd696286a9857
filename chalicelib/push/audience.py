"""Who an alert reaches, kept by the push worker: one AlertAudience row per device
per chosen (category, district), in SHARDS shards, and each pair's device count.

Shards let one alert be paged by SHARDS workers at once (see alerts.py for the
arithmetic). A user's rows are found through the by-user index, so syncing a user is:
read their choices and devices, read their rows, delete what is no longer wanted,
write what is missing or stale (nothing, when nothing changed). Any job for the user
runs it, and a later run corrects an earlier one that raced it.
"""

import hashlib

from pynamodb.exceptions import DeleteError, PutError

from chalicelib.storage import condition_failed
from chalicelib.tables import AlertAudience, AlertChoices, AudienceSize, Device

SHARDS = 8


def pair_key(category: str, district: str) -> str:
    return f"{category}#{district}"


def member_of(user_id: str, installation_id: str) -> str:
    return f"{user_id}#{installation_id}"


def shard_of(member: str) -> int:
    return int(hashlib.sha256(member.encode()).hexdigest()[:8], 16) % SHARDS


def shard_key(category: str, district: str, shard: int) -> str:
    return f"{pair_key(category, district)}#{shard}"


def size(category: str, district: str) -> int:
    try:
        return int(AudienceSize.get(pair_key(category, district)).devices)
    except AudienceSize.DoesNotExist:
        return 0


def choices_of(user_id: str) -> list[dict]:
    try:
        return AlertChoices.get(user_id, consistent_read=True).subscriptions
    except AlertChoices.DoesNotExist:
        return []


def sync(user_id: str) -> None:
    devices = [device for device in Device.query(user_id, consistent_read=True)
               if device.endpoint_arn]
    wanted = {}
    for choice in choices_of(user_id):
        for device in devices:
            member = member_of(user_id, device.installation_id)
            key = shard_key(choice["category"], choice["district"], shard_of(member))
            wanted[key, member] = device
    held = {(row.audience, row.member): (row.endpoint_arn, row.locale)
            for row in AlertAudience.by_user.query(user_id)}
    for audience, member in held.keys() - wanted.keys():
        _delete(AlertAudience(audience, member))
    for (audience, member), device in wanted.items():
        if held.get((audience, member)) != (device.endpoint_arn, device.locale):
            _put(AlertAudience(audience, member, user_id=user_id,
                               endpoint_arn=device.endpoint_arn, locale=device.locale))


def _pair(audience: str) -> str:
    return audience.rpartition("#")[0]


def _count(audience: str, change: int) -> None:
    AudienceSize(_pair(audience)).update(actions=[AudienceSize.devices.add(change)])


def _put(row: AlertAudience) -> None:
    try:
        row.save(condition=AlertAudience.member.does_not_exist())
    except PutError as error:
        if not condition_failed(error):
            raise
        row.save()  # already counted; its endpoint or locale may have changed
        return
    _count(row.audience, 1)


def _delete(row: AlertAudience) -> None:
    try:
        row.delete(condition=AlertAudience.member.exists())
    except DeleteError as error:
        if not condition_failed(error):
            raise
        return
    _count(row.audience, -1)
