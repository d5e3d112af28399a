use std::collections::HashMap;

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

use super::ApiError;
use paylinks::domain::MerchantId;

/// The merchant calling: the API Gateway JWT authorizer has verified the token; its
/// `merchant_id` claim names the merchant, or `sub` when that claim is absent.
pub fn merchant_of(request: &Request) -> Result<MerchantId, ApiError> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.authorizer.as_ref().and_then(|a| a.jwt.as_ref()).map(|j| &j.claims)
        }
        _ => None,
    };
    let claims = claims.ok_or_else(ApiError::unauthorized)?;
    let id = claims.get("merchant_id").or_else(|| claims.get("sub")).ok_or_else(ApiError::unauthorized)?;
    let merchant = MerchantId::parse(id).map_err(|_| ApiError::unauthorized())?;
    paylinks::logging::record_merchant(&merchant);
    Ok(merchant)
}

/// Puts verified claims where API Gateway puts them: the local server (after checking the bearer
/// token itself) and handler tests call the same handlers the Lambdas run.
pub fn with_merchant_claims(request: Request, claims: HashMap<String, String>) -> Request {
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims;
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut context = api_gateway_context(&request);
    context.authorizer = Some(authorizer);
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}

/// The request's API Gateway (HTTP API) context, or a new one.
fn api_gateway_context(request: &Request) -> ApiGatewayV2httpRequestContext {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.clone(),
        _ => ApiGatewayV2httpRequestContext::default(),
    }
}

/// The caller's address as API Gateway saw it (`sourceIp`, from the connection: not a header a
/// caller can set); none when no gateway said.
pub fn client_address(request: &Request) -> Option<&str> {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.as_deref(),
        _ => None,
    }
}

/// Puts a caller's address where API Gateway puts it: the local server does, from the
/// `X-Forwarded-For` a test or a proxy in front of it sends.
pub fn with_client_address(request: Request, address: String) -> Request {
    let mut context = api_gateway_context(&request);
    context.http.source_ip = Some(address);
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}
