"""Test data for schemathesis (run by infra/test.sh before it): makes, on the local server, what
the id routes need to reach their logic instead of answering 404 — links of both kinds, orders,
a webhook endpoint, an event, a Checkout Session — and prints them as `export NAME=value` lines
that infra/schemathesis.toml reads (`${NAME}`).

Operations that end what they are given (DELETE an endpoint, reject an order, pay a session) get
an id of their own, so the first of their drawn calls finds it and no other operation loses its
data to them.

Schemathesis's coverage and examples phases build their cases from the schema alone (the config's
body parameters and the hooks reach the fuzzing and stateful phases only), so it also writes a copy
of openapi.yaml whose examples name the seeded data where a body carries it: the customer's forms
get the seeded link's token, a webhook endpoint a URL on loopback that the local server allows.

Usage: schemathesis_seed.py BASE_URL MERCHANT_TOKEN SPEC_COPY
"""

import json
import shlex
import sys
import time
import urllib.parse
import urllib.request

import yaml


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(base, token, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with opener.open(request, timeout=10) as reply:
        return json.loads(reply.read() or b"null")


def order_link(order_id, choices=True):
    """An order link that never expires (the fuzzer may have set the merchant's default to a
    minute); with `choices`, the customer chooses a part and a tip on our page first."""
    body = {
        "expires_in_minutes": None,
        "order": {
            "id": order_id,
            "currency": "usd",
            "line_items": [{"name": "Widget", "unit_amount": 1250, "quantity": 2}],
        },
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+14155550123", "card_payments": True},
    }
    if choices:
        body.update({"partial_payments": {"minimum_amount": 500}, "options": {"allow_tip": True}})
    return body


def token_of(link):
    return urllib.parse.parse_qs(urllib.parse.urlsplit(link["url"]).query)["payment_link_token"][0]


def session_of(url):
    """Opens a link as a customer would; the local server sends them to its stand-in for Checkout.
    A customer held while the account's pace is spent gets a waiting page (200) and comes back."""
    for _ in range(20):
        try:
            opener.open(urllib.request.Request(url, method="GET"), timeout=10)
        except urllib.error.HTTPError as answer:
            location = answer.headers.get("Location") or ""
            if answer.code == 303 and "/simulated-checkout/" in location:
                return location.rsplit("/simulated-checkout/", 1)[1].split("?")[0]
            raise RuntimeError(f"opening {url} answered {answer.code}") from answer
        time.sleep(0.5)
    raise RuntimeError(f"opening {url} made no Checkout Session")


def main():
    base, token = sys.argv[1].rstrip("/"), sys.argv[2]
    seeded = {}
    # The host the schema's example redirect URLs name (success_url, landing_page_url).
    call(base, token, "PUT", "/settings", {"allowed_redirect_hosts": ["shop.example.com"]})

    def link(name, body):
        made = call(base, token, "POST", "/links", body)
        seeded[f"ST_{name}_LINK"] = made["id"]
        return made

    # Links the reading and sending routes look at; a product link for /p/{code}.
    viewed = link("VIEW", order_link("ST-SEED-VIEW"))
    link("PATCH", order_link("ST-SEED-PATCH"))
    link("DELETE", order_link("ST-SEED-DELETE"))
    product = link(
        "PRODUCT",
        {"name": "Tote bag", "products": [{"name": "Tote", "unit_amount": 2000, "currency": "usd"}]},
    )
    seeded["ST_CODE"] = product["short_url"].rsplit("/p/", 1)[1]
    # The customer's routes: a token of a link that stays payable, and one whose session is paid.
    seeded["ST_TOKEN"] = token_of(viewed)
    paid = link("PAY", order_link("ST-SEED-PAY", choices=False))
    seeded["ST_PAY_TOKEN"] = token_of(paid)
    seeded["ST_SESSION"] = session_of(paid["url"])
    # The stand-in Checkout's outcome (POST) ends its session: a session of its own.
    seeded["ST_OUTCOME_SESSION"] = session_of(link("OUTCOME", order_link("ST-SEED-OUTCOME", choices=False))["url"])

    # Orders: one each for mark-paid and reject (both end what they are given), one to read.
    for name in ("MARK_PAID", "REJECT"):
        link(name, order_link(f"ST-SEED-{name.replace('_', '-')}"))
        seeded[f"ST_{name}_ORDER"] = f"ST-SEED-{name.replace('_', '-')}"
    seeded["ST_ORDER"] = "ST-SEED-VIEW"

    # Webhook endpoints (one for DELETE) and an event to redeliver: an endpoint hears an order paid.
    for name in ("ENDPOINT", "DELETE_ENDPOINT"):
        endpoint = call(base, token, "POST", "/webhook-endpoints", {"url": "http://127.0.0.1:9/st-seed", "events": ["order.paid"]})
        seeded[f"ST_{name}"] = endpoint["id"]
    link("EVENT", order_link("ST-SEED-EVENT"))
    call(base, token, "POST", "/orders/ST-SEED-EVENT/mark-paid")
    events = call(base, token, "GET", "/events")["data"]
    if not events:
        raise SystemExit("no event after an order was marked paid with an endpoint listening")
    seeded["ST_EVENT"] = events[0]["id"]

    write_spec_copy(sys.argv[3], seeded)
    for name, value in seeded.items():
        print(f"export {name}={shlex.quote(value)}")


def write_spec_copy(path, seeded):
    with open("openapi.yaml", encoding="utf-8") as source:
        spec = yaml.safe_load(source)
    paths = spec["paths"]
    for form in ("/pay", "/pay/renewal-request"):
        body = paths[form]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        body["properties"]["payment_link_token"]["examples"] = [seeded["ST_TOKEN"]]
    # The coverage phase sends one Idempotency-Key value with every body it draws, which the API
    # rightly refuses as a key reused for a different request: the header is left out of the copy
    # (tests/tests/*.rs and the client journey cover idempotent retries).
    for route in ("/links", "/text-to-pay"):
        operation = paths[route]["post"]
        operation["parameters"] = [p for p in operation.get("parameters", []) if p.get("name") != "Idempotency-Key"]
    # The coverage phase puts the settings as the schema allows, hooks unseen: payments turned off
    # would make every later create a 409. The fuzzer's merchant keeps payments on (the Rust tests
    # cover a merchant without them).
    settings = spec["components"]["schemas"]["Settings"]["properties"]
    settings["payments_enabled"] = {"type": "boolean", "const": True}
    # Redirect URLs are checked against the merchant's hosts: the schema's examples name
    # shop.example.com, which the seed allowed and every drawn settings body keeps.
    settings["allowed_redirect_hosts"]["contains"] = {"const": "shop.example.com"}
    # Moving the local clock by years ends every seeded link's life (the store forgets what is past
    # its TTL), so the phases after would meet 404s: the fuzzer moves it by a minute at most.
    clock = paths["/local/clock"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    clock["properties"]["advance_seconds"]["maximum"] = 60
    endpoint = paths["/webhook-endpoints"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    endpoint["properties"]["url"]["examples"] = ["http://127.0.0.1:9/st-example"]
    with open(path, "w", encoding="utf-8") as copy:
        yaml.safe_dump(spec, copy, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    main()
