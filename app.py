"""The Chalice entry point: one app, one blueprint per resource (chalicelib/api/)."""

from chalice import Chalice

from chalicelib import snapstart
from chalicelib.api import register_blueprints

app = Chalice(app_name="masses")
register_blueprints(app)
snapstart.register()  # what the API's SnapStart snapshot holds: chalicelib/snapstart.py
