//! Checkout Sessions through Stripe's API (async-stripe), at `STRIPE_API_BASE`.

use std::collections::HashMap;
use std::str::FromStr;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use stripe::{AccountId, RequestStrategy, StripeError, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsAdjustableQuantity,
    CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionPhoneNumberCollection, CreateCheckoutSessionShippingAddressCollection,
    CreateCheckoutSessionShippingAddressCollectionAllowedCountries, ExpireCheckoutSession, ProductData,
};
use stripe_checkout::{CheckoutSessionBillingAddressCollection, CheckoutSessionMode};
use stripe_types::Currency as StripeCurrency;

use paylinks::domain::{CollectAddress, OpenSession, SessionId, StripeAccount, Timestamp};
use paylinks::ports::{Checkout, CheckoutError, NewCheckoutSession};

/// Countries offered for a shipping address when a link asks for one.
const SHIPPING_COUNTRIES: &[&str] = &[
    "US", "CA", "GB", "IE", "AU", "NZ", "DE", "FR", "ES", "IT", "NL", "BE", "AT", "SE", "DK", "NO", "FI", "CH", "PT",
    "PL", "JP", "SG",
];

pub struct StripeCheckout {
    client: stripe::Client,
}

impl std::fmt::Debug for StripeCheckout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StripeCheckout")
    }
}

impl StripeCheckout {
    /// `api_base` is `https://api.stripe.com` in production; tests point it at a local server.
    pub fn new(secret_key: &SecretString, api_base: &str) -> Result<Self, StripeError> {
        let base = if api_base.ends_with('/') { api_base.to_string() } else { format!("{api_base}/") };
        let client = stripe::ClientBuilder::new(secret_key.expose_secret())
            .url(base)
            .timeout(paylinks::budgets::STRIPE.attempt)
            .build()?;
        Ok(Self { client })
    }
}

fn unavailable(err: StripeError) -> CheckoutError {
    if let StripeError::Stripe(errors, 400) = &err
        && errors.type_.as_str() == "idempotency_error"
    {
        return CheckoutError::IdempotencyConflict;
    }
    // Stripe's messages can echo request parameters (a customer's email): what reaches the log
    // says what kind of failure it was, and nothing the customer typed.
    let summary = match &err {
        StripeError::Stripe(errors, status) => format!(
            "Stripe answered {status} ({}{})",
            errors.type_.as_str(),
            errors.code.as_ref().map(|c| format!(", {}", c.as_str())).unwrap_or_default()
        ),
        StripeError::Timeout => "Stripe did not answer in time".to_string(),
        StripeError::ClientError(_) => "Stripe could not be reached".to_string(),
        StripeError::JSONDeserialize(_) => "Stripe's answer could not be read".to_string(),
        StripeError::ConfigError(_) => "the Stripe client is misconfigured".to_string(),
    };
    CheckoutError::Unavailable(summary.into())
}

fn line_item(currency: &StripeCurrency, line: &paylinks::ports::CheckoutLine) -> CreateCheckoutSessionLineItems {
    let mut price = CreateCheckoutSessionLineItemsPriceData::new(currency.clone());
    price.unit_amount = Some(line.unit_amount.minor());
    price.product_data = Some(ProductData {
        name: line.name.clone(),
        description: None,
        images: None,
        metadata: None,
        tax_code: None,
        tax_details: None,
        unit_label: None,
    });
    if let Some(interval) = line.recurring {
        price.recurring = Some(CreateCheckoutSessionLineItemsPriceDataRecurring::new(
            interval
                .parse::<stripe_checkout::checkout_session::CreateCheckoutSessionLineItemsPriceDataRecurringInterval>()
                .unwrap_or_else(|never| match never {}),
        ));
    }
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(price);
    item.quantity = Some(u64::from(line.quantity));
    if let Some((minimum, maximum)) = line.adjustable_quantity {
        let mut adjustable = CreateCheckoutSessionLineItemsAdjustableQuantity::new(true);
        adjustable.minimum = Some(i64::from(minimum));
        adjustable.maximum = Some(i64::from(maximum));
        item.adjustable_quantity = Some(adjustable);
    }
    item
}

