"""GET /health: liveness, for the load balancer and the smoke test."""

from chalicelib.api import responses as r
from chalicelib.api.routes import ANYONE, Blueprint

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"], allow=ANYONE, answer=r.Health, summary="Liveness")
def health(request):
    return {"status": "ok"}
