"""The API function's SnapStart hooks (chalicelib/snapstart.py): registered with the
runtime's snapshot_restore_py when the app loads; before the snapshot they warm what
carries no secret; after a restore nothing cached survives that must not be shared."""

import gc
import random
import sys

import snapshot_restore_py

from chalicelib import settings, snapstart, storage, tables


def test_the_app_registers_both_hooks(app):
    assert (snapstart.before_snapshot, (), {}) in snapshot_restore_py.get_before_snapshot()
    assert (snapstart.after_restore, (), {}) in snapshot_restore_py.get_after_restore()


def test_before_the_snapshot_the_first_use_imports_are_made_and_no_secret_is_read(app):
    reads = settings.secret.cache_info().misses
    snapstart.before_snapshot()
    assert set(snapstart.WARM_IMPORTS) <= set(sys.modules)
    assert settings.secret.cache_info().misses == reads
    assert len(gc.get_objects()) < 1_000  # what it made is frozen with the rest


def test_after_a_restore_clients_and_secrets_are_made_again_and_random_is_reseeded(app):
    storage.s3_client()
    tables.transaction_connection()
    tables.User._get_connection()
    random.seed(1234)
    snapshotted = random.getstate()
    snapstart.after_restore()
    assert random.getstate() != snapshotted
    for cached in (settings.secret, storage.s3_client, tables._transaction_connection):
        assert cached.cache_info().currsize == 0
    assert tables.User._connection is None
