"""The account (GET/DELETE /me), roles (PUT/DELETE /admin/officers/{phone}, the
bootstrap admin) and the audit trail (GET /admin/audit)."""

import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from pynamodb.exceptions import DoesNotExist
from support.auth import bearer, error_code, new_phone, post, sign_in

from chalicelib import audit
from chalicelib.tables import AuditEvent, PhoneClaim, User
from chalicelib.tokens import Principal, issue_access_token

ROOT = Path(__file__).resolve().parents[2]


def token_for(role: str, user_id: str | None = None) -> str:
    return issue_access_token(Principal(user_id or f"{role}-{uuid.uuid4().hex}", role))


@pytest.fixture
def admin(emulator) -> Principal:
    return Principal(f"admin-{uuid.uuid4().hex}", "admin")


def grant(client, phone: str, admin: Principal):
    return client.http.put(f"/admin/officers/{quote(phone)}",
                           headers=bearer(issue_access_token(admin)))


def revoke(client, phone: str, admin: Principal):
    return client.http.delete(f"/admin/officers/{quote(phone)}",
                              headers=bearer(issue_access_token(admin)))


def role_events(user_id: str) -> list[AuditEvent]:
    """This month's role changes of `user_id`, newest first (tests may filter)."""
    month = datetime.now(UTC).strftime("%Y-%m")
    return list(AuditEvent.query(month, scan_index_forward=False,
                                 filter_condition=AuditEvent.target == f"user:{user_id}"))


# --- GET /me, DELETE /me -----------------------------------------------------------------

def test_me_is_the_callers_profile(client, sms_sink):
    session = sign_in(client, sms_sink)

    response = client.http.get("/me", headers=bearer(session["access_token"]))

    assert response.status_code == 200
    profile = json.loads(response.body)
    assert profile == {**session["user"], "created_at": profile["created_at"]}
    created = datetime.fromisoformat(profile["created_at"])
    assert created.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_me_needs_a_signed_in_caller(client, method):
    response = client.http.request(method, "/me")

    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


def test_deleting_the_account_removes_profile_and_number_and_ends_sessions(client, sms_sink):
    session = sign_in(client, sms_sink)
    user_id, phone = session["user"]["id"], session["user"]["phone"]

    response = client.http.delete("/me", headers=bearer(session["access_token"]))

    assert (response.status_code, response.body) == (204, b"")
    with pytest.raises(DoesNotExist):
        User.get(user_id)
    with pytest.raises(DoesNotExist):
        PhoneClaim.get(phone)
    gone = client.http.get("/me", headers=bearer(session["access_token"]))
    assert (gone.status_code, error_code(gone)) == (401, "account_deleted")
    refreshed = post(client, "/auth/refresh", {"refresh_token": session["refresh_token"]})
    assert (refreshed.status_code, error_code(refreshed)) == (401, "account_deleted")


def test_deleting_twice_is_fine(client, sms_sink):
    token = sign_in(client, sms_sink)["access_token"]

    assert client.http.delete("/me", headers=bearer(token)).status_code == 204
    assert client.http.delete("/me", headers=bearer(token)).status_code == 204


def test_a_deleted_number_registers_again_as_someone_new(client, sms_sink, frozen_clock):
    first = sign_in(client, sms_sink)
    client.http.delete("/me", headers=bearer(first["access_token"]))
    frozen_clock.advance(60)

    second = sign_in(client, sms_sink, first["user"]["phone"])

    assert second["user"]["id"] != first["user"]["id"]
    assert second["user"]["role"] == "citizen"


def test_after_deletion_nothing_leads_from_the_user_id_to_the_number(client, sms_sink, admin):
    session = sign_in(client, sms_sink)
    user_id, phone = session["user"]["id"], session["user"]["phone"]
    grant(client, phone, admin)
    revoke(client, phone, admin)

    client.http.delete("/me", headers=bearer(session["access_token"]))

    events = role_events(user_id)
    assert len(events) == 2
    assert phone not in json.dumps([e.attribute_values for e in events], default=str)
    assert {e.details["phone_hint"] for e in events} == {f"{phone[:3]}…{phone[-4:]}"}


# --- officers ----------------------------------------------------------------------------

def test_an_admin_makes_a_citizen_an_officer_and_it_is_audited(client, sms_sink, admin):
    session = sign_in(client, sms_sink)
    user_id, phone = session["user"]["id"], session["user"]["phone"]

    response = grant(client, phone, admin)

    assert response.status_code == 200
    assert json.loads(response.body) == {"phone": phone, "user_id": user_id, "role": "officer",
                                         "display_name": None, "badge": None}
    assert User.get(user_id).role == PhoneClaim.get(phone).role == "officer"
    [event] = role_events(user_id)
    assert (event.actor_id, event.actor_role, event.action) == (admin.user_id, "admin",
                                                               "role.change")
    assert (event.details["from"], event.details["to"]) == ("citizen", "officer")
    when = datetime.fromisoformat(event.at_event.split("#")[0])
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=1)


