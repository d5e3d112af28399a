use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lambda_http::Request;
use secrecy::{ExposeSecret, SecretString};

/// Stands in for API Gateway's JWT authorizer: `Authorization: Bearer <HS256 JWT>` signed with
/// `MERCHANT_AUTH_SECRET`, the merchant in `merchant_id` or `sub`.
#[derive(Clone)]
pub struct MerchantAuth {
    secret: SecretString,
}

impl std::fmt::Debug for MerchantAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MerchantAuth(secret hidden)")
    }
}

impl MerchantAuth {
    pub fn new(secret: SecretString) -> Self {
        Self { secret }
    }

    /// A token for `merchant`, valid for 30 days.
    pub fn token_for(&self, merchant: &str) -> String {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let claims = serde_json::json!({"sub": merchant, "iat": now, "exp": now + 30 * 86_400});
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.secret.expose_secret().as_bytes()),
        )
        .expect("HS256 signing with an in-memory key cannot fail")
    }

    fn claims(&self, request: &Request) -> Option<HashMap<String, String>> {
        let header = request.headers().get("authorization")?.to_str().ok()?;
        let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer "))?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.required_spec_claims.clear();
        let key = DecodingKey::from_secret(self.secret.expose_secret().as_bytes());
        let data = jsonwebtoken::decode::<HashMap<String, serde_json::Value>>(token.trim(), &key, &validation).ok()?;
        // API Gateway hands claims on as strings.
        Some(
            data.claims
                .into_iter()
                .map(|(k, v)| (k, v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
                .collect(),
        )
    }

    /// The request with the verified claims attached, or untouched (the handler then answers 401).
    pub fn authorize(&self, request: Request) -> Request {
        match self.claims(&request) {
            Some(claims) => paylinks_http::with_merchant_claims(request, claims),
            None => request,
        }
    }
}
