"""Tells the owner of a media item that the worker has finished with it.

Owners keep a summary of their ready media on their own item (a bulletin's images, a
report's evidence) so reading one costs one GetItem.
"""

from chalicelib.tables import Media


def notify(media: Media) -> None:
    owner_type, owner_id = media.owner.split("#", 1)
    if owner_type == "bulletin":
        from chalicelib import bulletins
        bulletins.on_media_processed(owner_id, media)
    elif owner_type == "report":
        from chalicelib import reports
        reports.on_media_processed(owner_id, media)
    else:
        raise ValueError(f"media {media.media_id} has an unknown owner type {owner_type!r}")
