//! The local inbox of `cargo xtask dev` (`BEACON_ENV=development` only): the
//! demo team's notification channels deliver to the worker itself
//! (`POST /dev/inbox/{channel}`), and `GET /dev/inbox` shows what arrived,
//! newest first, with the links each notification carries (acknowledge,
//! open the incident). Rendered with `maud`: nothing received reaches the
//! page unescaped, and only `http(s)` links become links.

use crate::error::ApiError;
use crate::request_body::decode_json;
use crate::stores::{DevInboxStore, InboxMessage};
use beacon_shared::time_format::format_utc_minutes;
use beacon_shared::triage::LinkUrl;
use beacon_shared::Timestamp;
use maud::{html, Markup, DOCTYPE};
use serde_json::Value;

#[cfg(test)]
mod tests;

/// How many notifications the page shows.
pub const INBOX_PAGE_SIZE: u32 = 100;

/// The longest channel name the inbox accepts.
const MAX_CHANNEL_CHARS: usize = 100;

/// `POST /dev/inbox/{channel}`: keeps a notification's JSON body as sent.
/// The channel is lower-case letters, digits, `-` and `_`; the body must be JSON.
pub async fn receive<S: DevInboxStore>(
    store: &S,
    channel: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), ApiError> {
    let valid = !channel.is_empty()
        && channel.len() <= MAX_CHANNEL_CHARS
        && channel
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid {
        return Err(ApiError::invalid(
            "channel",
            "a channel is 1 to 100 lower-case letters, digits, '-' or '_'",
        ));
    }
    let json: Value = decode_json(body)?;
    store
        .receive(&InboxMessage {
            channel: channel.to_owned(),
            received_at: now,
            body: json.to_string(),
        })
        .await?;
    Ok(())
}

/// One notification as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    pub channel: String,
    pub received_at: Timestamp,
    /// What it says, as plain text.
    pub summary: String,
    /// Its links, `(label, url)`, only `http(s)` ones.
    pub links: Vec<(String, String)>,
}

impl InboxEntry {
    /// Reads a stored notification: Beacon's generic JSON (`summary`,
    /// `incident.url`, `acknowledge_url`) or Slack's (`text` with `<url|label>` links).
    pub fn read(message: &InboxMessage) -> Self {
        let body: Value = serde_json::from_str(&message.body).unwrap_or(Value::Null);
        let (summary, links) = match (body["summary"].as_str(), body["text"].as_str()) {
            (Some(summary), _) => (summary.to_owned(), generic_links(&body)),
            (None, Some(text)) => slack_text(text),
            (None, None) => (message.body.clone(), Vec::new()),
        };
        Self {
            channel: message.channel.clone(),
            received_at: message.received_at,
            summary,
            links: links
                .into_iter()
                .filter(|(_, url)| LinkUrl::parse(url).is_ok())
                .collect(),
        }
    }
}

fn generic_links(body: &Value) -> Vec<(String, String)> {
    let mut links = Vec::new();
    if let Some(url) = body["acknowledge_url"].as_str() {
        links.push(("Acknowledge".to_owned(), url.to_owned()));
    }
    if let Some(url) = body["incident"]["url"].as_str() {
        let label = match body["incident"]["id"].as_i64() {
            Some(id) => format!("Open incident #{id}"),
            None => "Open incident".to_owned(),
        };
        links.push((label, url.to_owned()));
    }
    links
}

/// Slack's mrkdwn text: `<url|label>` links become labels in the text and
/// entries in the list; `&amp;`, `&lt;` and `&gt;` are read back.
fn slack_text(text: &str) -> (String, Vec<(String, String)>) {
    let mut plain = String::new();
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        plain.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else {
            plain.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = &after[..close];
        let (url, label) = inner.split_once('|').unwrap_or((inner, inner));
        plain.push_str(label);
        links.push((slack_unescape(label), slack_unescape(url)));
        rest = &after[close + 1..];
    }
    plain.push_str(rest);
    (slack_unescape(&plain), links)
}

fn slack_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// `GET /dev/inbox`: the newest notifications first, refreshing itself.
pub async fn inbox_page<S: DevInboxStore>(store: &S) -> Result<String, ApiError> {
    let entries: Vec<InboxEntry> = store
        .inbox(INBOX_PAGE_SIZE)
        .await?
        .iter()
        .map(InboxEntry::read)
        .collect();
    Ok(render_inbox(&entries))
}

/// The inbox page for `entries`, newest first.
pub fn render_inbox(entries: &[InboxEntry]) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta http-equiv="refresh" content="10";
                title { "Local inbox · Beacon" }
                style { "body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}article{border:1px solid #8884;border-radius:.4rem;padding:.5rem 1rem;margin:.8rem 0}.meta{color:#666;font-size:.9rem}a{margin-right:1rem}@media(prefers-color-scheme:dark){body{background:#111;color:#eee}.meta{color:#aaa}a{color:#8cf}}" }
            }
            body {
                main {
                    h1 { "Local inbox" }
                    p {
                        "Development only: the notifications Beacon would have sent to Slack or "
                        "webhooks, newest first. This page refreshes every 10 seconds; "
                        "the escalation sweep runs every minute."
                    }
                    @if entries.is_empty() {
                        p #empty { "Nothing has arrived yet." }
                    }
                    @for entry in entries {
                        (render_entry(entry))
                    }
                }
            }
        }
    }
    .into_string()
}

fn render_entry(entry: &InboxEntry) -> Markup {
    html! {
        article.notification {
            p.meta { "To " strong { (entry.channel) } " · " (format_utc_minutes(entry.received_at)) }
            p.summary { (entry.summary) }
            @if !entry.links.is_empty() {
                p.links {
                    @for (label, url) in &entry.links {
                        a href=(url) { (label) }
                    }
                }
            }
        }
    }
}
