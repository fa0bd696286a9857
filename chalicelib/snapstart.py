"""SnapStart for the API function: what its snapshot holds, and what a restored copy
redoes.

On AWS, Lambda initialises each published version of the API function once (`import
app`), runs the before-snapshot hooks, snapshots the memory, and starts every cold
copy from that snapshot. So whatever is in memory then is shared by every copy, for
the life of the version. The hooks come from `snapshot_restore_py`, which the Lambda
runtime provides (it is not shipped in the package; requirements-dev.txt installs the
same module for tests). Elsewhere (chalice local, tests, the worker) nothing calls them.

In the snapshot (computed once, identical in every copy, and nothing secret):
- every module the routes need: the app, its blueprints and structs, chalice, boto3,
  botocore and PynamoDB, plus what the routes otherwise import on first use (PyJWT,
  phonenumbers, twilio's REST client, requests, Powertools' idempotency, pygeohash),
  since restoring them costs nothing while importing them costs the first request
  100-200 ms;
- botocore's service models for the clients the API makes (SSM, S3) in the default
  session's loader: parsed JSON, no credentials;
- the OpenAPI document, built (all but its `servers`, which depend on the request);
- all of it frozen out of the cyclic collector (gc.freeze(), as app.py does for the
  import), so no collection in a restored copy scans it again.

Never in the snapshot, made after restore on first use, per copy:
- secrets (the JWT and OTP keys, the Twilio token): read from SSM on first use,
  which is never before the snapshot, since no request runs during initialisation;
- AWS clients, PynamoDB connections and the Twilio client: they hold credentials and
  sockets (a socket opened before the snapshot would be shared, and dead, after);
- the state of `random`, which botocore's retry jitter uses:
  reseeded from the OS after restore, so copies do not draw the same numbers. Tokens,
  codes and ids come from `secrets` and `uuid4`, which read the OS each time anyway.
after_restore() also drops those caches, so none of them can survive a restore even if
a later change made one before the snapshot.
"""

import gc
import logging
import random

logger = logging.getLogger(__name__)

# Imported before the snapshot: the modules the routes import on first use.
WARM_IMPORTS = ("jwt", "phonenumbers", "requests", "twilio.rest", "twilio.http.http_client",
                "twilio.base.exceptions",
                "aws_lambda_powertools.utilities.idempotency",
                "aws_lambda_powertools.utilities.idempotency.base", "pygeohash",
                "pygeohash.bounding_box")
# Clients whose service models are loaded before the snapshot.
WARM_SERVICE_MODELS = ("ssm", "s3")


def register() -> None:
    """Registers the hooks with the Lambda runtime, when there is one to call them."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:  # not on Lambda: no snapshot is ever taken
        return
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)


def before_snapshot() -> None:
    import importlib

    import boto3

    from chalicelib.api import openapi

    for name in WARM_IMPORTS:
        importlib.import_module(name)
    boto3.setup_default_session()
    for service in WARM_SERVICE_MODELS:
        boto3.DEFAULT_SESSION._session.get_service_model(service)
    openapi.document()
    gc.freeze()


def after_restore() -> None:
    from pynamodb.models import Model

    from chalicelib import pagination, settings, sms, storage, tables

    random.seed()  # from os.urandom
    for cached in (settings.secret, settings.settings, pagination._cursor_key, sms._client,
                   tables._transaction_connection, storage.s3_client):
        cached.cache_clear()
    for model in vars(tables).values():  # each model opens its connection on first use
        if isinstance(model, type) and issubclass(model, Model) and model is not Model:
            model._connection = None
