"""The evidence worker: what happens to each uploaded original.

The processing itself (sniffing, hashing, derivatives) is the evidence issue's; until
it lands, received objects are only logged, never marked processed.
"""

import logging

from chalicelib.media.s3_events import CreatedObject

logger = logging.getLogger(__name__)


def process_object(created: CreatedObject) -> None:
    logger.info("evidence object received: s3://%s/%s (%d bytes)",
                created.bucket, created.key, created.size)
