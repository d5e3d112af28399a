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
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.authorizer = Some(authorizer);
    request.with_request_context(RequestContext::ApiGatewayV2(context))
}
