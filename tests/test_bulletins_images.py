"""Bulletin images: the presigned upload, the worker's call to on_media_processed (with
Media records made here, as the worker would leave them), and how images are shown."""

import json
import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
from support.bulletins import (
    draft,
    error_of,
    get,
    headers,
    listing,
    patch,
    published,
)

from chalicelib import bulletins
from chalicelib.bulletins import views
from chalicelib.media import owners
from chalicelib.media.uploads import IMAGE_MAX_BYTES
from chalicelib.tables import Bulletin, Media


def ask_upload(client, bulletin_id: str, body, role: str | None = "officer"):
    return client.http.post(f"/bulletins/{bulletin_id}/images", body=json.dumps(body),
                            headers=headers(role))


def processed(bulletin_id: str, status: str = "ready", media_id: str | None = None,
              derivatives: dict | None = None) -> Media:
    """A Media record as the evidence worker leaves it when it is done."""
    media_id = media_id or uuid.uuid4().hex
    prefix = f"derivatives/bulletin/{bulletin_id}/{media_id}"
    return Media(f"bulletin#{bulletin_id}", media_id, status=status, content_type="image/jpeg",
                 declared_size=1000, object_key=f"uploads/bulletin/{bulletin_id}/{media_id}",
                 created_at=datetime.now(UTC), kind="image", width=4000, height=3000,
                 derivatives=(derivatives if derivatives is not None else
                              {"large": f"{prefix}/large.jpg", "thumb": f"{prefix}/thumb.jpg"})
                 if status == "ready" else None,
                 reject_reason=None if status == "ready" else "not an image")


