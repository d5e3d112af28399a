"""A merchant's journey through a client generated from openapi.yaml (openapi-python-client), on
the local server: what a dashboard built on the description would do. Every answer is parsed by
the generated models, so a field the description gets wrong fails here.

Usage: journey.py GENERATED_CLIENT_DIR BASE_URL MERCHANT_TOKEN (infra/test.sh generates the client
into target/ first; the generated code is not committed).
"""

import sys
import uuid


def main():
    generated, base_url, token = sys.argv[1:4]
    sys.path.insert(0, generated)
    from paylinks_client import AuthenticatedClient
    from paylinks_client.api.merchant import (
        create_link,
        create_webhook_endpoint,
        delete_webhook_endpoint,
        get_link,
        get_order,
        get_settings,
        list_events,
        list_links,
        list_orders,
        list_webhook_endpoints,
        mark_order_paid,
        merchant_funnel,
        put_settings,
        send_email,
        send_sms,
    )
    from paylinks_client.models import (
        CreatedLink,
        CreateOrderLinkRequest,
        CreateOrderLinkRequestOrder,
        CreateProductLinkRequest,
        Currency,
        Customer,
        LineItem,
        Options,
        Product,
        CreateWebhookEndpointBody,
        EventType,
        LinkDetail,
        ListEventsResponse200,
        ListLinksResponse200,
        ListOrdersResponse200,
        MerchantFunnelResponse200,
        Order,
        OrderWithLedger,
        SendEmailBody,
        SendEmailBodyRecipientsItem,
        SendEmailResponse200,
        SendSmsBody,
        SendSmsBodyRecipientsItem,
        SendSmsResponse200,
        Settings,
    )

    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    run = uuid.uuid4().hex[:8]

    def answer(response, status, model):
        assert response.status_code == status, f"{response.status_code}: {response.content[:300]!r}"
        assert isinstance(response.parsed, model), f"{type(response.parsed).__name__}: {response.content[:300]!r}"
        return response.parsed

    # Settings: the shop's name and where customers may be sent back to.
    settings = answer(get_settings.sync_detailed(client=client), 200, Settings)
    hosts = sorted(set((settings.allowed_redirect_hosts or []) + ["shop.example.com"]))
    changed = Settings(display_name="Journey Shop", payments_enabled=True, allowed_redirect_hosts=hosts)
    settings = answer(put_settings.sync_detailed(client=client, body=changed), 200, Settings)
    assert settings.display_name == "Journey Shop" and "shop.example.com" in settings.allowed_redirect_hosts

    # An endpoint that hears orders paid (its events are kept even when it cannot be reached).
    endpoint_body = CreateWebhookEndpointBody(url=f"http://127.0.0.1:9/journey-{run}", events=[EventType.ORDER_PAID])
    endpoint = create_webhook_endpoint.sync_detailed(client=client, body=endpoint_body)
    assert endpoint.status_code == 201, endpoint.content
    endpoint_id = endpoint.parsed.id
    endpoints = list_webhook_endpoints.sync_detailed(client=client)
    assert endpoint_id in [e.id for e in endpoints.parsed.data], endpoints.content

    # Both kinds of link.
    order_id = f"JOURNEY-{run}"
    order_body = CreateOrderLinkRequest(
        order=CreateOrderLinkRequestOrder(
            id=order_id, currency=Currency.USD, line_items=[LineItem(name="Widget", unit_amount=1250, quantity=2)]
        ),
        customer=Customer(name="Ada Lovelace", email="ada@example.com", phone="+14155550123"),
        options=Options(success_url="https://shop.example.com/thanks"),
    )
    order_link = answer(create_link.sync_detailed(client=client, body=order_body), 201, CreatedLink)
    assert order_link.amount == 2500 and order_link.order_id == order_id
    product_body = CreateProductLinkRequest(
        name=f"Tote {run}", products=[Product(name="Tote", unit_amount=2000, currency=Currency.USD)]
    )
    product_link = answer(create_link.sync_detailed(client=client, body=product_body), 201, CreatedLink)

    # Sent by email and by text.
    emailed = answer(
        send_email.sync_detailed(
            order_link.id,
            client=client,
            body=SendEmailBody(recipients=[SendEmailBodyRecipientsItem(email="grace@example.com", name="Grace")]),
        ),
        200,
        SendEmailResponse200,
    )
    texted = answer(
        send_sms.sync_detailed(
            order_link.id, client=client, body=SendSmsBody(recipients=[SendSmsBodyRecipientsItem(phone="+14155550124")])
        ),
        200,
        SendSmsResponse200,
    )
    assert emailed.to_dict() and texted.to_dict()

    # Listed, looked at, its order read.
    links = answer(list_links.sync_detailed(client=client, limit=100), 200, ListLinksResponse200)
    listed = [link.id for link in links.data]
    assert order_link.id in listed and product_link.id in listed, listed
    detail = answer(get_link.sync_detailed(order_link.id, client=client), 200, LinkDetail)
    assert detail.id == order_link.id
    orders = answer(list_orders.sync_detailed(client=client), 200, ListOrdersResponse200)
    assert order_id in [o.id for o in orders.data]
    order = answer(get_order.sync_detailed(order_id, client=client), 200, OrderWithLedger)
    assert order.amount_due == 2500

    # Paid outside the platform: the order is paid, the endpoint's event is there.
    paid = answer(mark_order_paid.sync_detailed(order_id, client=client), 200, Order)
    assert paid.payment_status.value == "paid" and paid.amount_due == 0, paid.to_dict()
    events = answer(list_events.sync_detailed(client=client), 200, ListEventsResponse200)
    assert any(e.type_.value == "order.paid" and e.data.to_dict().get("order", {}).get("id") == order_id for e in events.data), [
        e.to_dict() for e in events.data[:3]
    ]

    funnel = answer(merchant_funnel.sync_detailed(client=client), 200, MerchantFunnelResponse200)
    assert funnel.to_dict()

    deleted = delete_webhook_endpoint.sync_detailed(endpoint_id, client=client)
    assert deleted.status_code == 204, deleted.content
    print(f"client journey: {order_id} and {product_link.id} made, sent, listed, paid; events and funnel read")


if __name__ == "__main__":
    main()
