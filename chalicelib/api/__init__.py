"""Registers every resource's blueprint and the one error-shaping middleware."""

import logging

from chalice import Chalice

from chalicelib.api import (
    admin_reports,
    audit,
    auth,
    bulletins,
    cors,
    evidence_events,
    health,
    me,
    officers,
    openapi,
    reports,
)
from chalicelib.api.faults import translate_faults
from chalicelib.api.security_headers import add_security_headers
from chalicelib.errors import ApiError, error_response, reshape_framework_error

logger = logging.getLogger(__name__)


def register_blueprints(app: Chalice) -> None:
    app.register_blueprint(health.bp)
    app.register_blueprint(evidence_events.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(admin_reports.bp)
    app.register_blueprint(bulletins.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(me.bp)
    app.register_blueprint(officers.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(openapi.bp)
    # After every blueprint (it adds their preflights), before the error middleware
    # (so error answers carry the CORS headers too).
    cors.admit_admin_origins(app)
    translate_faults(app)
    app.register_middleware(add_security_headers, "http")

    @app.middleware("http")
    def answer_errors_in_one_shape(event, get_response):
        try:
            return reshape_framework_error(get_response(event))
        except ApiError as error:
            return error.to_response()
        except Exception:
            # The client learns nothing about internals; the log keeps the traceback.
            logger.exception("unhandled error")
            return error_response(500, "internal_error", "Something went wrong on our side.")
