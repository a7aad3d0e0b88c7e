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

/// A body collected chunk by chunk as it is read, counting every byte: a
/// body sent without `Content-Length` (chunked) is held to the same limit.
/// It keeps at most [`MAX_BODY_BYTES`] and only counts the rest, so the
/// reader can drain the stream to its end (workerd restarts a worker that
/// answers while the request stream is still open) without holding it.
#[derive(Debug, Default)]
pub struct CountedBody {
    kept: Vec<u8>,
    read: u64,
}

impl CountedBody {
    /// Adds a chunk as read from the request.
    pub fn push(&mut self, chunk: &[u8]) {
        self.read = self.read.saturating_add(chunk.len() as u64);
        if self.read <= MAX_BODY_BYTES as u64 {
            self.kept.extend_from_slice(chunk);
        }
    }

    /// Whether more than [`MAX_BODY_BYTES`] have been read.
    pub fn too_large(&self) -> bool {
        self.read > MAX_BODY_BYTES as u64
    }

    /// The whole body, or 413 when more than [`MAX_BODY_BYTES`] were read.
    pub fn finish(self) -> Result<Vec<u8>, ApiError> {
        if self.too_large() {
            Err(ApiError::PayloadTooLarge {
                limit: MAX_BODY_BYTES,
            })
        } else {
            Ok(self.kept)
        }
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
    // A value keeps the last of repeated keys; the body must not repeat one.
    if let Some((field, key)) = repeated_key(body) {
        return Err(ApiError::invalid(field, format!("duplicate field `{key}`")));
    }
    serde_path_to_error::deserialize(json).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::invalid(field, strip_position(&err.into_inner().to_string()))
    })
}

/// The first key repeated within one object of `body` (well-formed JSON), as
/// its path (`facts.scope`, `alerts[1].labels.job`) and the key itself.
fn repeated_key(body: &[u8]) -> Option<(String, String)> {
    /// An open object (its path, the keys seen, whether a key comes next) or array.
    enum Open {
        Object {
            path: String,
            keys: Vec<String>,
            key_next: bool,
        },
        Array {
            path: String,
            index: usize,
        },
    }
    /// The path of a value opened inside `parent`.
    fn child_path(parent: Option<&Open>) -> String {
        let join = |path: &str, key: &str| {
            if path.is_empty() {
                key.to_owned()
            } else {
                format!("{path}.{key}")
            }
        };
        match parent {
            Some(Open::Object { path, keys, .. }) => join(path, keys.last().map_or("", |k| k)),
            Some(Open::Array { path, index }) => format!("{path}[{index}]"),
            None => String::new(),
        }
    }
    let mut open: Vec<Open> = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Open::Object {
                    path,
                    keys,
                    key_next: key_next @ true,
                }) = open.last_mut()
                {
                    let key = String::from_utf8_lossy(&body[start..i.min(body.len())]).into_owned();
                    if keys.contains(&key) {
                        let field = if path.is_empty() {
                            key.clone()
                        } else {
                            format!("{path}.{key}")
                        };
                        return Some((field, key));
                    }
                    keys.push(key);
                    *key_next = false;
                }
            }
            b'{' => {
                let path = child_path(open.last());
                open.push(Open::Object {
                    path,
                    keys: Vec::new(),
                    key_next: true,
                });
            }
            b'[' => {
                let path = child_path(open.last());
                open.push(Open::Array { path, index: 0 });
            }
            b'}' | b']' => {
                open.pop();
            }
            b',' => match open.last_mut() {
                Some(Open::Object { key_next, .. }) => *key_next = true,
                Some(Open::Array { index, .. }) => *index += 1,
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    None
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

    /// Bad input: a repeated key is refused with its path, not silently
    /// resolved to the last value.
    #[test]
    fn repeated_keys_are_refused_by_path() {
        /// A body, and the path and key it repeats, if any.
        type Case = (&'static [u8], Option<(&'static str, &'static str)>);
        let cases: [Case; 6] = [
            (br#"{"title":"a","title":"b"}"#, Some(("title", "title"))),
            (
                br#"{"title":"x","facts":{"scope":{"users":1,"users":2}}}"#,
                Some(("facts.scope.users", "users")),
            ),
            (
                br#"{"alerts":[{"labels":{"a":"1"}},{"labels":{"job":"x","job":"y"}}]}"#,
                Some(("alerts[1].labels.job", "job")),
            ),
            (br#"{"a":{"b":1},"b":{"b":2}}"#, None),
            (br#"{"a":""b":1,"a":2"}"#, None),
            (br#"[{"a":1},{"a":2}]"#, None),
        ];
        for (body, expected) in cases {
            let found = repeated_key(body);
            assert_eq!(
                found.as_ref().map(|(f, k)| (f.as_str(), k.as_str())),
                expected,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        let err = decode_json::<NewIncident>(br#"{"title":"a","title":"b"}"#).unwrap_err();
        assert_eq!(err, ApiError::invalid("title", "duplicate field `title`"));
    }

    #[test]
    fn empty_title_names_title() {
        let err = decode_json::<NewIncident>(br#"{"title":"   "}"#).unwrap_err();
        assert_eq!(err, ApiError::invalid("title", "must not be empty"));
    }

    /// SPEC I4: the limit counts the bytes read, chunk by chunk.
    #[test]
    fn a_body_is_limited_by_the_bytes_read() {
        let mut small = CountedBody::default();
        small.push(b"{\"a\":");
        small.push(b"1}");
        assert_eq!(small.finish().unwrap(), b"{\"a\":1}");
        let mut exact = CountedBody::default();
        for _ in 0..MAX_BODY_BYTES / 1024 {
            exact.push(&[b' '; 1024]);
        }
        assert!(!exact.too_large());
        assert_eq!(exact.finish().unwrap().len(), MAX_BODY_BYTES);
        let mut large = CountedBody::default();
        for _ in 0..600 {
            large.push(&[b' '; 1024]);
        }
        assert!(large.too_large());
        assert!(
            large.kept.len() <= MAX_BODY_BYTES,
            "the rest is only counted"
        );
        assert_eq!(large.finish().unwrap_err().status(), 413);
    }
}
