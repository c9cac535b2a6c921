"""Conversion postbacks: the JSON route, the signed pixel, reversal, and the client's secret."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from api.auth import actor, current, require
from api.body import parse
from api.openapi import document
from api.params import parse_query
from api.tracking_schemas import ConversionOut, PixelQuery, PostbackIn, ReverseIn, SecretOut
from reconcile.services.reconciliation import reversal
from reconcile.services.tracking import postback_secrets, postbacks
from reconcile.services.tracking.errors import BadSignature
from reconcile.services.tracking.postbacks import Postback

bp = Blueprint("postbacks", __name__)


@bp.post("/postbacks")
@document("Report a conversion that followed a tracked click", body=PostbackIn,
          response=ConversionOut, status=201,
          description="status: counted, outside_window or filtered_click. The same event_id "
                      "again answers 200 with the first answer; unknown click_id → 422 "
                      "UNKNOWN_CLICK.")
@require("CLIENT", "ADMIN")
def post_conversion():
    b = parse(PostbackIn)
    body, status = postbacks.record_postback(current(), Postback(
        b.click_id, b.event_id, b.amount_minor, b.currency, b.occurred_at))
    return jsonify(body), status


@bp.get("/postbacks/pixel")
@document("Report a conversion by firing a signed URL", query=PixelQuery,
          response=ConversionOut, status=201,
          description="No API key: sig is the hex HMAC-SHA256, with the client's postback "
                      "secret, of the query string without sig, exactly as sent. A missing "
                      "or wrong sig → 401.")
def pixel():
    q = parse_query(PixelQuery)
    if not q.sig:
        raise BadSignature("the pixel must carry sig")
    signed = postback_secrets.unsigned_query(request.query_string.decode("latin-1"))
    body, status = postbacks.record_postback(None, Postback(
        q.click_id, q.event_id, q.amount_minor, q.currency, q.occurred_at),
        signed=(signed, q.sig))
    return jsonify(body), status


@bp.post("/postbacks/<int:conversion_id>/reverse")
@document("Reverse a conversion: it stops counting, its post is re-reconciled",
          body=ReverseIn, response=ConversionOut)
@require("CLIENT", "ADMIN")
def reverse(conversion_id: int):
    body = parse(ReverseIn)
    return jsonify(reversal.reverse(current(), conversion_id, body.reason, g.request_id))


@bp.post("/clients/<int:client_id>/postback-secret")
@document("Make a new postback secret for the client (shown once; the old one stops "
          "working)", response=SecretOut, status=201)
@require("ADMIN", "CLIENT")
def rotate_secret(client_id: int):
    return jsonify(postback_secrets.rotate_secret(current(), client_id, actor())), 201