def test_a_role_change_takes_effect_at_the_next_refresh(client, sms_sink, admin):
    session = sign_in(client, sms_sink)
    grant(client, session["user"]["phone"], admin)

    refreshed = json.loads(post(client, "/auth/refresh",
                                {"refresh_token": session["refresh_token"]}).body)

    assert refreshed["user"]["role"] == "officer"
    as_officer = client.http.get("/admin/audit", headers=bearer(refreshed["access_token"]))
    assert as_officer.status_code == 403, "still not an admin"
    revoke(client, session["user"]["phone"], admin)
    again = json.loads(post(client, "/auth/refresh",
                            {"refresh_token": refreshed["refresh_token"]}).body)
    assert again["user"]["role"] == "citizen"


def test_granting_to_a_number_not_signed_up_yet_registers_it(client, sms_sink, admin):
    phone = new_phone()

    granted = json.loads(grant(client, phone, admin).body)

    user = User.get(granted["user_id"])
    assert (user.phone, user.role) == (phone, "officer")
    assert PhoneClaim.get(phone).user_id == granted["user_id"]
    signed_in = sign_in(client, sms_sink, phone)
    assert signed_in["user"] == {"id": granted["user_id"], "phone": phone, "role": "officer"}
    [event] = role_events(granted["user_id"])
    assert (event.details["from"], event.details["to"]) == ("citizen", "officer")


def test_granting_twice_changes_and_records_nothing_more(client, admin):
    phone = new_phone()
    first = grant(client, phone, admin)

    second = grant(client, phone, admin)

    assert second.status_code == 200
    assert second.body == first.body
    assert len(role_events(json.loads(first.body)["user_id"])) == 1


def test_revoking_makes_the_officer_a_citizen_again(client, admin):
    phone = new_phone()
    user_id = json.loads(grant(client, phone, admin).body)["user_id"]

    response = revoke(client, phone, admin)

    assert (response.status_code, response.body) == (204, b"")
    assert User.get(user_id).role == PhoneClaim.get(phone).role == "citizen"
    newest = role_events(user_id)[0]
    assert (newest.details["from"], newest.details["to"]) == ("officer", "citizen")
    again = revoke(client, phone, admin)
    assert (again.status_code, error_code(again)) == (404, "not_an_officer")


def test_revoking_a_number_that_is_no_officer_is_a_404(client, sms_sink, admin):
    citizen = sign_in(client, sms_sink)["user"]["phone"]

    for phone in (citizen, new_phone()):
        response = revoke(client, phone, admin)
        assert (response.status_code, error_code(response)) == (404, "not_an_officer")
    with pytest.raises(DoesNotExist):
        PhoneClaim.get(phone)


def test_admins_are_not_changed_by_the_officer_routes(client, sms_sink, stage_settings, admin):
    phone = new_phone()
    stage_settings(bootstrap_admin=phone)
    sign_in(client, sms_sink, phone)

    for response in (grant(client, phone, admin), revoke(client, phone, admin)):
        assert (response.status_code, error_code(response)) == (409, "is_admin")
    assert PhoneClaim.get(phone).role == "admin"


def test_the_number_in_the_path_may_be_encoded_or_typed_loosely(client, admin):
    phone = new_phone()
    typed = f"{phone[3:6]} {phone[6:10]}-{phone[10:]}"
    headers = bearer(issue_access_token(admin))

    response = client.http.put(f"/admin/officers/{quote(typed)}", headers=headers)

    assert json.loads(response.body)["phone"] == phone
    assert client.http.delete(f"/admin/officers/%2B{phone[1:]}", headers=headers).status_code \
        == 204


@pytest.mark.parametrize(("typed", "code"), [
    ("abc", "phone_invalid"), ("+86", "phone_too_short"), ("1" * 300, "phone_too_long"),
    ("+86 10 6552 9988", "phone_not_mobile"), ("+1 201 555 0123", "phone_country_not_allowed"),
])
def test_a_bad_number_in_the_path_is_a_400(client, admin, typed, code):
    response = grant(client, typed, admin)

    assert (response.status_code, error_code(response)) == (400, code)


@pytest.mark.parametrize("role", ["citizen", "officer"])
@pytest.mark.parametrize(("method", "path"), [
    ("PUT", "/admin/officers/%2B8613912345678"),
    ("DELETE", "/admin/officers/%2B8613912345678"),
    ("GET", "/admin/audit"),
])
def test_only_admins_may_use_the_admin_routes(client, role, method, path):
    forbidden = client.http.request(method, path, headers=bearer(token_for(role)))
    anonymous = client.http.request(method, path)

    assert (forbidden.status_code, error_code(forbidden)) == (403, "forbidden")
    assert (anonymous.status_code, error_code(anonymous)) == (401, "unauthorized")


# --- the bootstrap admin -----------------------------------------------------------------

def test_the_bootstrap_number_becomes_admin_at_its_first_sign_in(client, sms_sink,
                                                                 stage_settings, frozen_clock):
    phone = new_phone()
    stage_settings(bootstrap_admin=phone)

    first = sign_in(client, sms_sink, phone)
    frozen_clock.advance(60)
    second = sign_in(client, sms_sink, phone)

    assert first["user"]["role"] == second["user"]["role"] == "admin"
    [event] = role_events(first["user"]["id"])
    assert (event.actor_role, event.details["to"]) == ("system", "admin")
    as_admin = client.http.get("/admin/audit", headers=bearer(first["access_token"]))
    assert as_admin.status_code == 200


