"""Registers every resource's blueprint and the HTTP middlewares, outermost first: the
request's log context (so every line carries its request id and route), CORS for the
admin site, the security headers, the one error shape, and the request's budget."""

import logging

from chalice import Chalice

from chalicelib import deadlines, observability
from chalicelib.api import (
    admin_messages,
    admin_reports,
    audit,
    auth,
    bulletins,
    cors,
    duplicates,
    evidence_events,
    export_events,
    exports,
    health,
    me,
    messages,
    officers,
    openapi,
    replies,
    reports,
    stats,
)
from chalicelib.api.errors import (
    INTERNAL_ERROR_MESSAGE,
    error_response,
    reshape_framework_error,
    to_response,
)
from chalicelib.api.faults import dependency_timeout, translate_faults
from chalicelib.api.security_headers import add_security_headers
from chalicelib.errors import ErrorCode
from chalicelib.settings import settings

logger = logging.getLogger(__name__)


def register_blueprints(app: Chalice) -> None:
    app.register_blueprint(health.bp)
    app.register_blueprint(evidence_events.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(admin_reports.bp)
    app.register_blueprint(duplicates.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(admin_messages.bp)
    app.register_blueprint(bulletins.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(me.bp)
    app.register_blueprint(officers.bp)
    app.register_blueprint(audit.bp)
    app.register_blueprint(replies.bp)
    app.register_blueprint(stats.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(export_events.bp)
    app.register_blueprint(openapi.bp)
    # Chalice runs the middleware registered first outermost. The log context first, so
    # every line (the other middlewares' too) carries the request id and route. (The
    # evidence worker's Lambda imports its handler's module, not this app, so it sets
    # its log context itself.)
    @app.middleware("http")
    def log_in_request_context(event, get_response):
        request_id = observability.request_id_of(event.context.get("requestId"),
                                                 event.lambda_context)
        # The route's template (/reports/{report_id}), never the path: paths can hold
        # phone numbers (/admin/officers/{phone}).
        with observability.api_request(request_id, event.method,
                                       event.context.get("resourcePath")) as answer:
            response = get_response(event)
            answer["status"] = response.status_code
            return response

    # After every blueprint (it adds their preflights), outside the error shape, so
    # error answers carry the CORS headers and the security headers too.
    cors.admit_admin_origins(app)
    app.register_middleware(add_security_headers, "http")
    translate_faults(app)

    @app.middleware("http")
    def answer_errors_in_one_shape(event, get_response):
        try:
            return reshape_framework_error(get_response(event))
        except Exception:
            # A view's exception never gets here: Chalice catches it, logs the traceback
            # and answers its own 500, which reshape_framework_error puts in our shape.
            # What does get here is an inner middleware's; the client learns nothing
            # about internals, the log keeps the traceback.
            logger.exception("unhandled error")
            return error_response(500, ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE)

    # Innermost: every outbound call of the request shares one budget (deadlines.py).
    @app.middleware("http")
    def within_budget(event, get_response):
        with deadlines.budget(settings().api_budget_seconds, event.lambda_context):
            try:
                return get_response(event)
            except deadlines.DeadlineExceeded as error:
                return to_response(dependency_timeout(error))
