"""schemathesis hooks for the test command (loaded through SCHEMATHESIS_HOOKS).

A POST /links body drawn from the schema is almost never a link the dev merchant can create
(exactly one of `order` or `products`, a redirect host on its allow-list, a customer who can pay by
card...), so the stateful phase would get no id to follow its OpenAPI links with, and the id routes
would only ever see 404s. Half of the drawn bodies are swapped for a valid order or product link;
the other half stay as drawn, so invalid input is still tried. And a drawn PUT /settings keeps the
dev merchant's payments on (see the second hook).
"""

import hashlib
import hmac
import itertools
import json
import os
import urllib.request
from datetime import datetime

import schemathesis

import schemathesis_seed as seed

_drawn = itertools.count()


@schemathesis.hook.apply_to(method="POST", path="/links")
def map_body(ctx, body):
    n = next(_drawn)
    if n % 2:
        return body
    if n % 4 == 0:
        return {
            "order": {
                "id": f"ST-{n}",
                "currency": "usd",
                "line_items": [{"name": "Widget", "unit_amount": 1250, "quantity": 2}],
            },
            "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550123", "card_payments": True},
        }
    return {"name": f"Tote {n}", "products": [{"name": "Tote", "unit_amount": 2000, "currency": "usd"}]}


# Hooks are known by their name: this is the second `map_body`, registered for PUT /settings.
@schemathesis.hook.apply_to(method="PUT", path="/settings")
def map_body(ctx, body):  # noqa: F811
    """A drawn settings body may turn the dev merchant's payments off, after which no link can be
    made and the stateful phase that follows has no id to follow (it happened once the schema grew).
    Payments stay on, and shop.example.com (the schema's example redirect host) stays allowed;
    every other field is drawn as the schema says."""
    if isinstance(body, dict):
        body["payments_enabled"] = True
        hosts = body.get("allowed_redirect_hosts")
        if isinstance(hosts, list) and "shop.example.com" not in hosts:
            body["allowed_redirect_hosts"] = ["shop.example.com", *hosts][:50]
    return body


_endpoints = itertools.count()


# The third `map_body`, for POST /webhook-endpoints: the API resolves the URL's host (and refuses
# one that does not resolve), which no schema can say, and a drawn host never resolves. A drawn
# body keeps its events but three in four get a URL on loopback (the local server allows it), so
# the endpoint's logic is reached and the stateful phase can follow its id to its DELETE.
@schemathesis.hook.apply_to(method="POST", path="/webhook-endpoints")
def map_body(ctx, body):  # noqa: F811
    n = next(_endpoints)
    if n % 4 == 3 or not isinstance(body, dict):
        return body
    return {**body, "url": f"http://127.0.0.1:9/st-{n}"}


# The fourth `map_body`, for the customer's forms (POST /pay and its renewal request): the token
# names the seeded link (infra/schemathesis_seed.py) wherever the drawn one is empty or missing,
# in every phase (the config's body parameters reach the fuzzing phase only).
@schemathesis.hook.apply_to(method="POST", path_regex="^/pay(/renewal-request)?$")
def map_body(ctx, body):  # noqa: F811
    if isinstance(body, dict) and not body.get("payment_link_token"):
        body["payment_link_token"] = os.environ["ST_TOKEN"]
    return body


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    """A simulated Checkout Session takes one outcome (the next is 410, as Stripe's page for a
    finished session): each outcome drawn is posted to a session of its own, made just before.

    An SNS notification carries its SES event as JSON inside the `Message` string, which a schema
    cannot describe: a drawn string that is no SES event becomes one (see `ses_event_in_message`).

    Stripe signs each event over its exact bytes (`Stripe-Signature: t=…,v1=…`), which no schema
    can say: an event drawn for POST /stripe/webhook is signed here, in every phase, with the
    secret the test command gave the local server, over the bytes the transport will send (the
    standard library's `json.dumps`, as requests writes a `json=` body), at the server's time
    (the run moves the local server's clock through POST /local/clock)."""
    if ctx.operation is not None and ctx.operation.path == "/simulated-checkout/{session}":
        if ctx.operation.method.upper() == "POST":
            case.path_parameters = {**(case.path_parameters or {}), "session": fresh_session()}
        return
    if ctx.operation is not None and ctx.operation.path == "/ses/events":
        ses_event_in_message(case)
        return
    if ctx.operation is None or ctx.operation.path != "/stripe/webhook" or not isinstance(case.body, dict):
        return
    stamp = server_time()
    signed = f"{stamp}.{json.dumps(case.body)}".encode()
    signature = hmac.new(os.environ["ST_WEBHOOK_SECRET"].encode(), signed, hashlib.sha256).hexdigest()
    case.headers = {**(case.headers or {}), "Stripe-Signature": f"t={stamp},v1={signature}"}


def server_time():
    """The local server's clock (GET /local/clock), as a Unix time."""
    with urllib.request.urlopen(os.environ["ST_BASE_URL"] + "/local/clock", timeout=5) as reply:
        now = json.load(reply)["now"]
    return int(datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp())


_sessions = itertools.count()


def fresh_session():
    """A new order link opened as a customer would: the stand-in session the local server made."""
    base, token = os.environ["ST_BASE_URL"], os.environ["ST_MERCHANT_TOKEN"]
    body = seed.order_link(f"ST-OUTCOME-{os.getpid()}-{next(_sessions)}", choices=False)
    made = seed.call(base, token, "POST", "/links", body)
    return seed.session_of(made["url"])


def ses_event_in_message(case):
    """A drawn `Message` string that is not an SES event is put inside one: the drawn text as its
    message id (unknown to the server, so nothing is recorded), its event type picked by the
    text. A `Message` drawn of another type, or a body that is not an object, is left to be refused."""
    if not isinstance(case.body, dict) or not isinstance(case.body.get("Message"), str):
        return
    drawn = case.body["Message"]
    try:
        event = json.loads(drawn)
        if isinstance(event, dict) and isinstance(event.get("mail"), dict) and "messageId" in event["mail"]:
            return
    except ValueError:
        pass
    kind = ["Delivery", "Send", "Open"][len(drawn) % 3]
    event = {"eventType": kind, "mail": {"messageId": drawn or "st-unknown"}}
    if kind == "Delivery":
        event["delivery"] = {"recipients": ["ada@example.com"]}
    case.body = {**case.body, "Message": json.dumps(event)}
