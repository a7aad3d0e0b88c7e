//! Native tests of the local inbox against the in-memory store.

use super::*;
use crate::memory::MemoryStore;
use pollster::block_on;
use serde_json::json;

const NOW: Timestamp = Timestamp::from_unix_millis(1_795_403_520_000);

fn later(minutes: i64) -> Timestamp {
    Timestamp::from_unix_millis(NOW.unix_millis() + minutes * 60_000)
}

fn page(store: &MemoryStore) -> String {
    block_on(inbox_page(store)).unwrap()
}

/// A generic page with its acknowledgement link and a Slack message arrive;
/// the page lists them newest first, with their links.
#[test]
fn the_inbox_shows_what_arrived_newest_first_with_its_links() {
    let store = MemoryStore::default();
    let generic = json!({
        "event": "page",
        "summary": "You are paged for P1 incident #7 \"Checkout down\". Acknowledge it.",
        "incident": {"id": 7, "url": "http://127.0.0.1:8787/incidents/7"},
        "acknowledge_url": "http://127.0.0.1:8787/ack/7?by=demo-ian&exp=1&sig=abc",
    });
    block_on(receive(
        &store,
        "demo-ian-ic",
        generic.to_string().as_bytes(),
        NOW,
    ))
    .unwrap();
    let slack = json!({"text": "demo-ic asks network to join P1 incident #7 &quot;Checkout&quot; &amp; more <http://127.0.0.1:8787/incidents/7|Open incident #7>"});
    block_on(receive(
        &store,
        "team-network",
        slack.to_string().as_bytes(),
        later(1),
    ))
    .unwrap();

    let html = page(&store);
    let network = html
        .find("team-network")
        .expect("the Slack message is listed");
    let ian = html.find("demo-ian-ic").expect("the page is listed");
    assert!(network < ian, "newest first: {html}");
    assert!(html.contains(
        r#"<a href="http://127.0.0.1:8787/ack/7?by=demo-ian&amp;exp=1&amp;sig=abc">Acknowledge</a>"#
    ));
    assert!(html.contains(r#"<a href="http://127.0.0.1:8787/incidents/7">Open incident #7</a>"#));
    assert!(
        html.contains("&amp; more Open incident #7"),
        "Slack's escapes are read back, then escaped for HTML: {html}"
    );
    assert!(!html.contains("Nothing has arrived yet"));
}

/// Nothing received reaches the page unescaped, and a link that is not
/// `http(s)` is not a link.
#[test]
fn received_text_is_escaped_and_only_web_links_are_links() {
    let store = MemoryStore::default();
    let body = json!({
        "summary": "<script>alert('x')</script>",
        "acknowledge_url": "javascript:alert(1)",
        "incident": {"id": 1, "url": "https://beacon.example/incidents/1\"><b>"},
    });
    block_on(receive(&store, "demo", body.to_string().as_bytes(), NOW)).unwrap();
    let html = page(&store);
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("javascript:"), "{html}");
    assert!(!html.contains("\"><b>"), "{html}");
    assert!(
        html.contains("&quot;&gt;&lt;b&gt;"),
        "the href is escaped: {html}"
    );
}

/// A bad channel name or a body that is not JSON is refused with the field
/// named, and nothing is kept.
#[test]
fn bad_channels_and_bodies_are_refused_and_nothing_is_kept() {
    let store = MemoryStore::default();
    for channel in ["", "Demo", "a/b", "x y", &"a".repeat(101)] {
        let err = block_on(receive(&store, channel, b"{}", NOW)).unwrap_err();
        assert_eq!(err.status(), 422, "{channel:?}");
        assert_eq!(err.body().error.field.as_deref(), Some("channel"));
    }
    let err = block_on(receive(&store, "demo", b"not json", NOW)).unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(block_on(store.inbox(10)).unwrap().is_empty());
    assert!(page(&store).contains("Nothing has arrived yet"));
}

/// A body in neither format is shown as received (escaped), without links.
#[test]
fn an_unknown_body_is_shown_as_received() {
    let message = InboxMessage {
        channel: "demo".into(),
        received_at: NOW,
        body: r#"{"hello":"<world>"}"#.into(),
    };
    let entry = InboxEntry::read(&message);
    assert_eq!(entry.summary, r#"{"hello":"<world>"}"#);
    assert!(entry.links.is_empty());
}

/// The page shows at most [`INBOX_PAGE_SIZE`] notifications.
#[test]
fn the_page_shows_the_newest_hundred() {
    let store = MemoryStore::default();
    for minute in 0..=i64::from(INBOX_PAGE_SIZE) {
        let body = json!({"summary": format!("message {minute}.")});
        block_on(receive(
            &store,
            "demo",
            body.to_string().as_bytes(),
            later(minute),
        ))
        .unwrap();
    }
    let html = page(&store);
    assert_eq!(html.matches("class=\"notification\"").count(), 100);
    assert!(html.contains("message 100."));
    assert!(!html.contains("message 0."));
}
