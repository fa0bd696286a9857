"""The districts alerts are chosen from, the signed-in user's push devices and district
alerts, and (for officers) how many devices an alert would reach. No route here calls
SNS: the push worker does (chalicelib/push/)."""

import re
from typing import Annotated, Literal

import msgspec

from chalicelib.api import responses as r
from chalicelib.api.caching import CACHED, CONDITIONAL, cached, etag_of
from chalicelib.api.routes import ANYONE, SIGNED_IN, STAFF, Blueprint
from chalicelib.bulletins.fields import BulletinCategory, District
from chalicelib.errors import ErrorCode, ValidationFailed
from chalicelib.patterns import whole
from chalicelib.push import alerts, audience, devices
from chalicelib.push.texts import LOCALES
from chalicelib.settings import settings

bp = Blueprint(__name__)

INSTALLATION_ID = re.compile("[A-Za-z0-9_-]{8,128}")
# FCM registration tokens run to about 160 characters, APNs device tokens to 64 hex
# digits (and longer in future, Apple says); 4096 leaves room for both.
PushToken = Annotated[str, msgspec.Meta(min_length=1, max_length=4096, pattern=whole("[!-~]+"))]


class DeviceRegistration(msgspec.Struct, forbid_unknown_fields=True):
    platform: Literal["fcm", "apns"]
    token: PushToken
    locale: Literal[LOCALES] = "zh-CN"


class AlertChoice(msgspec.Struct, forbid_unknown_fields=True):
    category: BulletinCategory
    district: District


class AlertChoices(msgspec.Struct, forbid_unknown_fields=True):
    subscriptions: Annotated[list[AlertChoice], msgspec.Meta(max_length=alerts.MAX_SUBSCRIPTIONS)]


class AudienceQuery(msgspec.Struct, kw_only=True):
    category: BulletinCategory
    district: District


# What the path's schema cannot say (it is a plain string in the document).
INSTALLATION_RULES = {ErrorCode.INVALID_INSTALLATION_ID:
                      "installation_id is 8 to 128 of A-Z, a-z, 0-9, - and _"}


def _installation(installation_id: str) -> str:
    if not INSTALLATION_ID.fullmatch(installation_id):
        raise ValidationFailed("installation_id is 8 to 128 letters, digits, - or _.",
                               code=ErrorCode.INVALID_INSTALLATION_ID, field="installation_id")
    return installation_id


@bp.route("/me/devices/{installation_id}", methods=["PUT"], allow=SIGNED_IN,
          body=DeviceRegistration, answer=r.Device, rules=INSTALLATION_RULES,
          summary="Register this installation for pushes")
def register_device(request, installation_id):
    """`installation_id` is the app's own id for this installation (8 to 128 letters,
    digits, - or _), kept across launches. Call it on every launch: the same body again
    changes nothing; a new token updates the installation's SNS endpoint, and one SNS
    disabled is enabled again. Pushes are in `locale`."""
    body = request.body
    return devices.view(devices.register(request.caller.user_id,
                                         _installation(installation_id),
                                         platform=body.platform, token=body.token,
                                         locale=body.locale))


@bp.route("/me/devices/{installation_id}", methods=["DELETE"], allow=SIGNED_IN, ok=204,
          errors=(400,), rules=INSTALLATION_RULES, summary="Stop pushes to this installation")
def remove_device(request, installation_id):
    """204 whether or not it was registered. Logging out with `installation_id` and
    deleting the account remove devices too."""
    devices.remove(request.caller.user_id, [_installation(installation_id)])


# The list changes only with a deployment of the stage.
DISTRICTS_MAX_AGE_SECONDS = 3600


@bp.route("/districts", methods=["GET"], allow=ANYONE, request_headers=CONDITIONAL,
          answer=r.Districts, more={304: None}, headers=CACHED,
          summary="The districts alerts are chosen from and bulletins name")
def list_districts(request):
    """The stage's districts, in its order. PUT /me/alerts and a bulletin's `district`
    take exactly these names; any other is a 400 unknown_district."""
    body = {"districts": list(settings().districts)}
    return cached(request, etag_of(body), lambda: body,
                  f"public, max-age={DISTRICTS_MAX_AGE_SECONDS}")


@bp.route("/me/alerts", methods=["GET"], allow=SIGNED_IN, answer=r.AlertSubscriptions,
          summary="Your district alerts")
def get_alerts(request):
    return {"subscriptions": alerts.subscriptions_of(request.caller.user_id)}


@bp.route("/me/alerts", methods=["PUT"], allow=SIGNED_IN, body=AlertChoices,
          answer=r.AlertSubscriptions, rules=alerts.RULES,
          summary="Choose your district alerts")
def put_alerts(request):
    """Replaces the list (at most 20 pairs; a pair given twice counts once). Alerts are
    by the districts you name: no location of the device is sent or kept."""
    return {"subscriptions": alerts.subscribe(
        request.caller.user_id, msgspec.to_builtins(request.body.subscriptions))}


@bp.route("/admin/alerts/audience", methods=["GET"], allow=STAFF, query=AudienceQuery,
          answer=r.AlertAudience, rules=alerts.RULES,
          summary="How many devices an alert reaches (officers)")
def alert_audience(request):
    query = request.query
    alerts.check_district(query.district)
    return {"category": query.category, "district": query.district,
            "devices": audience.size(query.category, query.district)}
