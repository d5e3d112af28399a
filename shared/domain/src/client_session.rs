//! A reusable link's Checkout Session, kept for the customer who opened it: the same browser
//! opening the same product link again within a few minutes goes back to its session instead of
//! having Stripe mint another (a reload, a back button, a double tap). The browser is known by a
//! random cookie of ours (never by its address or user agent, which many people share behind one
//! network), with the delivery it came through, hashed: nothing that names a person is kept.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{DeliveryId, LinkId, OpenSession, PaymentChoice, Timestamp};

/// How long a customer's session is handed back to them.
pub const CLIENT_SESSION_REUSE_SECONDS: i64 = 600;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSession {
    pub link_id: LinkId,
    /// `ClientSession::client_key` of the browser that opened it.
    pub client: String,
    pub session: OpenSession,
    /// The link's version when the session was made: a payment through the link (or any change
    /// of it) since, and the session is not handed back (it may be the one just paid).
    pub link_version: u64,
    pub made_at: Timestamp,
    /// When the store may forget it (DynamoDB TTL).
    pub purge_at: Timestamp,
}

impl ClientSession {
    /// A browser, as a key: our cookie's value and the delivery it came through, hashed.
    pub fn client_key(cookie: &str, delivery: Option<&DeliveryId>) -> String {
        let delivery = delivery.map(DeliveryId::as_str).unwrap_or_default();
        let digest = Sha256::digest(format!("{cookie}\n{delivery}").as_bytes());
        hex::encode(&digest[..16])
    }

    pub fn new(link_id: LinkId, client: String, session: OpenSession, link_version: u64, now: Timestamp) -> Self {
        let purge_at = now.plus_seconds(CLIENT_SESSION_REUSE_SECONDS + 3600);
        Self { link_id, client, session, link_version, made_at: now, purge_at }
    }

    /// The session, while it is the one to hand back for `choice` on the link at `link_version`:
    /// made within the reuse window, for the same choice, the link unchanged (unpaid) since, and
    /// not about to close.
    pub fn reusable(&self, choice: PaymentChoice, link_version: u64, now: Timestamp) -> Option<&OpenSession> {
        let fresh = self.made_at.plus_seconds(CLIENT_SESSION_REUSE_SECONDS) > now;
        let open = self.session.expires_at > now.plus_seconds(60);
        let same = self.session.choice == choice && self.link_version == link_version;
        (fresh && open && same).then_some(&self.session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SessionId;

    #[test]
    fn a_clients_session_is_handed_back_only_within_the_window_and_for_the_same_choice() {
        let now = Timestamp::from_unix(1_800_000_000);
        let session = OpenSession {
            id: SessionId::parse("cs_test_client").unwrap(),
            url: "https://checkout/cs_test_client".into(),
            expires_at: now.plus_seconds(3600),
            choice: PaymentChoice::default(),
            made_for: None,
        };
        let client = ClientSession::client_key("cookie-a", None);
        assert_ne!(client, ClientSession::client_key("cookie-b", None));
        let kept = ClientSession::new(LinkId::generate(), client, session, 3, now);
        assert!(kept.reusable(PaymentChoice::default(), 3, now.plus_seconds(599)).is_some());
        assert!(kept.reusable(PaymentChoice::default(), 3, now.plus_seconds(600)).is_none());
        assert!(kept.reusable(PaymentChoice::default(), 4, now).is_none(), "paid (or changed) since");
        let other = PaymentChoice { price: crate::Amount::parse(500).ok(), ..PaymentChoice::default() };
        assert!(kept.reusable(other, 3, now).is_none());
    }
}
