//! Every API error, and the one place that maps each to an HTTP status and JSON body.

use beacon_shared::api::{ErrorBody, ErrorDetail};

/// What went wrong with a request, in terms the caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("a valid bearer token is required")]
    Unauthorized,
    /// A signed webhook whose signature is missing, stale or wrong (401).
    #[error("{0}")]
    BadSignature(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    /// A list in the body longer than its limit (413), naming the field.
    #[error("{message}")]
    TooMany { field: String, message: String },
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    #[error("{message}")]
    InvalidField { field: String, message: String },
    #[error("{message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    #[error("storage is unavailable, try again")]
    StoreUnavailable(String),
    /// A failure that is not the caller's and not storage's: a bug, or stored
    /// data that does not parse. The detail is for logs only.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The one answer for an incident or alert that does not exist or that
    /// the reader may not see (K3): the same 404 body whichever it is, so the
    /// answer never tells whether a hidden alert or incident exists.
    pub const NOT_VISIBLE: ApiError = ApiError::NotFound {
        what: "incident or alert",
    };

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::InvalidField {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status code for this error.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized | ApiError::BadSignature(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::PayloadTooLarge { .. } | ApiError::TooMany { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::MalformedJson(_) => 400,
            ApiError::InvalidField { .. } => 422,
            ApiError::StoreUnavailable(_) => 503,
            ApiError::Internal(_) => 500,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadSignature(_) => "bad_signature",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound { .. } => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge { .. } | ApiError::TooMany { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::StoreUnavailable(_) => "store_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The JSON body: `{"error": {"code", "message", "field"}}`.
    pub fn body(&self) -> ErrorBody {
        let field = match self {
            ApiError::InvalidField { field, .. } | ApiError::TooMany { field, .. } => {
                Some(field.clone())
            }
            ApiError::Conflict { field, .. } => field.clone(),
            _ => None,
        };
        let message = match self {
            // Internal details stay in the logs, not in the response.
            ApiError::StoreUnavailable(_) => "storage is unavailable, try again".to_owned(),
            ApiError::Internal(_) => "internal error; it has been logged".to_owned(),
            other => other.to_string(),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message,
                field,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_field_names_the_field() {
        let err = ApiError::invalid("title", "must not be empty");
        assert_eq!(err.status(), 422);
        let body = serde_json::to_value(err.body()).unwrap();
        assert_eq!(body["error"]["field"], "title");
        assert_eq!(body["error"]["code"], "invalid_field");
        assert_eq!(body["error"]["message"], "must not be empty");
    }

    #[test]
    fn store_details_are_not_leaked() {
        let err = ApiError::StoreUnavailable("D1_ERROR: no such table".into());
        assert_eq!(err.status(), 503);
        assert!(!err.body().error.message.contains("D1_ERROR"));
        let err = ApiError::Internal("timeline entry 7: unknown variant".into());
        assert_eq!(err.status(), 500);
        assert!(!err.body().error.message.contains("timeline entry 7"));
    }
}
