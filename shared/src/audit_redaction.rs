//! Credentials never reach the audit log (SPEC I3): a notification channel's
//! webhook URL (a Slack incoming-webhook URL is itself the credential) keeps
//! only its scheme and host, and every secret, token or routing key is
//! replaced by [`REDACTED`], wherever it sits in a before/after snapshot.
//! Applied when a record is written and again when it is read, so records
//! written before this rule are shown redacted too.

use serde_json::Value;

/// What a withheld credential reads as.
pub const REDACTED: &str = "[redacted]";

/// Keys whose values are credentials in any snapshot.
const SECRET_KEYS: &[&str] = &[
    "secret",
    "secret_hash",
    "token",
    "token_hash",
    "routing_key",
    "link_key",
    "authorization",
];

/// Keys whose values are URLs that may carry a credential in their path or
/// query (webhook and channel URLs).
const URL_KEYS: &[&str] = &["url", "webhook_url"];

/// A webhook URL as the audit log shows it: `https://hooks.slack.com/[redacted]`;
/// an URL without a recognisable host is withheld whole.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return REDACTED.to_owned();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    if host.is_empty() || !scheme.chars().all(|c| c.is_ascii_alphabetic()) {
        return REDACTED.to_owned();
    }
    format!("{scheme}://{host}/{REDACTED}")
}

/// Redacts the credentials in a snapshot recorded for `action`, in place:
/// secrets everywhere; URLs in the records of notification channels and
/// integrations.
pub fn redact_snapshot(action: &str, snapshot: &mut Value) {
    let urls = action.starts_with("notification_channel") || action.starts_with("integration");
    redact_value(snapshot, urls);
}

fn redact_value(value: &mut Value, urls: bool) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                let key = key.to_ascii_lowercase();
                if SECRET_KEYS.contains(&key.as_str()) {
                    *inner = Value::String(REDACTED.to_owned());
                } else if urls && URL_KEYS.contains(&key.as_str()) {
                    if let Value::String(url) = inner {
                        *url = redact_url(url);
                    }
                } else {
                    redact_value(inner, urls);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_value(v, urls)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// SPEC I3: a Slack webhook URL keeps only its host in the audit log.
    #[test]
    fn webhook_urls_keep_only_their_host() {
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
            "https://hooks.slack.com/[redacted]"
        );
        assert_eq!(
            redact_url("https://user:pw@example.com:8443/hook?key=1"),
            "https://example.com:8443/[redacted]"
        );
        assert_eq!(redact_url("not a url"), REDACTED);
        assert_eq!(redact_url("https:///path"), REDACTED);
    }

    /// SPEC I3: secrets anywhere, channel URLs, but not other URLs.
    #[test]
    fn snapshots_lose_their_credentials() {
        let mut channel = json!({"format": "slack",
            "url": "https://hooks.slack.com/services/T/B/C", "secret": "bks_1"});
        redact_snapshot("notification_channel.create", &mut channel);
        assert_eq!(
            channel,
            json!({"format": "slack", "url": "https://hooks.slack.com/[redacted]",
                "secret": "[redacted]"})
        );
        let mut nested = json!({"items": [{"routing_key": "R1", "label": "x"}], "Token": "t"});
        redact_snapshot("anything.else", &mut nested);
        assert_eq!(
            nested,
            json!({"items": [{"routing_key": "[redacted]", "label": "x"}], "Token": "[redacted]"})
        );
        let mut evidence = json!({"url": "https://grafana.example.com/d/abc"});
        redact_snapshot("problem.rca", &mut evidence);
        assert_eq!(evidence["url"], "https://grafana.example.com/d/abc");
    }
}
