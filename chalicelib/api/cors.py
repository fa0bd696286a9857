"""CORS for the admin site: browsers may call the API from the configured admin
origins (`MASSES_ADMIN_ORIGINS`) and from nowhere else.

Chalice's own `CORSConfig` names one fixed origin, answers every origin with it, and
`chalice package` bakes it into a mock OPTIONS integration at package time. The admin
origins are a stage setting that may list several origins (on AWS the CloudFront
domain, known only after the first deploy), so the app answers preflights itself:
every path gets an OPTIONS route, which `chalice local` and API Gateway both hand to
the app like any other route, and one middleware adds the CORS headers to every answer
(errors included, so the site can read them) when the request's Origin is admitted.
"""

from chalice import Chalice, Response

from chalicelib.settings import settings

ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key"
# Headers the site reads from answers: when to retry, and where a new item lives.
EXPOSED_HEADERS = "Retry-After, Location, ETag"
# How long a browser may reuse a preflight (Chromium caps it at 2 hours).
PREFLIGHT_MAX_AGE_SECONDS = 3600


def admit_admin_origins(app: Chalice) -> None:
    """Add a preflight route to every path registered so far and the CORS middleware.

    Call it after the blueprints (it covers their paths) and before any other
    middleware, so that it wraps them all and error answers carry the headers too.
    """
    for path, methods in list(app.routes.items()):
        if "OPTIONS" not in methods:
            app.route(path, methods=["OPTIONS"])(answer_preflight)

    @app.middleware("http")
    def add_cors_headers(request, get_response):
        response = get_response(request)
        # The answer depends on Origin: caches (CloudFront, browsers) must key on it.
        vary = response.headers.get("Vary")
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"
        origin = request.headers.get("origin")
        if origin is None or origin not in settings().admin_origins:
            return response
        response.headers.update({"Access-Control-Allow-Origin": origin,
                                 "Access-Control-Expose-Headers": EXPOSED_HEADERS})
        if request.method == "OPTIONS":
            methods = app.routes[request.context["resourcePath"]]
            response.headers.update({
                "Access-Control-Allow-Methods": ", ".join(sorted(methods)),
                "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS)})
        return response


def answer_preflight(**_path_parameters) -> Response:
    """An empty answer; the middleware adds the headers when the origin is admitted,
    so a preflight from any other origin fails in the browser."""
    return Response(body="", status_code=204)