def url_key_and_lifetime(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.path.split("/", 2)[2], int(parse_qs(parsed.query)["X-Amz-Expires"][0])


def test_an_officer_gets_a_presigned_post_for_a_bulletin_image(client):
    created = published(client, draft("missing_person"))
    response = ask_upload(client, created["id"], {"content_type": "image/jpeg", "size": 2048})
    assert response.status_code == 201, response.body
    ticket = response.json_body
    key = ticket["upload"]["fields"]["key"]
    assert key == f"uploads/bulletin/{created['id']}/{ticket['media_id']}"
    media = Media.get(f"bulletin#{created['id']}", ticket["media_id"])
    assert (media.status, media.declared_size) == ("pending", 2048)
    assert get(client, created["id"]).json_body["images"] == []  # not until it is processed


@pytest.mark.parametrize(("body", "field"), [
    ({"content_type": "image/jpeg"}, "size"),
    ({"content_type": "image/jpeg", "size": "big"}, "size"),
    ({"content_type": "image/jpeg", "size": 1, "name": "x.jpg"}, "name"),
    ({"size": 10}, "content_type"),
])
def test_malformed_upload_requests_are_400_naming_the_field(client, body, field):
    created = published(client, draft("vehicle"))
    response = ask_upload(client, created["id"], body)
    assert response.status_code == 400 and error_of(response)["field"] == field


@pytest.mark.parametrize(("content_type", "size", "status", "code"), [
    ("text/html", 10, 415, "unsupported_media_type"),
    ("video/mp4", 10, 415, "unsupported_media_type"),
    ("image/png", 0, 400, "invalid_size"),
    ("image/png", IMAGE_MAX_BYTES + 1, 400, "file_too_large"),
])
def test_unacceptable_images_are_refused(client, content_type, size, status, code):
    created = published(client, draft("vehicle"))
    response = ask_upload(client, created["id"], {"content_type": content_type, "size": size})
    assert response.status_code == status and error_of(response)["code"] == code


def test_uploads_need_an_officer_and_a_live_bulletin(client):
    created = published(client, draft("vehicle"))
    body = {"content_type": "image/jpeg", "size": 10}
    assert ask_upload(client, created["id"], body, role=None).status_code == 401
    assert ask_upload(client, created["id"], body, role="citizen").status_code == 403
    assert ask_upload(client, uuid.uuid4().hex, body).status_code == 404
    assert ask_upload(client, "not-an-id", body).status_code == 404
    patch(client, created["id"], {"status": "resolved", "outcome": "recovered"})
    closed = ask_upload(client, created["id"], body)
    assert closed.status_code == 409 and error_of(closed)["code"] == "bulletin_closed"


def test_a_ready_image_is_listed_once_however_often_the_worker_reports_it(client):
    created = published(client, draft("missing_person"))
    etag_before = get(client, created["id"]).headers["ETag"]
    media = processed(created["id"])
    owners.notify(media)  # the worker's way in
    etag_after_one = get(client, created["id"]).headers["ETag"]
    bulletins.on_media_processed(created["id"], media)  # SQS delivered the job twice

    shown = get(client, created["id"])
    [image] = shown.json_body["images"]
    assert etag_before != etag_after_one == shown.headers["ETag"]
    assert (image["media_id"], image["width"], image["height"]) == (media.media_id, 4000, 3000)
    for name in ("large", "thumb"):
        key, lifetime = url_key_and_lifetime(image[f"{name}_url"])
        assert key == media.derivatives[name]
        assert lifetime == views.IMAGE_URL_SECONDS
    summary = listing(client, district=created["district"])["items"][0]
    assert url_key_and_lifetime(summary["thumb_url"])[0] == media.derivatives["thumb"]


def test_rejected_or_incomplete_images_are_not_listed(client):
    created = published(client, draft("suspect"))
    bulletins.on_media_processed(created["id"], processed(created["id"], status="rejected"))
    bulletins.on_media_processed(created["id"], processed(created["id"], derivatives={}))
    bulletins.on_media_processed(created["id"], processed(created["id"], status="pending"))
    assert get(client, created["id"]).json_body["images"] == []
    assert Bulletin.get(created["id"]).version == 1


def test_images_are_shown_in_the_order_they_were_ready(client):
    created = published(client, draft("vehicle"))
    media = [processed(created["id"], media_id=media_id) for media_id in ("f" * 32, "0" * 32)]
    for item in media:
        bulletins.on_media_processed(created["id"], item)
    shown = [image["media_id"] for image in get(client, created["id"]).json_body["images"]]
    assert shown == ["f" * 32, "0" * 32]


def test_a_bulletin_lists_at_most_ten_images(client):
    created = published(client, draft("key_case"))
    for _ in range(bulletins.MAX_IMAGES + 2):
        bulletins.on_media_processed(created["id"], processed(created["id"]))
    assert len(get(client, created["id"]).json_body["images"]) == bulletins.MAX_IMAGES
    full = ask_upload(client, created["id"], {"content_type": "image/jpeg", "size": 10})
    assert full.status_code == 409 and error_of(full)["code"] == "too_many_images"


def test_an_image_for_a_missing_bulletin_makes_no_bulletin(emulator):
    missing = uuid.uuid4().hex
    bulletins.on_media_processed(missing, processed(missing))
    with pytest.raises(Bulletin.DoesNotExist):
        Bulletin.get(missing)


def test_a_retracted_bulletin_no_longer_hands_out_its_images(client):
    created = published(client, draft("suspect"))
    bulletins.on_media_processed(created["id"], processed(created["id"]))
    patch(client, created["id"], {"status": "retracted", "reason": "Wrong person."})
    assert get(client, created["id"]).json_body["images"] == []
    summary = listing(client, district=created["district"], status="retracted")["items"][0]
    assert summary["thumb_url"] is None


def test_image_urls_outlive_any_copy_a_client_may_revalidate():
    # A 304 keeps a body minted at most one validator window ago, which the client may
    # then serve for max-age: its URLs must still work by then.
    assert views.IMAGE_URL_SECONDS > views.VALIDATOR_WINDOW_SECONDS + views.MAX_AGE_SECONDS


def test_a_detail_read_with_images_still_makes_one_aws_call(client, aws_calls):
    created = published(client, draft("missing_person"))
    for _ in range(3):
        bulletins.on_media_processed(created["id"], processed(created["id"]))
    aws_calls.clear()
    assert len(get(client, created["id"]).json_body["images"]) == 3
    listing(client, district=created["district"])
    # Presigning six URLs and a thumbnail called nothing.
    assert [call[:2] for call in aws_calls] == [("dynamodb", "GetItem"), ("dynamodb", "Query")]


def test_officers_see_every_upload_and_why_a_refused_one_was_refused(client):
    created = published(client, draft("missing_person"))
    ticket = ask_upload(client, created["id"], {"content_type": "image/jpeg", "size": 2048})
    refused = processed(created["id"], status="rejected")
    refused.reject_reason = "not_an_allowed_type"
    refused.save()
    ready = processed(created["id"])
    ready.save()
    owners.notify(ready)

    answer = client.http.get(f"/bulletins/{created['id']}/images?limit=10",
                             headers=headers("officer"))
    assert answer.status_code == 200, answer.body
    uploads = {item["media_id"]: item for item in answer.json_body["items"]}
    assert {media_id: (item["status"], item["reject_reason"])
            for media_id, item in uploads.items()} == {
        ticket.json_body["media_id"]: ("pending", None),
        refused.media_id: ("rejected", "not_an_allowed_type"),
        ready.media_id: ("ready", None)}
    assert answer.json_body["next_cursor"] is None
    # The public bulletin lists only the ready one; the refusal is the officers' to see.
    assert [image["media_id"] for image in get(client, created["id"]).json_body["images"]] \
        == [ready.media_id]

    first = client.http.get(f"/bulletins/{created['id']}/images?limit=2",
                            headers=headers("officer")).json_body
    rest = client.http.get(f"/bulletins/{created['id']}/images?limit=2&cursor="
                           f"{first['next_cursor']}", headers=headers("officer")).json_body
    assert {item["media_id"] for item in first["items"] + rest["items"]} == set(uploads)
    assert client.http.get(f"/bulletins/{uuid.uuid4().hex}/images",
                           headers=headers("officer")).status_code == 404


def test_an_officer_learns_why_an_image_was_rejected(client):
    created = published(client, draft("vehicle"))
    ticket = json.loads(ask_upload(client, created["id"], {"content_type": "image/jpeg",
                                                           "size": 1000}).body)
    path = f"/bulletins/{created['id']}/images/{ticket['media_id']}"
    pending = json.loads(client.http.get(path, headers=headers("officer")).body)
    assert (pending["status"], pending["reject_reason"]) == ("pending", None)
    rejected = processed(created["id"], status="rejected", media_id=ticket["media_id"])
    rejected.reject_reason = "corrupt_image"
    rejected.save()
    shown = json.loads(client.http.get(path, headers=headers("officer")).body)
    assert (shown["status"], shown["reject_reason"]) == ("rejected", "corrupt_image")
    for missing in (f"/bulletins/{created['id']}/images/{uuid.uuid4().hex}",
                    f"/bulletins/{created['id']}/images/not-an-id"):
        assert client.http.get(missing, headers=headers("officer")).status_code == 404
