//! How the local server is put together: embedded defaults, or the real adapters when told to.

use std::sync::Arc;

use paylinks::config::{self, ConfigError, LinkConfig};
use paylinks::domain::random_base62;
use paylinks::ports::{Clock, Store, SystemClock};
use paylinks_dynamodb::{DynamoStore, create_table};
use paylinks_embedded::EmbeddedStore;
use secrecy::SecretString;

use crate::MerchantAuth;

pub enum StoreChoice {
    Embedded,
    Dynamo { client: aws_sdk_dynamodb::Client, table: String, create: bool },
}

impl StoreChoice {
    pub async fn build(&self) -> Result<Arc<dyn Store>, ConfigError> {
        match self {
            Self::Embedded => Ok(Arc::new(EmbeddedStore::new())),
            Self::Dynamo { client, table, create } => {
                if *create {
                    create_table(client, table).await.map_err(|e| ConfigError {
                        name: "TABLE_NAME",
                        problem: format!("could not be created: {e}"),
                    })?;
                }
                Ok(Arc::new(DynamoStore::new(client.clone(), table.clone())))
            }
        }
    }
}

/// Where emails and SMS go: the outbox file, or SES and SNS.
pub enum Messaging {
    Outbox {
        dir: std::path::PathBuf,
    },
    Aws {
        sdk: Box<aws_config::SdkConfig>,
        email_from: String,
        /// `SES_CONFIGURATION_SET`: the configuration set whose events reach `/ses/events`.
        configuration_set: Option<String>,
        ses: bool,
        sns: bool,
    },
}

pub enum Payments {
    Simulated,
    Stripe { secret_key: SecretString, api_base: String },
}

pub struct Options {
    pub port: u16,
    pub public_base_url: Option<String>,
    pub store: StoreChoice,
    pub payments: Payments,
    pub messaging: Messaging,
    pub merchant_auth: MerchantAuth,
    pub token_signing_secret: SecretString,
    pub webhook_secret: SecretString,
    pub link_config: LinkConfig,
    pub clock: Arc<dyn Clock>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A fresh secret for this run when none is configured: fine for a process that keeps its data
/// in memory, printed nowhere.
fn generated_secret(prefix: &str) -> SecretString {
    SecretString::from(format!("{prefix}{}", random_base62(43)))
}

impl Options {
    /// Embedded defaults for every part, on an OS-chosen port: what tests start from.
    pub fn embedded() -> Self {
        Self {
            port: 0,
            public_base_url: None,
            store: StoreChoice::Embedded,
            payments: Payments::Simulated,
            messaging: Messaging::Outbox { dir: "outbox".into() },
            merchant_auth: MerchantAuth::new(generated_secret("")),
            token_signing_secret: generated_secret(""),
            webhook_secret: generated_secret("whsec_"),
            link_config: LinkConfig::with_base_url("http://127.0.0.1"),
            clock: Arc::new(SystemClock),
        }
    }

    /// The SPEC's configuration: embedded defaults, `STORE=dynamodb`, `PAYMENTS=stripe`, and the
    /// same variables the functions read.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let mut options = Self::embedded();
        options.port = match var("PORT") {
            None => 3000,
            Some(p) => p.parse().map_err(|_| ConfigError { name: "PORT", problem: "must be a port number".into() })?,
        };
        options.public_base_url = var("PUBLIC_BASE_URL");
        if let Some(secret) = var("MERCHANT_AUTH_SECRET") {
            if secret.len() < paylinks::tokens::MIN_SECRET_BYTES {
                return Err(ConfigError { name: "MERCHANT_AUTH_SECRET", problem: "must be at least 32 bytes".into() });
            }
            options.merchant_auth = MerchantAuth::new(SecretString::from(secret));
        }
        if var("TOKEN_SIGNING_SECRET").is_some() {
            // Checked here so a weak secret stops the server as it would stop a function.
            config::link_tokens_from_env()?;
            options.token_signing_secret = SecretString::from(config::required("TOKEN_SIGNING_SECRET")?);
        }
        if let Some(secret) = var("STRIPE_WEBHOOK_SECRET") {
            options.webhook_secret = SecretString::from(secret);
        }
        options.link_config = LinkConfig::from_env_or_base(Some("http://127.0.0.1"))?;
        options.store = store_from_env().await?;
        options.messaging = messaging_from_env().await?;
        options.payments = payments_from_env()?;
        Ok(options)
    }
}

/// `STORE`: embedded, or DynamoDB (`TABLE_NAME`, made when `CREATE_TABLE=1`).
async fn store_from_env() -> Result<StoreChoice, ConfigError> {
    Ok(match var("STORE").as_deref() {
        None | Some("embedded") => StoreChoice::Embedded,
        Some("dynamodb") => {
            let sdk = paylinks_aws::sdk_config().await?;
            StoreChoice::Dynamo {
                client: paylinks_dynamodb::client(&sdk),
                table: config::table_name_from_env()?,
                create: var("CREATE_TABLE").as_deref() == Some("1"),
            }
        }
        Some(_) => return Err(ConfigError { name: "STORE", problem: "must be embedded or dynamodb".into() }),
    })
}

/// `MAILER=ses`, `SMS=sns`, or the outbox in `OUTBOX_DIR`.
async fn messaging_from_env() -> Result<Messaging, ConfigError> {
    let ses = var("MAILER").as_deref() == Some("ses");
    let sns = var("SMS").as_deref() == Some("sns");
    if !(ses || sns) {
        return Ok(Messaging::Outbox { dir: var("OUTBOX_DIR").unwrap_or_else(|| "outbox".into()).into() });
    }
    Ok(Messaging::Aws {
        sdk: Box::new(paylinks_aws::sdk_config().await?),
        email_from: if ses { config::required("EMAIL_FROM")? } else { String::new() },
        configuration_set: config::optional("SES_CONFIGURATION_SET"),
        ses,
        sns,
    })
}

/// `PAYMENTS`: simulated, or Stripe with `STRIPE_SECRET_KEY` (the default when a key is set).
fn payments_from_env() -> Result<Payments, ConfigError> {
    Ok(match (var("PAYMENTS").as_deref(), var("STRIPE_SECRET_KEY")) {
        (Some("simulated"), _) | (None, None) => Payments::Simulated,
        (Some("stripe") | None, Some(key)) => Payments::Stripe {
            secret_key: SecretString::from(key),
            api_base: var("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".into()),
        },
        (Some("stripe"), None) => {
            return Err(ConfigError { name: "STRIPE_SECRET_KEY", problem: "is not set".into() });
        }
        (Some(_), _) => return Err(ConfigError { name: "PAYMENTS", problem: "must be simulated or stripe".into() }),
    })
}