def test_a_bootstrap_number_granted_officer_before_signing_in_still_becomes_admin(
        client, sms_sink, stage_settings, admin):
    phone = new_phone()
    stage_settings(bootstrap_admin=phone)
    grant(client, phone, admin)

    assert sign_in(client, sms_sink, phone)["user"]["role"] == "admin"
    assert User.get(PhoneClaim.get(phone).user_id).role == "admin"


def test_the_stages_configure_the_bootstrap_admin():
    stages = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]

    assert {name: stage["environment_variables"]["MASSES_BOOTSTRAP_ADMIN"]
            for name, stage in stages.items()} == {"local": "+8613800000000", "dev": "",
                                                   "prod": ""}


@pytest.mark.parametrize("stage", ["local", "dev", "prod"])
def test_every_stage_sets_every_sign_in_limit(stage):
    variables = json.loads((ROOT / ".chalice" / "config.json").read_text())[
        "stages"][stage]["environment_variables"]

    for name in ("MASSES_SMS_ALLOWED_REGIONS", "MASSES_OTP_COOLDOWN_SECONDS",
                 "MASSES_OTP_MAX_PER_NUMBER_15MIN", "MASSES_OTP_MAX_PER_NUMBER_DAY",
                 "MASSES_OTP_MAX_PER_IP_HOUR", "MASSES_OTP_MAX_PER_PREFIX_HOUR"):
        assert variables[name], name
    assert variables["MASSES_SMS_ALLOWED_REGIONS"] == "CN"


# --- the audit trail ---------------------------------------------------------------------

def audit_page(client, admin: Principal, query: str = ""):
    return client.http.get(f"/admin/audit{query}", headers=bearer(issue_access_token(admin)))


def test_the_audit_trail_lists_newest_first_in_pages(client, admin):
    phones = [new_phone() for _ in range(3)]
    for phone in phones:
        grant(client, phone, admin)

    first = json.loads(audit_page(client, admin, "?limit=2").body)
    second = json.loads(audit_page(client, admin, f"?limit=1&cursor={first['next_cursor']}").body)

    hints = [item["details"]["phone_hint"] for item in first["items"] + second["items"]]
    assert hints == [f"{p[:3]}…{p[-4:]}" for p in reversed(phones)]
    newest = first["items"][0]
    assert newest.keys() == {"id", "at", "actor", "action", "target", "details"}
    assert newest["actor"] == {"id": admin.user_id, "role": "admin", "display_name": None}
    assert newest["at"] >= first["items"][1]["at"]
    assert second["next_cursor"]


@pytest.mark.parametrize(("query", "code"), [
    ("?limit=0", "invalid_limit"), ("?limit=101", "invalid_limit"), ("?limit=x", "invalid_limit"),
    ("?cursor=forged", "invalid_cursor"), ("?cursor=e30.AAAA", "invalid_cursor"),
])
def test_bad_audit_queries_are_a_400(client, admin, query, code):
    response = audit_page(client, admin, query)

    assert (response.status_code, error_code(response)) == (400, code)


@pytest.fixture
def trail_far_away(emulator):
    """Audit events in months no other test writes to: a random future year."""
    year = random.randint(2300, 9000)

    def put(month: str, day: int) -> str:
        at = f"{month}-{day:02d}T12:00:00+00:00"
        AuditEvent(month, f"{at}#{uuid.uuid4().hex}", actor_id="a", actor_role="admin",
                   action="test", target=at, details={}).save()
        return at

    now = datetime(year, 3, 15, tzinfo=UTC)
    written = [put(f"{year}-03", 3), put(f"{year}-03", 2), put(f"{year}-03", 1),
               put(f"{year}-01", 20), put(f"{year}-01", 10), put(f"{year - 1}-12", 31),
               put(f"{year - 2}-04", 1)]       # the oldest month of the 24
    put(f"{year - 2}-03", 31)                 # 25 months back: past the horizon
    return now, written


def test_the_trail_pages_through_earlier_months_to_the_horizon(trail_far_away,
                                                              aws_calls):
    now, written = trail_far_away
    pages, cursor = [], None
    while True:
        aws_calls.clear()
        page = audit.page(2, cursor, now=now)
        pages.append(([event.target for event in page.items], len(aws_calls.operations)))
        cursor = page.next_cursor
        if cursor is None:
            break

    targets = [target for items, _ in pages for target in items]
    assert targets == written
    assert pages[0] == (written[:2], 1), "a page within one month is one Query"
    assert pages[1][1] == 3, "March's last, February empty, then January"
    assert all(operation == "Query" for operation in aws_calls.operations)


def test_a_cursor_from_before_the_horizon_moved_ends_the_listing(trail_far_away):
    now, _ = trail_far_away
    cursor = audit.page(6, None, now=now).next_cursor

    later = audit.page(6, cursor, now=now + timedelta(days=800))

    assert later == audit.Page([], None)
