//! How a post-incident rule refuses a change (SPEC I4): forbidden for the
//! actor's role, invalid input naming the field, or a conflict with the
//! record's current state. The worker maps the three to 403, 422 and 409.

/// The class of a refusal, with the offending field for invalid input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusalKind {
    /// The actor's role does not carry the permission (403).
    Forbidden,
    /// A field of the input is missing or wrong (422); `field` is its JSON
    /// path, e.g. `root_causes[1].summary`.
    Invalid { field: String },
    /// The record's state does not allow the change (409), e.g. publishing an
    /// unapproved report or verifying an item that is not done.
    Conflict,
}

/// An error of a post-incident rule that knows its class. `Display` is the
/// message for the caller.
pub trait Refusal: std::error::Error {
    fn refusal_kind(&self) -> RefusalKind;
}

/// Shorthand for [`RefusalKind::Invalid`].
pub(crate) fn invalid(field: impl Into<String>) -> RefusalKind {
    RefusalKind::Invalid {
        field: field.into(),
    }
}