#[async_trait]
impl Checkout for StripeCheckout {
    async fn create_session(&self, request: &NewCheckoutSession) -> Result<OpenSession, CheckoutError> {
        let currency = StripeCurrency::from_str(request.currency.code()).unwrap_or_else(|never| match never {});
        let mut metadata = HashMap::from([
            ("link_id".to_string(), request.link_id.to_string()),
            ("merchant_id".to_string(), request.merchant_id.to_string()),
        ]);
        if let Some(delivery) = &request.delivery_id {
            metadata.insert("delivery_id".to_string(), delivery.to_string());
        }
        let mode = if request.subscription { CheckoutSessionMode::Subscription } else { CheckoutSessionMode::Payment };
        let mut create = CreateCheckoutSession::new()
            .mode(mode)
            .line_items(request.lines.iter().map(|l| line_item(&currency, l)).collect::<Vec<_>>())
            .success_url(&request.success_url)
            .cancel_url(&request.cancel_url)
            .expires_at(request.expires_at.unix())
            .client_reference_id(request.link_id.as_str())
            .metadata(metadata);
        if let Some(email) = &request.customer_email {
            create = create.customer_email(email);
        }
        if request.allow_promotion_codes {
            create = create.allow_promotion_codes(true);
        }
        if request.require_phone {
            create = create.phone_number_collection(CreateCheckoutSessionPhoneNumberCollection::new(true));
        }
        match request.collect_address {
            CollectAddress::None => {}
            CollectAddress::Billing => {
                create = create.billing_address_collection(CheckoutSessionBillingAddressCollection::Required);
            }
            CollectAddress::Shipping => {
                let countries = SHIPPING_COUNTRIES
                    .iter()
                    .filter_map(|c| CreateCheckoutSessionShippingAddressCollectionAllowedCountries::from_str(c).ok())
                    .collect::<Vec<_>>();
                create = create.shipping_address_collection(CreateCheckoutSessionShippingAddressCollection {
                    allowed_countries: countries,
                });
            }
        }
        let key = stripe::IdempotencyKey::new(&request.idempotency_key)
            .map_err(|err| CheckoutError::Unavailable(Box::new(err)))?;
        let mut call = create.customize().request_strategy(RequestStrategy::Idempotent(key));
        if let Some(account) = &request.account {
            call = call.account_id(AccountId::from(account.as_str()));
        }
        let session = call.send(&self.client).await.map_err(unavailable)?;
        let url = session
            .url
            .ok_or_else(|| CheckoutError::Unavailable("Stripe returned a Checkout Session without a url".into()))?;
        Ok(OpenSession {
            id: SessionId::parse(session.id.as_str()).map_err(|e| CheckoutError::Unavailable(Box::new(e)))?,
            url,
            expires_at: Timestamp::from_unix(session.expires_at),
        })
    }

    async fn expire_session(&self, account: Option<&StripeAccount>, session: &SessionId) -> Result<(), CheckoutError> {
        let mut call = ExpireCheckoutSession::new(session.as_str()).customize();
        if let Some(account) = account {
            call = call.account_id(AccountId::from(account.as_str()));
        }
        match call.send(&self.client).await {
            Ok(_) => Ok(()),
            // Already complete or expired: nothing is open any more, which is what was asked.
            Err(StripeError::Stripe(_, 400)) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }
}

impl StripeCheckout {
    /// From `STRIPE_SECRET_KEY` and `STRIPE_API_BASE` (default `https://api.stripe.com`).
    pub fn from_env() -> Result<Self, paylinks::config::ConfigError> {
        let key = SecretString::from(paylinks::config::required("STRIPE_SECRET_KEY")?);
        let base =
            paylinks::config::optional("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".to_string());
        Self::new(&key, &base).map_err(|_| paylinks::config::ConfigError::new("STRIPE_API_BASE", "is not a usable URL"))
    }
}
