//! The delivery funnel: SES's events (in the shape SES publishes them, inside their SNS
//! notification) on each delivery, opens and checkout starts, and the merchant's suppression list
//! that a hard bounce or a complaint fills. On the embedded store and on DynamoDB with SES (moto).

use paylinks_tests::server::{TestServer, embedded, on_real_adapters, order_link, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn email(name: &str) -> String {
    format!("{}@example.com", unique(name)).to_lowercase()
}

/// An SES event about `message_id` as the configuration set's SNS topic posts it.
fn notification(kind: &str, message_id: &str, at: &str, bounce_type: Option<&str>) -> Value {
    let mut event = json!({
        "eventType": kind,
        "mail": {"timestamp": "2026-12-01T10:00:00.000Z", "messageId": message_id, "destination": ["someone@example.com"]},
    });
    match kind {
        "Delivery" => {
            event["delivery"] =
                json!({"timestamp": at, "recipients": ["someone@example.com"], "smtpResponse": "250 ok"})
        }
        "Bounce" => {
            event["bounce"] = json!({"bounceType": bounce_type.unwrap_or("Permanent"), "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "someone@example.com"}], "timestamp": at})
        }
        "Complaint" => {
            event["complaint"] =
                json!({"complainedRecipients": [{"emailAddress": "someone@example.com"}], "timestamp": at})
        }
        _ => {}
    }
    json!({"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:email-events",
           "Message": event.to_string(), "Timestamp": at})
}

async fn ses(server: &TestServer, body: Value) -> Value {
    let reply = server.raw(server.http.post(server.url("/ses/events")).json(&body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()
}

async fn ready(server: &TestServer) -> String {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({})).await;
    merchant
}

async fn new_link(server: &TestServer, merchant: &str) -> String {
    let link = server.call(merchant, "POST", "/links", Some(order_link(&unique("SO")))).await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.text);
    link.json()["id"].as_str().unwrap().to_string()
}

/// Sends the link to `to`; the answer's deliveries.
async fn send(server: &TestServer, merchant: &str, id: &str, to: &[&str]) -> Vec<Value> {
    let recipients: Vec<Value> = to.iter().map(|e| json!({"email": e})).collect();
    let reply =
        server.call(merchant, "POST", &format!("/links/{id}/email"), Some(json!({"recipients": recipients}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()["deliveries"].as_array().unwrap().clone()
}

async fn detail(server: &TestServer, merchant: &str, id: &str) -> Value {
    server.call(merchant, "GET", &format!("/links/{id}"), None).await.json()
}

fn delivery_to<'a>(detail: &'a Value, to: &str) -> &'a Value {
    detail["deliveries"].as_array().unwrap().iter().find(|d| d["recipient"] == to).expect("a delivery to them")
}

#[tokio::test]
async fn a_delivery_goes_down_the_funnel_and_the_summary_counts_recipients() {
    for server in [embedded().await, on_real_adapters().await] {
        let merchant = ready(&server).await;
        let id = new_link(&server, &merchant).await;
        let (ada, bob) = (email("ada"), email("bob"));
        let sent = send(&server, &merchant, &id, &[&ada, &bob]).await;
        let ada_sent = sent.iter().find(|d| d["recipient"] == ada.as_str()).unwrap();
        let message_id = ada_sent["message_id"].as_str().expect("the provider's message id").to_string();

        let delivered = ses(&server, notification("Delivery", &message_id, "2026-12-01T10:00:05.000Z", None)).await;
        assert_eq!(delivered["recorded"], true);
        // At least once: a repeat, later, changes nothing.
        ses(&server, notification("Delivery", &message_id, "2026-12-01T11:00:00.000Z", None)).await;
        let opened = server.open(ada_sent["url"].as_str().unwrap()).await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER, "on to Checkout: {}", opened.text);

        let shown = detail(&server, &merchant, &id).await;
        let funnel = &delivery_to(&shown, &ada)["funnel"];
        assert!(funnel["sent_at"].is_string(), "{funnel}");
        assert_eq!(funnel["delivered_at"], "2026-12-01T10:00:05Z", "the first time is kept");
        assert!(funnel["opened_at"].is_string() && funnel["checkout_started_at"].is_string(), "{funnel}");
        assert_eq!(funnel["paid_at"], json!(null));
        assert_eq!(delivery_to(&shown, &bob)["funnel"]["delivered_at"], json!(null));
        assert_eq!(
            shown["funnel_summary"],
            json!({"sent": 2, "delivered": 1, "opened": 1, "checkout_started": 1, "paid": 0})
        );
        let unknown = ses(&server, notification("Delivery", "not-ours", "2026-12-01T10:00:05Z", None)).await;
        assert_eq!(unknown["recorded"], false, "another sender's message");
    }
}

/// Counted as it happened: a link that asks for a choice (a tip) stops at our page — an open,
/// not a checkout start; the checkout start is the choice posted and a session handed over.
#[tokio::test]
async fn our_choice_page_is_an_open_and_only_the_session_handed_over_starts_checkout() {
    for server in [embedded().await, on_real_adapters().await] {
        let merchant = ready(&server).await;
        let mut body = order_link(&unique("SO"));
        body["options"] = json!({"allow_tip": true});
        let link = server.call(&merchant, "POST", "/links", Some(body)).await.json();
        let id = link["id"].as_str().unwrap();
        let ada = email("ada");
        let sent = send(&server, &merchant, id, &[&ada]).await;
        let url = sent[0]["url"].as_str().unwrap();
        let page = server.open(url).await;
        assert_eq!(page.status, StatusCode::OK, "our page: {}", page.text);

        let shown = detail(&server, &merchant, id).await;
        let funnel = &delivery_to(&shown, &ada)["funnel"];
        assert!(funnel["opened_at"].is_string(), "{funnel}");
        assert_eq!(funnel["checkout_started_at"], json!(null), "no session yet: {funnel}");
        assert_eq!(shown["funnel_summary"]["checkout_started"], 0);

        let token = url.split("payment_link_token=").nth(1).unwrap();
        let posted = server
            .raw(server.http.post(server.url("/pay")).form(&[("payment_link_token", token), ("tip", "none")]))
            .await;
        assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.text);
        let shown = detail(&server, &merchant, id).await;
        let delivery = delivery_to(&shown, &ada);
        assert!(delivery["funnel"]["checkout_started_at"].is_string(), "{delivery}");
        assert_eq!((delivery["opens"].as_u64(), shown["opens"].as_u64()), (Some(1), Some(1)), "the post is no open");
        assert_eq!(shown["funnel_summary"]["checkout_started"], 1);
    }
}

#[tokio::test]
async fn a_hard_bounce_or_a_complaint_suppresses_the_address_for_that_merchant_only() {
    for server in [embedded().await, on_real_adapters().await] {
        let merchant = ready(&server).await;
        let id = new_link(&server, &merchant).await;
        let (hard, soft, angry) = (email("hard"), email("soft"), email("angry"));
        let sent = send(&server, &merchant, &id, &[&hard, &soft, &angry]).await;
        let message =
            |to: &str| sent.iter().find(|d| d["recipient"] == to).unwrap()["message_id"].as_str().unwrap().to_string();
        ses(&server, notification("Bounce", &message(&hard), "2026-12-01T10:01:00Z", Some("Permanent"))).await;
        ses(&server, notification("Bounce", &message(&soft), "2026-12-01T10:01:00Z", Some("Transient"))).await;
        ses(&server, notification("Complaint", &message(&angry), "2026-12-01T12:00:00Z", None)).await;
        let shown = detail(&server, &merchant, &id).await;
        assert_eq!(delivery_to(&shown, &hard)["funnel"]["bounced_at"], "2026-12-01T10:01:00Z");
        assert_eq!(delivery_to(&shown, &angry)["funnel"]["complained_at"], "2026-12-01T12:00:00Z");

        // The merchant's next link: the suppressed addresses get no message, whatever their case.
        let next = new_link(&server, &merchant).await;
        let again = send(&server, &merchant, &next, &[&hard.to_uppercase(), &soft, &angry]).await;
        let statuses: Vec<&str> = again.iter().map(|d| d["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, vec!["suppressed", "sent", "suppressed"], "{again:?}");
        let shown = detail(&server, &merchant, &next).await;
        assert_eq!(delivery_to(&shown, &angry)["status"], "suppressed");
        assert_eq!(delivery_to(&shown, &angry)["funnel"]["sent_at"], json!(null));

        // Another merchant's customers are theirs: not suppressed there.
        let other = ready(&server).await;
        let theirs = new_link(&server, &other).await;
        assert_eq!(send(&server, &other, &theirs, &[&hard]).await[0]["status"], "sent");
    }
}

#[tokio::test]
async fn a_suppressed_recipient_gets_no_more_reminders() {
    let server = embedded().await;
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"reminders": {"after_days": [1, 2], "channels": ["email"]}})).await;
    let id = new_link(&server, &merchant).await;
    let to = email("gone");
    let sent = send(&server, &merchant, &id, &[&to]).await;
    let message_id = sent[0]["message_id"].as_str().unwrap().to_string();
    ses(&server, notification("Bounce", &message_id, "2026-12-01T10:01:00Z", Some("Permanent"))).await;
    let advance =
        server.raw(server.http.post(server.url("/local/clock")).json(&json!({"advance_seconds": 86_400}))).await;
    let ran = &advance.json()["ran"]["reminders"];
    assert_eq!((ran["sent"].clone(), ran["ended"].clone()), (json!(0), json!(1)), "{ran}");
}

#[tokio::test]
async fn what_is_not_an_ses_event_is_refused_by_field() {
    let server = embedded().await;
    let post = |body: &'static str| server.raw(server.http.post(server.url("/ses/events")).body(body));
    assert_eq!(post("{").await.status, StatusCode::BAD_REQUEST);
    let reply = post(r#"{"Type": "Notification", "Message": "{\"hello\": 1}"}"#).await;
    assert_eq!(
        (reply.status, reply.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("Message"))
    );
    let confirm =
        post(r#"{"Type": "SubscriptionConfirmation", "SubscribeURL": "https://sns.example.com/confirm"}"#).await;
    assert_eq!(confirm.json()["recorded"], false);
    let open = r#"{"Type": "Notification", "Message": "{\"eventType\": \"Open\", \"mail\": {\"messageId\": \"m\"}}"}"#;
    assert_eq!(post(open).await.json()["recorded"], false);
}

/// The known gap closed: a text's recipient who pays is seen as the one who paid (the session is
/// put down to the delivery whose open went on to Checkout), not only a payer matched by email.
#[tokio::test]
async fn a_texted_recipient_who_pays_shows_as_paid_on_their_delivery() {
    let server = embedded().await;
    let merchant = server.running.dev_merchant.clone();
    let mut body = order_link(&unique("SO"));
    body.as_object_mut().unwrap().remove("landing_page_url");
    let id = server.call(&merchant, "POST", "/links", Some(body)).await.json()["id"].as_str().unwrap().to_string();
    let phones = json!({"recipients": [{"phone": "+14155550101"}, {"phone": "+14155550102"}]});
    let texted = server.call(&merchant, "POST", &format!("/links/{id}/sms"), Some(phones)).await.json();
    let first = texted["deliveries"][0]["url"].as_str().unwrap().to_string();
    let second = texted["deliveries"][1]["url"].as_str().unwrap().to_string();
    // Both open; the second one's open is the last to go on to the shared Checkout, and pays.
    server.open(&first).await;
    let checkout = server.open(&second).await.location.expect("to Checkout");
    let paid = server.raw(server.http.post(&checkout).form(&[("outcome", "paid")])).await;
    assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.text);

    let shown = detail(&server, &merchant, &id).await;
    let payer = delivery_to(&shown, "+14155550102");
    assert!(payer["funnel"]["paid_at"].is_string() && payer["paid"] == true, "{payer}");
    assert_eq!(delivery_to(&shown, "+14155550101")["funnel"]["paid_at"], json!(null));
    assert_eq!(shown["funnel_summary"]["paid"], 1);
    assert_eq!(shown["funnel_summary"]["checkout_started"], 2);
}

#[tokio::test]
async fn the_merchants_funnel_sums_its_links_in_a_range_and_shows_each_steps_conversion() {
    let server = embedded().await;
    let merchant = ready(&server).await;
    let first = new_link(&server, &merchant).await;
    let (ada, bob) = (email("ada"), email("bob"));
    let sent = send(&server, &merchant, &first, &[&ada, &bob]).await;
    let message_id = sent[0]["message_id"].as_str().unwrap().to_string();
    ses(&server, notification("Delivery", &message_id, "2026-12-01T10:00:05Z", None)).await;
    server.open(sent[0]["url"].as_str().unwrap()).await;
    let second = new_link(&server, &merchant).await;
    send(&server, &merchant, &second, &[&ada]).await;

    let summary = server.call(&merchant, "GET", "/funnel", None).await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    let summary = summary.json();
    assert_eq!((summary["links"].clone(), summary["truncated"].clone()), (json!(2), json!(false)));
    assert_eq!(summary["steps"], json!({"sent": 3, "delivered": 1, "opened": 1, "checkout_started": 1, "paid": 0}));
    assert_eq!(summary["conversion"]["sent_to_opened"], 0.3333);
    assert_eq!(summary["conversion"]["opened_to_checkout_started"], 1.0);
    assert_eq!(summary["conversion"]["checkout_started_to_paid"], 0.0);

    let before = server.call(&merchant, "GET", "/funnel?created_to=2000-01-01", None).await.json();
    assert_eq!((before["links"].clone(), before["conversion"]["sent_to_paid"].clone()), (json!(0), json!(null)));
    let backwards = server.call(&merchant, "GET", "/funnel?created_from=2026-12-02&created_to=2026-12-01", None).await;
    assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
    let stranger = server.call(&unique("merchant"), "GET", "/funnel", None).await.json();
    assert_eq!(stranger["links"], 0, "another merchant's links are not theirs");
}

/// Texts the link to `to`; the answer's deliveries.
async fn text(server: &TestServer, merchant: &str, id: &str, to: &[&str]) -> Vec<Value> {
    let recipients: Vec<Value> = to.iter().map(|p| json!({"phone": p})).collect();
    let reply =
        server.call(merchant, "POST", &format!("/links/{id}/sms"), Some(json!({"recipients": recipients}))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json()["deliveries"].as_array().unwrap().clone()
}

/// SNS's SMS delivery status, as a log subscription hands it to delivery-events: a text carriers
/// took is delivered; one to a number that never takes texts bounced and suppresses it; one that
/// could not reach the phone bounced only.
#[tokio::test]
async fn sms_delivery_status_from_snss_logs_moves_the_funnel_and_a_dead_number_is_suppressed() {
    use paylinks_tests::delivery_events::{deps, logs_event, sms_status};
    let server = on_real_adapters().await;
    let merchant = ready(&server).await;
    let id = new_link(&server, &merchant).await;
    let sent = text(&server, &merchant, &id, &["+14155550161", "+14155550162", "+14155550163"]).await;
    let message = |i: usize| sent[i]["message_id"].as_str().expect("SNS's message id").to_string();
    let statuses = [
        sms_status(&message(0), "SUCCESS", "Message has been accepted by phone carrier"),
        sms_status(&message(1), "FAILURE", "Invalid phone number"),
        sms_status(&message(2), "FAILURE", "Phone is currently unreachable/unavailable"),
        sms_status("not-ours", "SUCCESS", "Message has been accepted by phone carrier"),
    ];
    let function = deps(&server.aws().dynamodb.url, server.table.as_deref().unwrap()).await;
    let recorded = delivery_events::handle(&function, logs_event(&statuses)).await.expect("recorded");
    assert_eq!(recorded, 3, "ours, not another sender's");

    let shown = detail(&server, &merchant, &id).await;
    let funnel = |to: &str| delivery_to(&shown, to)["funnel"].clone();
    assert!(funnel("+14155550161")["delivered_at"].is_string(), "{shown}");
    assert!(funnel("+14155550162")["bounced_at"].is_string(), "{shown}");
    assert!(funnel("+14155550163")["delivered_at"].is_null() && funnel("+14155550163")["bounced_at"].is_string());
    let again = text(&server, &merchant, &id, &["+14155550162", "+14155550163"]).await;
    let status = |to: &str| again.iter().find(|d| d["recipient"] == to).unwrap()["status"].clone();
    assert_eq!(status("+14155550162"), "suppressed", "a number that never takes texts");
    assert_ne!(status("+14155550163"), "suppressed", "an unreachable phone is tried again");
}

/// The local server takes the same status record at `POST /sms/events`.
#[tokio::test]
async fn the_local_server_takes_an_sms_status_and_refuses_what_is_not_one() {
    use paylinks_tests::delivery_events::sms_status;
    let server = embedded().await;
    let merchant = ready(&server).await;
    let id = new_link(&server, &merchant).await;
    let sent = text(&server, &merchant, &id, &["+14155550171"]).await;
    let message = sent[0]["message_id"].as_str().unwrap();
    let post = |body: String| {
        server.raw(server.http.post(server.url("/sms/events")).header("content-type", "application/json").body(body))
    };
    let taken = post(sms_status(message, "SUCCESS", "Message has been accepted by phone carrier").to_string()).await;
    assert_eq!((taken.status, taken.json()["recorded"].clone()), (StatusCode::OK, json!(true)), "{}", taken.text);
    assert!(delivery_to(&detail(&server, &merchant, &id).await, "+14155550171")["funnel"]["delivered_at"].is_string());
    assert_eq!(post("{".into()).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(post(json!({"status": "SUCCESS"}).to_string()).await.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// `template.yaml` hands delivery-events both log groups SNS writes SMS status to, whole.
#[test]
fn the_template_subscribes_delivery_events_to_both_sms_status_log_groups() {
    let template = paylinks_tests::template::template();
    let resources = &template["Resources"];
    let events = &resources["DeliveryEventsFunction"]["Properties"]["Events"];
    for (event, group, suffix) in [
        ("SmsDelivered", "SmsDeliveredLogs", "/DirectPublishToPhoneNumber\")"),
        ("SmsFailed", "SmsFailedLogs", "/DirectPublishToPhoneNumber/Failure\")"),
    ] {
        assert_eq!(events[event]["Type"].as_str(), Some("CloudWatchLogs"), "{event}");
        assert_eq!(events[event]["Properties"]["FilterPattern"].as_str(), Some(""), "{event}: every record");
        let name = format!("{:?}", resources[group]["Properties"]["LogGroupName"]);
        assert!(name.contains(suffix), "{group}: {name}");
    }
}
