//! Secrets at rest (SPEC I3): notification channels' addresses and signing
//! secrets, the acknowledgement-link key and generic integrations' signing
//! keys are stored sealed with XChaCha20-Poly1305 under a key that lives
//! only in the Worker secret [`KEY_BINDING`], so a copy of D1 alone holds no
//! usable secret.
//!
//! A sealed value is `sealed:v1:` and the hex of a 24-byte random nonce
//! followed by the ciphertext and its tag. What the value is for is bound as
//! associated data, so a sealed channel secret cannot be moved into another
//! column and opened there. Values stored before sealing existed read as
//! they are until the cron seals them ([`is_sealed`] tells them apart).

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

/// The Worker secret that holds the key: 64 hex digits (32 bytes). Set it
/// with `wrangler secret put BEACON_SECRETS_KEY`; `cargo xtask` writes a
/// generated one to `.dev.vars` for `wrangler dev`.
pub const KEY_BINDING: &str = "BEACON_SECRETS_KEY";

/// Bytes of random nonce each sealing takes.
pub const NONCE_BYTES: usize = 24;

const PREFIX: &str = "sealed:v1:";

/// What a sealed value is, bound into its seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedPurpose {
    /// A notification channel's address (a Slack webhook URL is a credential).
    ChannelUrl,
    /// The secret a notification channel signs its bodies with.
    ChannelSecret,
    /// The key that signs acknowledgement links.
    AckLinkKey,
    /// The HMAC key a generic integration's deliveries are signed with.
    IntegrationSigningKey,
}

impl SealedPurpose {
    fn associated_data(self) -> &'static [u8] {
        match self {
            SealedPurpose::ChannelUrl => b"beacon/notification_channels.url",
            SealedPurpose::ChannelSecret => b"beacon/notification_channels.secret",
            SealedPurpose::AckLinkKey => b"beacon/settings.ack_link_key",
            SealedPurpose::IntegrationSigningKey => b"beacon/integrations.signing_key",
        }
    }
}

/// Why the key or a sealed value could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the Worker secret {KEY_BINDING} is not set")]
    MissingKey,
    #[error("the Worker secret {KEY_BINDING} must be 64 hex digits")]
    MalformedKey,
    #[error(
        "a sealed value does not open with {KEY_BINDING}: wrong key, or the value was changed"
    )]
    DoesNotOpen,
}

/// The key every secret at rest is sealed with. It never prints.
#[derive(Clone)]
pub struct SecretsKey(Key);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(..)")
    }
}

impl SecretsKey {
    /// The key from the Worker secret's text: 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, SealError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| SealError::MalformedKey)?;
        Ok(Self(Key::from(bytes)))
    }

    /// `plain` sealed for `purpose` with a fresh random `nonce`.
    pub fn seal(&self, purpose: SealedPurpose, plain: &str, nonce: [u8; NONCE_BYTES]) -> String {
        let cipher = XChaCha20Poly1305::new(&self.0);
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.associated_data(),
                },
            )
            .expect("XChaCha20-Poly1305 seals any value that fits in memory");
        let mut out = String::with_capacity(PREFIX.len() + 2 * (NONCE_BYTES + sealed.len()));
        out.push_str(PREFIX);
        out.push_str(&hex::encode(nonce));
        out.push_str(&hex::encode(sealed));
        out
    }

    /// The value `stored` holds: opened if sealed (for `purpose` only), as
    /// it is if it was stored before sealing existed.
    pub fn open(&self, purpose: SealedPurpose, stored: &str) -> Result<String, SealError> {
        let Some(sealed_hex) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let bytes = hex::decode(sealed_hex).map_err(|_| SealError::DoesNotOpen)?;
        if bytes.len() < NONCE_BYTES {
            return Err(SealError::DoesNotOpen);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let cipher = XChaCha20Poly1305::new(&self.0);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.associated_data(),
                },
            )
            .map_err(|_| SealError::DoesNotOpen)?;
        String::from_utf8(plain).map_err(|_| SealError::DoesNotOpen)
    }
}

/// Whether `stored` is sealed (rather than a value kept from before sealing).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_HEX: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    fn key() -> SecretsKey {
        SecretsKey::parse(KEY_HEX).unwrap()
    }

    /// SPEC I3: a sealed value holds nothing of the secret and opens to it.
    #[test]
    fn a_sealed_value_opens_to_the_secret_and_shows_none_of_it() {
        let url = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX";
        let sealed = key().seal(SealedPurpose::ChannelUrl, url, [7; NONCE_BYTES]);
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("hooks.slack.com"));
        assert!(!sealed.contains(&hex::encode(url)));
        assert_eq!(key().open(SealedPurpose::ChannelUrl, &sealed).unwrap(), url);
    }

    /// Two seals of one secret differ (each has its own nonce).
    #[test]
    fn each_seal_has_its_own_nonce() {
        let a = key().seal(SealedPurpose::AckLinkKey, "k", [1; NONCE_BYTES]);
        let b = key().seal(SealedPurpose::AckLinkKey, "k", [2; NONCE_BYTES]);
        assert_ne!(a, b);
    }

    /// SPEC I3: the wrong key, another column's purpose or a changed byte
    /// does not open a sealed value.
    #[test]
    fn only_the_right_key_and_purpose_open_an_unchanged_value() {
        let sealed = key().seal(SealedPurpose::ChannelSecret, "s3cret", [9; NONCE_BYTES]);
        let other_key = SecretsKey::parse(&"ab".repeat(32)).unwrap();
        assert_eq!(
            other_key.open(SealedPurpose::ChannelSecret, &sealed),
            Err(SealError::DoesNotOpen)
        );
        assert_eq!(
            key().open(SealedPurpose::ChannelUrl, &sealed),
            Err(SealError::DoesNotOpen)
        );
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'0' { b'1' } else { b'0' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_eq!(
            key().open(SealedPurpose::ChannelSecret, &tampered),
            Err(SealError::DoesNotOpen)
        );
        assert_eq!(
            key().open(SealedPurpose::ChannelSecret, "sealed:v1:zz"),
            Err(SealError::DoesNotOpen)
        );
    }

    /// A value stored before sealing reads as it is, until the cron seals it.
    #[test]
    fn a_value_from_before_sealing_reads_as_it_is() {
        assert!(!is_sealed("https://example.test/hook"));
        assert_eq!(
            key()
                .open(SealedPurpose::ChannelUrl, "https://example.test/hook")
                .unwrap(),
            "https://example.test/hook"
        );
    }

    #[test]
    fn the_key_is_64_hex_digits_and_never_printed() {
        assert_eq!(
            SecretsKey::parse("abc").unwrap_err(),
            SealError::MalformedKey
        );
        assert_eq!(
            SecretsKey::parse(&"g".repeat(64)).unwrap_err(),
            SealError::MalformedKey
        );
        assert_eq!(format!("{:?}", key()), "SecretsKey(..)");
    }
}
