//! Sending links: email through SES v2 and SMS through SNS on moto server, read back from moto;
//! and the local server's outbox on its embedded defaults.

use std::sync::Arc;

use paylinks_tests::moto;
use paylinks_tests::server::{TestServer, embedded, on_real_adapters, on_real_adapters_sending_as, order_link, unique};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn ready(server: TestServer) -> (TestServer, String) {
    let merchant = unique("merchant");
    server.enable_payments(&merchant, json!({"display_name": "Corner Shop", "brand_color": "#0A7B50"})).await;
    (server, merchant)
}

async fn link_for(server: &TestServer, merchant: &str, body: Value) -> Value {
    let reply = server.call(merchant, "POST", "/links", Some(body)).await;
    assert!(reply.status.is_success(), "{}", reply.text);
    reply.json()
}

fn email_to(name: &str) -> String {
    format!("{}@example.com", unique(name)).to_lowercase()
}

/// Mail moto holds for one recipient.
async fn mail_to(address: &str) -> Vec<Value> {
    let state = moto::state().await;
    let messages = state["ses"]["Message"].as_array().cloned().unwrap_or_default();
    messages.into_iter().filter(|m| m["destinations"]["ToAddresses"].to_string().contains(address)).collect()
}

async fn sms_to(phone: &str) -> Vec<Value> {
    let state = moto::state().await;
    let messages = state["sns"]["SMS"].as_array().cloned().unwrap_or_default();
    messages.into_iter().filter(|m| m.to_string().contains(phone)).collect()
}

/// HTML as a mail client reads it: minijinja writes `/` as `&#x2f;` inside attributes and text.
fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"")
}

