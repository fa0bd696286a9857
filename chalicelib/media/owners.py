"""Tells the owner of a media item that the worker has finished with it.

Owners keep a summary of their ready media on their own item (a bulletin's images, a
report's evidence) so reading one costs one GetItem. Each owner registers its handler
here under its owner type (the first part of Media.owner); the media package knows no
owner, so owners may import it freely.
"""

from collections.abc import Callable

from chalicelib.tables import Media

Handler = Callable[[str, Media], None]
_handlers: dict[str, Handler] = {}


def register(owner_type: str) -> Callable[[Handler], Handler]:
    """Decorator: `handler(owner_id, media)` is told of every finished item of this type."""
    def registered(handler: Handler) -> Handler:
        _handlers[owner_type] = handler
        return handler
    return registered


def notify(media: Media) -> None:
    owner_type, owner_id = media.owner.split("#", 1)
    handler = _handlers.get(owner_type)
    if handler is None:
        raise ValueError(f"media {media.media_id} has an unknown owner type {owner_type!r}")
    handler(owner_id, media)
