"""The Chalice entry point: one app, one blueprint per resource (chalicelib/api/)."""

import gc

# A cold start imports ~1,500 modules and creates ~70,000 objects, none of them garbage
# yet; the cyclic collector would scan them over and over meanwhile (10-15 % of the
# import). It resumes once the app is built, with those objects frozen (below).
gc.disable()

from chalice import Chalice  # noqa: E402

from chalicelib import snapstart  # noqa: E402
from chalicelib.api import register_blueprints  # noqa: E402

app = Chalice(app_name="masses")
register_blueprints(app)
snapstart.register()  # what the API's SnapStart snapshot holds: chalicelib/snapstart.py
# The modules, classes and routes live as long as the process. Unfrozen, they would all
# be young to the collector, and its first pass after enable(), at once, would scan
# every one of them (17-30 ms). The few hundred objects of import-time cycles stay
# with them, never freed: far cheaper than a full collection to find them.
gc.freeze()
gc.enable()
