"""The whole evidence path with nothing stood in: an upload to the presigned POST, the
S3 notification, the queue, the pump, the real worker, and the owner's view."""

import io
import json
import uuid

import requests
from PIL import Image
from support.api import caller, file_report, send
from support.bulletins import draft, headers, published
from support.evidence import upload
from support.waiting import wait_until


def jpeg_with_gps(width: int = 1600, height: int = 1200) -> bytes:
    image = Image.new("RGB", (width, height), (200, 40, 40))
    exif = Image.Exif()
    exif[0x0112] = 6                                            # orientation: rotate 90°
    exif.get_ifd(0x8825).update({1: "N", 2: (39.0, 54.0, 0.0), 3: "E", 4: (116.0, 23.0, 0.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"home address in the comment")
    return out.getvalue()


def fetch_image(url: str) -> Image.Image:
    response = requests.get(url, timeout=5)
    assert response.status_code == 200
    return Image.open(io.BytesIO(response.content))


def test_a_citizens_photo_becomes_a_clean_thumbnail_and_officers_see_where_it_was_taken(
        client, pump):
    citizen, officer = caller(), caller("officer")
    report_id = file_report(client, citizen)["report_id"]
    content = jpeg_with_gps()
    ticket = send(client, "post", f"/reports/{report_id}/evidence", citizen,
                  {"content_type": "image/jpeg", "size": len(content)}).json_body
    upload(ticket["upload"], content, "image/jpeg")

    def ready_item():
        [item] = send(client, "get", f"/reports/{report_id}", citizen).json_body["evidence"]
        return item if item["status"] != "pending" else None

    item = wait_until(ready_item)
    assert item and item["status"] == "ready", item
    thumb = fetch_image(item["thumb_url"])
    assert thumb.size == (240, 320)                             # rotated upright, 320 px
    assert not thumb.getexif() and "comment" not in thumb.info
    assert "gps" not in item and "captured_at" not in item     # the citizen's view

    officer_view = send(client, "get", f"/admin/reports/{report_id}", officer).json_body
    [evidence] = officer_view["evidence"]
    assert evidence["gps"]["lat"] == 39.9 and evidence["gps"]["lon"] > 116.38


def test_an_officers_bulletin_image_is_listed_once_processed(client, pump):
    bulletin = published(client, draft("missing_person"))
    image = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 90, 200)).save(image, "PNG")
    response = client.http.post(f"/bulletins/{bulletin['id']}/images",
                                body=json.dumps({"content_type": "image/png",
                                                 "size": len(image.getvalue())}),
                                headers=headers("officer", f"officer-{uuid.uuid4().hex}"))
    assert response.status_code == 201, response.body
    upload(response.json_body["upload"], image.getvalue(), "image/png")

    def listed_images():
        return client.http.get(f"/bulletins/{bulletin['id']}").json_body["images"]

    images = wait_until(listed_images)
    assert len(images) == 1, images
    assert fetch_image(images[0]["thumb_url"]).size == (320, 240)
