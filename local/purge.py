"""The retention schedule offline, calling the very handler Lambda calls on AWS.

    python -m local.purge          one run now (`make purge`, against `make dev`'s stack)
    python -m local.purge --every 300   a run every 300 s until stopped (`make dev`)

A run that leaves items undone (PurgeIncomplete) is logged and tried again at the next
one, as the hourly rule does on AWS.
"""

import argparse
import logging
import os
import time

from local import config

logger = logging.getLogger(__name__)


def run_once() -> None:
    from chalicelib.retention.handler import handler
    from chalicelib.retention.purge import PurgeIncomplete

    event = {"id": f"local-{int(time.time())}", "source": "local.purge"}
    try:
        logger.info("purged %s", handler(event, None))
    except PurgeIncomplete as error:
        logger.warning("%s", error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, metavar="SECONDS",
                        help="run again every SECONDS until stopped")
    arguments = parser.parse_args()
    # `make dev` passes the local stage's environment; `make purge` has none yet.
    for name, value in config.stage_environment(
            f"http://{config.HOST}:{config.EMULATOR_PORT}",
            f"http://{config.HOST}:{config.SMS_SINK_PORT}").items():
        os.environ.setdefault(name, value)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s purge %(levelname)s %(message)s")
    run_once()
    while arguments.every:
        time.sleep(arguments.every)
        run_once()


if __name__ == "__main__":
    main()
