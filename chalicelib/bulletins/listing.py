"""How bulletins are listed: one Query per page, on the index the filters choose.

Keys. Every bulletin carries four listing partitions, one per filter combination a
reader can ask for, each with its own GSI and the same sort key, `published_key` =
"<published_at>#<bulletin id>" (unique, and fixed at publication so an edit never
moves a bulletin in the order):

    by_status                    "status=published"
    by_status_category           "status=published;category=missing_person"
    by_status_district           "status=published;district=朝阳"
    by_status_category_district  "status=published;category=missing_person;district=朝阳"

So `GET /bulletins` without a category lists all categories newest first, and every
combination of category and district is one Query, descending. The labels make the
partitions of different indexes distinct strings, which matters because a cursor is
bound to its partition: one listing's cursor can never be replayed against another.
Resolving or retracting a bulletin rewrites its four partitions (status is in each),
so it leaves the published listings and joins the resolved or retracted ones.

Hot partitions. Bulletins are written rarely (officers publish a handful an hour), so
writes are never hot. Reads are: "status=published" and each published category are
the app's front pages. One GSI partition serves about 3,000 read units a second:
with bulletins of about 2 KB, some 600 pages of 20 a second before DynamoDB's adaptive
capacity splits it by sort key range. The first page is by far the most read and is
the same for everyone, so listings are sent with Cache-Control (public, short max-age)
and an ETag, letting CloudFront or API Gateway caching absorb the peak. Sharding a
partition by a suffix would spread reads further, but a newest-first page would then
need one Query per shard and a merge, so it is left for when measurements ask for it.

Expiry. An expired bulletin stays "published" (it still opens by its id); nothing
runs at the moment it expires to move it. The default listing drops expired ones in
code from the one Query's page. A FilterExpression would cost the same read units
(DynamoDB charges for what it reads before filtering) and PynamoDB would chase more
pages to fill the limit; dropping them in code keeps a page to one call, at the
price of a page sometimes shorter than `limit`. `next_cursor` still continues after
the last item read, so paging sees every bulletin exactly once. Expired bulletins are
old, hence at the far end of a newest-first listing, so short pages are rare.
`include_expired=true` lists them too, for the admin site to find and resolve them.
"""

from datetime import datetime

from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib import clock
from chalicelib.bulletins.fields import BulletinStatus
from chalicelib.pagination import Page, query_page
from chalicelib.tables import Bulletin


def list_page(*, status: BulletinStatus, category: str | None, district: str | None,
              include_expired: bool, limit: int, cursor: str | None) -> Page:
    """One page of a listing, newest first: one Query. Expired bulletins are dropped
    from the published listing unless asked for (see above on short pages)."""
    index, partition = listing_index(status, category, district)
    page = query_page(index, partition, limit=limit, cursor=cursor)
    if status != BulletinStatus.PUBLISHED or include_expired:
        return page
    at = clock.now()
    return Page([bulletin for bulletin in page.items if not is_expired(bulletin, at)],
                page.next_cursor)


def _partition(status: str, category: str | None = None, district: str | None = None) -> str:
    labels = [f"status={status}"]
    if category:
        labels.append(f"category={category}")
    if district:
        labels.append(f"district={district}")
    return ";".join(labels)


def listing_keys(status: str, category: str, district: str) -> dict[str, str]:
    """The four listing partitions of a bulletin, as Bulletin attribute values."""
    return {
        "status_key": _partition(status),
        "status_category_key": _partition(status, category),
        "status_district_key": _partition(status, district=district),
        "status_category_district_key": _partition(status, category, district),
    }


def listing_index(status: str, category: str | None,
                  district: str | None) -> tuple[GlobalSecondaryIndex, str]:
    """The index and partition holding the listing these filters ask for."""
    index = {(False, False): Bulletin.by_status,
             (True, False): Bulletin.by_status_category,
             (False, True): Bulletin.by_status_district,
             (True, True): Bulletin.by_status_category_district}[bool(category), bool(district)]
    return index, _partition(status, category, district)


def published_key(published_at: datetime, bulletin_id: str) -> str:
    return f"{published_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{bulletin_id}"


def is_expired(bulletin: Bulletin, now: datetime) -> bool:
    return bulletin.expires_at is not None and bulletin.expires_at <= now
