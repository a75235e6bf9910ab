"""/healthz for operators and load balancers."""
from __future__ import annotations

from flask import Blueprint, jsonify

from portal.extensions import csrf
from portal.services.health import check_health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@csrf.exempt
def healthz():
    report = check_health()
    # Only a dead database makes this instance useless; a missing consumer or
    # OCR engine degrades it, which operators see in the body.
    status = 200 if report["database"]["ok"] else 503
    response = jsonify(report)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