/// A phone number no other test uses: +1 415 555 01xx is reserved for fiction.
fn phone() -> String {
    let n: u32 = paylinks::domain::random_base62(4).bytes().map(u32::from).sum::<u32>() % 100;
    format!("+1415555{:04}", 100 + n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_recipient_gets_an_email_with_a_pay_now_button_and_a_url_of_their_own() {
    let (server, merchant) = ready(on_real_adapters().await).await;
    let link = link_for(&server, &merchant, order_link("SO-mail")).await;
    let (ada, bob) = (email_to("ada"), email_to("bob"));
    let reply = server
        .call(
            &merchant,
            "POST",
            &format!("/links/{}/email", link["id"].as_str().unwrap()),
            Some(json!({"recipients": [{"email": ada, "name": "Ada"}, {"email": bob}]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let body = reply.json();
    assert_eq!(body["url"], link["url"]);
    let deliveries = body["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    assert!(deliveries.iter().all(|d| d["status"] == "sent" && d["channel"] == "email" && d["message_id"].is_string()));
    assert_ne!(deliveries[0]["url"], deliveries[1]["url"], "per-recipient tokens differ");

    let mail = mail_to(&ada).await;
    assert_eq!(mail.len(), 1, "one message, no CC");
    assert_eq!(mail[0]["destinations"]["ToAddresses"], json!([ada]));
    assert_eq!(mail[0]["subject"], "Payment request from Corner Shop");
    assert_eq!(mail[0]["source"], moto::EMAIL_FROM);
    let html = unescape(mail[0]["body"].as_str().unwrap());
    assert!(html.contains("Pay Now") && html.contains("#0A7B50") && html.contains("USD 25.00"));
    assert!(html.contains("Hi Ada,"));
    assert!(html.contains(&format!("href=\"{}\"", deliveries[0]["url"].as_str().unwrap())), "the exact URL");
    std::fs::create_dir_all("artifacts").unwrap();
    std::fs::write("artifacts/email.html", mail[0]["body"].as_str().unwrap()).unwrap();

    let opened = server.open(deliveries[1]["url"].as_str().unwrap()).await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    let opens: Vec<(String, u64)> = detail["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["recipient"].as_str().unwrap().to_string(), d["opens"].as_u64().unwrap()))
        .collect();
    assert!(opens.contains(&(bob.clone(), 1)) && opens.contains(&(ada.clone(), 0)), "{opens:?}");

    // Bob pays: the delivery list shows who paid.
    let session = opened.location.unwrap().rsplit('/').next().unwrap().to_string();
    let paid = server.stripe().complete(&session, "paid", &bob, "Bob");
    server.deliver(&paylinks_tests::stripe_events::event("checkout.session.completed", paid)).await;
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    let paid_by: Vec<&str> = detail["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["paid"] == true)
        .map(|d| d["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(paid_by, vec![bob.as_str()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_recipient_is_the_orders_customer_and_a_resend_inside_the_window_is_deduplicated() {
    let (server, merchant) = ready(on_real_adapters().await).await;
    let customer = email_to("customer");
    let mut body = order_link("SO-again");
    body["customer"]["email"] = json!(customer);
    let link = link_for(&server, &merchant, body).await;
    let path = format!("/links/{}/email", link["id"].as_str().unwrap());
    let first = server.call(&merchant, "POST", &path, None).await.json();
    let second = server
        .call(&merchant, "POST", &path, Some(json!({"recipients": [{"email": customer.to_uppercase()}]})))
        .await
        .json();
    assert_eq!(first["deliveries"][0]["status"], "sent");
    assert_eq!(second["deliveries"][0]["status"], "deduplicated");
    assert_eq!(second["deliveries"][0]["url"], first["deliveries"][0]["url"], "same URL");
    assert_eq!(mail_to(&customer).await.len(), 1, "no second message");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn twenty_concurrent_sends_to_one_recipient_produce_exactly_one_message() {
    let (server, merchant) = ready(on_real_adapters().await).await;
    let server = Arc::new(server);
    let link = link_for(&server, &merchant, order_link("SO-burst")).await;
    let to = email_to("burst");
    let path = format!("/links/{}/email", link["id"].as_str().unwrap());
    let sends = (0..20).map(|_| {
        let (server, merchant, path, to) = (server.clone(), merchant.clone(), path.clone(), to.clone());
        tokio::spawn(async move {
            server.call(&merchant, "POST", &path, Some(json!({"recipients": [{"email": to}]}))).await
        })
    });
    let mut statuses = Vec::new();
    for send in sends {
        let reply = send.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        statuses.push(reply.json()["deliveries"][0]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(statuses.iter().filter(|s| *s == "sent").count(), 1, "{statuses:?}");
    assert_eq!(mail_to(&to).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_sms_carries_the_short_url_and_text_to_pay_makes_and_texts_a_link() {
    let (server, merchant) = ready(on_real_adapters().await).await;
    let link = link_for(&server, &merchant, order_link("SO-sms")).await;
    let number = phone();
    let reply = server
        .call(
            &merchant,
            "POST",
            &format!("/links/{}/sms", link["id"].as_str().unwrap()),
            Some(json!({"recipients": [{"phone": number}]})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let delivery = &reply.json()["deliveries"][0];
    assert_eq!(delivery["status"], "sent");
    assert_eq!(delivery["segments"], 1);
    let short_url = delivery["url"].as_str().unwrap();
    assert!(short_url.starts_with(&server.url("/p/")));
    let texts = sms_to(&number).await;
    assert!(!texts.is_empty() && texts.iter().any(|t| t.to_string().contains(short_url)), "{texts:?}");
    assert_eq!(server.open(short_url).await.status, StatusCode::SEE_OTHER);

    let other = phone();
    let paid = server
        .call(
            &merchant,
            "POST",
            "/text-to-pay",
            Some(json!({"phone": other, "amount": 4200, "currency": "usd", "description": "Deposit"})),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{}", paid.text);
    let paid = paid.json();
    assert_eq!(paid["amount"], 4200);
    assert_eq!(paid["delivery"]["status"], "sent");
    assert!(sms_to(&other).await.iter().any(|t| t.to_string().contains(paid["delivery"]["url"].as_str().unwrap())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_ses_rejects_ends_as_a_failed_delivery_and_frees_the_window() {
    // moto's SES rejects mail from an identity nobody verified, as SES does.
    let server = on_real_adapters_sending_as("nobody@unverified.example.net").await;
    let (server, merchant) = ready(server).await;
    let link = link_for(&server, &merchant, order_link("SO-reject")).await;
    let to = email_to("rejected");
    let path = format!("/links/{}/email", link["id"].as_str().unwrap());
    for _ in 0..2 {
        let reply = server.call(&merchant, "POST", &path, Some(json!({"recipients": [{"email": to}]}))).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let delivery = &reply.json()["deliveries"][0];
        assert_eq!(delivery["status"], "failed", "a retry sends again rather than being deduplicated");
        assert_eq!(delivery["error"], "message_rejected");
    }
    assert!(mail_to(&to).await.is_empty());
    let detail = server.call(&merchant, "GET", &format!("/links/{}", link["id"].as_str().unwrap()), None).await.json();
    assert_eq!(detail["deliveries"][0]["status"], "failed");
}

#[test]
fn the_default_sms_fits_one_gsm7_segment_for_the_longest_merchant_name() {
    use paylinks::domain::{Amount, Settings};
    let settings = Settings { display_name: "W".repeat(Settings::MAX_DISPLAY_NAME), ..Settings::default() };
    let mut link = paylinks_tests::contract::link(&paylinks_tests::contract::merchant("m"), Some("SO-1"));
    link.amount = Amount::parse(Amount::MAX).unwrap();
    link.name = "N".repeat(200);
    let url = "https://pay.example-merchant-payments.com/p/Ab3dE9xQ2kZ";
    let text = paylinks::messages::sms(&settings, &link, url).unwrap();
    assert!(text.contains(url));
    assert!(text.len() <= 160, "{} characters: {text}", text.len());
    assert_eq!(paylinks::messages::sms_segments(&text), 1);
    let custom = Settings {
        sms_template: Some(paylinks::domain::SmsTemplate { text: "{{ merchant }} ".repeat(5) + "{{ url }}" }),
        ..settings
    };
    let long = paylinks::messages::sms(&custom, &link, url).unwrap();
    assert_eq!(paylinks::messages::sms_segments(&long), 2, "a long custom template is said to need more");
}

#[tokio::test]
async fn bad_sends_get_the_spec_codes() {
    let (server, merchant) = ready(embedded().await).await;
    let link = link_for(&server, &merchant, order_link("SO-bad-send")).await;
    let path = format!("/links/{}/email", link["id"].as_str().unwrap());
    let reply = server.call(&merchant, "POST", &path, Some(json!({"recipients": [{"email": "nope"}]}))).await;
    assert_eq!(
        (reply.status, reply.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("recipients.0.email"))
    );
    let many: Vec<Value> = (0..51).map(|i| json!({"email": format!("r{i}@example.com")})).collect();
    let reply = server.call(&merchant, "POST", &path, Some(json!({"recipients": many}))).await;
    assert_eq!(
        (reply.status, reply.json()["error"]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("recipients"))
    );
    let sms_path = format!("/links/{}/sms", link["id"].as_str().unwrap());
    let reply = server.call(&merchant, "POST", &sms_path, Some(json!({"recipients": [{"phone": "555-1234"}]}))).await;
    assert_eq!(reply.json()["error"]["field"], "recipients.0.phone");
    let reply = server
        .call(
            &merchant,
            "POST",
            "/text-to-pay",
            Some(json!({"phone": "+14155550100", "amount": -1, "currency": "usd", "description": "x"})),
        )
        .await;
    assert_eq!(reply.json()["error"]["field"], "amount");

    let stranger = unique("stranger");
    assert_eq!(server.call(&stranger, "POST", &path, None).await.status, StatusCode::NOT_FOUND);

    server
        .call(&merchant, "PATCH", &format!("/links/{}", link["id"].as_str().unwrap()), Some(json!({"active": false})))
        .await;
    let reply = server.call(&merchant, "POST", &path, None).await;
    assert_eq!((reply.status, reply.error_code().as_str()), (StatusCode::CONFLICT, "link_not_active"));
}

#[tokio::test]
async fn the_outbox_shows_both_parts_and_names_come_out_inert() {
    let server = embedded().await;
    let merchant = server.running.dev_merchant.clone();
    let mut body = order_link("SO-outbox");
    body.as_object_mut().unwrap().remove("landing_page_url");
    body["customer"]["name"] = json!("<script>alert(1)</script>");
    let link = link_for(&server, &merchant, body).await;
    let reply = server.call(&merchant, "POST", &format!("/links/{}/email", link["id"].as_str().unwrap()), None).await;
    let url = reply.json()["deliveries"][0]["url"].as_str().unwrap().to_string();
    server.call(&merchant, "POST", &format!("/links/{}/sms", link["id"].as_str().unwrap()), None).await;
    let outbox = std::fs::read_to_string(server.outbox_file()).unwrap();
    let lines: Vec<Value> = outbox.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    let email = &lines[0];
    assert_eq!(email["channel"], "email");
    assert_eq!(email["to"], "ada@example.com");
    assert_eq!(email["url"], url);
    let html = email["html"].as_str().unwrap();
    // The URL a reader copies by hand is the delivery's short one: a token URL cannot wrap on a phone.
    let short = format!("{}/p/", server.running.base_url);
    assert!(email["text"].as_str().unwrap().contains(&short), "the plain-text part: {}", email["text"]);
    // minijinja escapes `/` in HTML: compare the code after `/p/`.
    let code = email["text"].as_str().unwrap().split("/p/").nth(1).unwrap().split_whitespace().next().unwrap();
    assert!(html.contains(&format!("p&#x2f;{code}")), "and the HTML's copy-this-link line: {html}");
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"), "escaped");
    assert_eq!(lines[1]["channel"], "sms");
    assert_eq!(lines[1]["to"], "+14155550123");
    assert!(lines[1]["text"].as_str().unwrap().len() <= 160);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_number_that_opted_out_gets_no_sms_and_the_delivery_says_so() {
    let (server, merchant) = ready(on_real_adapters().await).await;
    let link = link_for(&server, &merchant, order_link("SO-stop")).await;
    // moto treats numbers ending in 99 as opted out.
    let opted_out = "+14155550199";
    let reply = server
        .call(
            &merchant,
            "POST",
            &format!("/links/{}/sms", link["id"].as_str().unwrap()),
            Some(json!({"recipients": [{"phone": opted_out}]})),
        )
        .await;
    let delivery = &reply.json()["deliveries"][0];
    assert_eq!((delivery["status"].as_str(), delivery["error"].as_str()), (Some("failed"), Some("opted_out")));
    assert!(sms_to(opted_out).await.is_empty());
}
