//! Reading request bodies: the size limit and JSON decoding that names the bad field.

use crate::error::ApiError;
use serde::de::DeserializeOwned;

/// Bodies larger than this are refused with 413 (512 KiB).
pub const MAX_BODY_BYTES: usize = 512 * 1024;

/// Refuses a body by its declared `Content-Length` before reading it.
pub fn check_declared_length(content_length: Option<&str>) -> Result<(), ApiError> {
    match content_length.and_then(|v| v.trim().parse::<u64>().ok()) {
        Some(len) if len > MAX_BODY_BYTES as u64 => Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        }),
        _ => Ok(()),
    }
}

/// Decodes a JSON body into `T`, refusing oversized bodies and naming the
/// JSON path of the first field that does not parse.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    // Parse once into a generic value, then read `T` from it: every request
    // type shares the one JSON parser, and only the value's reader is
    // instantiated per type, which keeps the worker small.
    let json: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    serde_path_to_error::deserialize(json).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid(field, strip_position(&err.into_inner().to_string()))
    })
}

/// serde_json appends " at line 1 column 42"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::api::NewIncident;

    #[test]
    fn names_the_nested_field() {
        let err = decode_json::<NewIncident>(
            br#"{"title":"x","facts":{"measurements":{"availability_global":120}}}"#,
        )
        .unwrap_err();
        match err {
            ApiError::InvalidField { field, message } => {
                assert_eq!(field, "facts.measurements.availability_global");
                assert!(message.contains("between 0 and 100"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn malformed_and_oversized_bodies() {
        assert!(matches!(
            decode_json::<NewIncident>(b"{\"title\":"),
            Err(ApiError::MalformedJson(_))
        ));
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(
            decode_json::<NewIncident>(&big),
            Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES
            })
        );
        assert!(check_declared_length(Some("1048576")).is_err());
        assert!(check_declared_length(Some("10")).is_ok());
    }

    #[test]
    fn empty_title_names_title() {
        let err = decode_json::<NewIncident>(br#"{"title":"   "}"#).unwrap_err();
        assert_eq!(err, ApiError::invalid("title", "must not be empty"));
    }
}
