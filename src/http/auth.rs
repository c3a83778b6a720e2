//! Bearer-token authentication for `/api/v1`: the middleware that resolves the token to an
//! identity on every request, and the `Caller` extractor handlers use to check permissions.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use crate::domain::access::Identity;
use crate::error::{AppError, Code};

/// Rejects requests without a live token (401) and attaches the caller's identity.
pub async fn require_token(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let identity = app.authenticate(header).await?;
    tracing::Span::current().record("caller", identity.name.as_str());
    request.extensions_mut().insert(identity);
    Ok(next.run(request).await)
}

/// The authenticated caller of a request behind [`require_token`].
pub struct Caller(pub Identity);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Identity>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| AppError::new(Code::Unauthorized, "需要访问令牌"))
    }
}
