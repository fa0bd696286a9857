"""Bulletins: officers publish, edit, resolve and retract them; everyone reads them.

Modules: fields (request contract: one struct per category, the lifecycle moves),
lifecycle (publish, edit, resolve, retract), listing (the listing keys and pages),
images (upload tickets, the worker's ready images), views (what readers see, the
ETag), store (shared helpers). The blueprint is chalicelib/api/bulletins.py.

Lifecycle: published → resolved (with an outcome) or retracted (with a public reason).
Both are final: a closed bulletin still opens by its id and shows how it ended, but is
no longer edited.

Reads are one GetItem (by id) or one Query (a listing page; see listing.py). Ready
images are embedded in the bulletin by the evidence worker (images.on_media_processed),
so a read never fetches media records.
"""

from chalicelib.bulletins.images import (
    MAX_IMAGES,
    on_media_processed,
    start_image_upload,
    uploads_page,
)
from chalicelib.bulletins.lifecycle import RULES, close, edit, edited_draft, publish
from chalicelib.bulletins.listing import list_page
from chalicelib.bulletins.store import read

__all__ = ["MAX_IMAGES", "RULES", "close", "edit", "edited_draft", "list_page",
           "on_media_processed", "publish", "read", "start_image_upload", "uploads_page"]
