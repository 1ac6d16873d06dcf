//! Who may act: every action needs `Authorization: Bearer <token>`, compared in constant time.

use super::api::{Api, ApiError};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use std::sync::Arc;

/// Taken by every action handler: the request carried the dashboard's token.
pub(super) struct Authorized;

impl FromRequestParts<Arc<Api>> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, api: &Arc<Api>) -> Result<Self, ApiError> {
        let Some(token) = api.token() else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "actions are disabled: no dashboard token is configured; set JOBS_DASHBOARD_TOKEN \
                 or `Builder::dashboard_token` and send it as `Authorization: Bearer <token>`",
            ));
        };
        let given = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match given {
            Some(given) if same(given.trim().as_bytes(), token.as_bytes()) => Ok(Self),
            Some(_) => Err(ApiError::unauthorized(
                "the bearer token does not match the dashboard's",
            )),
            None => Err(ApiError::unauthorized(
                "this action needs the dashboard's token as `Authorization: Bearer <token>`",
            )),
        }
    }
}

/// Whether `given` is `token`, in a time that depends only on their lengths, so that timing the
/// answers does not reveal the token byte by byte.
fn same(given: &[u8], token: &[u8]) -> bool {
    if given.len() != token.len() {
        return false;
    }
    let differ = given
        .iter()
        .zip(token)
        .fold(0u8, |differ, (a, b)| differ | (a ^ b));
    std::hint::black_box(differ) == 0
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn only_the_same_bytes_are_the_same() {
        assert!(same(b"s3cret", b"s3cret"));
        assert!(!same(b"s3cres", b"s3cret"));
        assert!(!same(b"s3cre", b"s3cret"));
        assert!(!same(b"", b"s3cret"));
    }
}
