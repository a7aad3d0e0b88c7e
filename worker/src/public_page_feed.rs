//! The public page's incident history as feeds (SPEC M3): Atom at
//! `/history.atom` and RSS 2.0 at `/history.rss`, one entry per public
//! incident or maintenance, newest change first.
//!
//! Written with `quick-xml`, which escapes all text and attributes. Each
//! entry's content is the updates as HTML rendered by `maud` (escaped once),
//! then carried as XML text (escaped again), as feed readers expect.

use crate::public_page_html::postmortem_section;
use beacon_shared::status_page::{PublicUpdate, StatusPage};
use beacon_shared::statuspage_wire::LIST_LIMIT;
use beacon_shared::Timestamp;
use chrono::{Datelike, Month, Timelike};
use maud::html;
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::io;

/// One incident or maintenance as a feed entry.
struct FeedEntry {
    id: String,
    title: String,
    published: Timestamp,
    updated: Timestamp,
    html: String,
}

fn updates_html<S: Copy>(
    updates: &[PublicUpdate<S>],
    status: impl Fn(S) -> &'static str,
) -> String {
    html! {
        @for update in updates.iter().rev() {
            p {
                small { (update.at.to_string()) }
                br;
                strong { (status(update.status)) }
                " - " (update.body.as_str())
            }
        }
    }
    .into_string()
}

fn entries(page: &StatusPage) -> Vec<FeedEntry> {
    let incidents = page.incidents().iter().map(|i| {
        let postmortem = i.postmortem();
        let mut html = postmortem
            .map(|p| postmortem_section(p).into_string())
            .unwrap_or_default();
        html.push_str(&updates_html(i.updates(), |s| s.label()));
        FeedEntry {
            id: i.id().as_str().to_owned(),
            title: i.name().as_str().to_owned(),
            published: i.created_at(),
            updated: postmortem.map_or(i.updated_at(), |p| p.body_updated_at.max(i.updated_at())),
            html,
        }
    });
    let maintenances = page.maintenances().iter().map(|m| FeedEntry {
        id: m.id().as_str().to_owned(),
        title: m.name().as_str().to_owned(),
        published: m.created_at(),
        updated: m.updated_at(),
        html: updates_html(m.updates(), |s| s.label()),
    });
    let mut all: Vec<FeedEntry> = incidents.chain(maintenances).collect();
    all.sort_by(|a, b| b.updated.cmp(&a.updated).then_with(|| a.id.cmp(&b.id)));
    all.truncate(LIST_LIMIT);
    all
}

fn text_element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    writer
        .create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// An Atom `<link>`.
fn link(writer: &mut Writer<Vec<u8>>, rel: &str, kind: &str, href: &str) -> io::Result<()> {
    writer
        .create_element("link")
        .with_attribute(("rel", rel))
        .with_attribute(("type", kind))
        .with_attribute(("href", href))
        .write_empty()?;
    Ok(())
}

/// An XML document: the declaration, then the element `root` with
/// `attributes` and what `content` writes inside it; empty if writing fails
/// (it cannot into memory).
fn xml_document(
    root: &str,
    attributes: &[(&str, &str)],
    content: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>,
) -> String {
    let mut writer = Writer::new(Vec::new());
    let written = writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| {
            writer
                .create_element(root)
                .with_attributes(attributes.iter().copied())
                .write_inner_content(content)?;
            Ok(())
        });
    match written {
        Ok(()) => String::from_utf8(writer.into_inner()).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// RFC 2822 in UTC, as RSS dates are: `Tue, 01 Dec 2026 11:00:00 +0000`;
/// RFC 3339 for a year it cannot write (before 1900).
fn rfc2822(at: Timestamp) -> String {
    let t = at.to_datetime();
    let month = Month::try_from(t.month() as u8).map_or("", |m| m.name());
    match month.get(..3) {
        Some(month) if t.year() >= 1900 => format!(
            "{}, {:02} {month} {} {:02}:{:02}:{:02} +0000",
            t.weekday(),
            t.day(),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        _ => at.to_string(),
    }
}

/// What both feeds say of themselves: their title and when they last changed.
fn feed_head(page: &StatusPage, entries: &[FeedEntry], now: Timestamp) -> (String, Timestamp) {
    (
        format!("{} status - incident history", page.info().name.as_str()),
        entries.first().map_or(now, |e| e.updated),
    )
}

/// The Atom feed; `base` is Beacon's public address without a trailing `/`.
pub fn atom(page: &StatusPage, base: &str, now: Timestamp) -> String {
    let entries = entries(page);
    let (title, updated) = feed_head(page, &entries, now);
    xml_document(
        "feed",
        &[("xmlns", "http://www.w3.org/2005/Atom"), ("xml:lang", "en")],
        |w| {
            text_element(w, "id", &format!("{base}/history.atom"))?;
            text_element(w, "title", &title)?;
            text_element(w, "updated", &updated.to_string())?;
            link(
                w,
                "alternate",
                "text/html",
                &format!("{base}/status/history"),
            )?;
            link(
                w,
                "self",
                "application/atom+xml",
                &format!("{base}/history.atom"),
            )?;
            w.create_element("author")
                .write_inner_content(|w| text_element(w, "name", page.info().name.as_str()))?;
            for entry in &entries {
                let url = format!("{base}/status/incidents/{}", entry.id);
                w.create_element("entry").write_inner_content(|w| {
                    text_element(w, "id", &url)?;
                    text_element(w, "title", &entry.title)?;
                    text_element(w, "published", &entry.published.to_string())?;
                    text_element(w, "updated", &entry.updated.to_string())?;
                    link(w, "alternate", "text/html", &url)?;
                    w.create_element("content")
                        .with_attribute(("type", "html"))
                        .write_text_content(BytesText::new(&entry.html))?;
                    Ok(())
                })?;
            }
            Ok(())
        },
    )
}

/// The RSS 2.0 feed; `base` is Beacon's public address without a trailing `/`.
pub fn rss(page: &StatusPage, base: &str, now: Timestamp) -> String {
    let entries = entries(page);
    let (title, updated) = feed_head(page, &entries, now);
    xml_document("rss", &[("version", "2.0")], |w| {
        w.create_element("channel").write_inner_content(|w| {
            text_element(w, "title", &title)?;
            text_element(w, "link", &format!("{base}/status/history"))?;
            text_element(
                w,
                "description",
                &format!("Incidents and maintenance of {}", page.info().name.as_str()),
            )?;
            text_element(w, "language", "en")?;
            text_element(w, "lastBuildDate", &rfc2822(updated))?;
            for entry in &entries {
                let url = format!("{base}/status/incidents/{}", entry.id);
                w.create_element("item").write_inner_content(|w| {
                    text_element(w, "title", &entry.title)?;
                    text_element(w, "description", &entry.html)?;
                    text_element(w, "pubDate", &rfc2822(entry.published))?;
                    text_element(w, "link", &url)?;
                    w.create_element("guid")
                        .with_attribute(("isPermaLink", "true"))
                        .write_text_content(BytesText::new(&url))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::public_page_html::tests::{at, maintenance, payments_outage_page, NOW};

    fn sample() -> StatusPage {
        payments_outage_page(
            "<script>alert(1)</script> & co",
            "Card <b>payments</b> fail",
            vec![maintenance("mnt1", "Database upgrade")],
        )
    }

    /// SPEC M3: markup in titles and updates is escaped in both feeds.
    #[test]
    fn feeds_escape_markup() {
        for feed in [
            atom(&sample(), "https://s.example", at(NOW)),
            rss(&sample(), "https://s.example", at(NOW)),
        ] {
            for raw in ["<script>", "<b>"] {
                assert!(!feed.contains(raw), "{feed}");
            }
            for escaped in [
                "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co",
                // The update is HTML escaped once, then XML escaped again.
                "Card &amp;lt;b&amp;gt;payments&amp;lt;/b&amp;gt; fail",
            ] {
                assert!(feed.contains(escaped), "{feed}");
            }
        }
    }

    /// SPEC R5, M3: both feeds carry the postmortem, escaped, and date the
    /// entry by its last change.
    #[test]
    fn feeds_carry_the_postmortem() {
        let mut page = sample();
        let mut incident = page.incidents()[0].clone();
        incident.publish_postmortem("The <i>pool</i> was too small.".into(), at(NOW + 60_000));
        page = crate::public_page_html::tests::page(
            vec![crate::public_page_html::tests::component(
                "payments",
                "Payments",
                beacon_shared::status_page::ComponentStatus::PartialOutage,
            )],
            vec![incident],
            vec![],
        );
        let atom_feed = atom(&page, "https://s.example", at(NOW + 120_000));
        let rss_feed = rss(&page, "https://s.example", at(NOW + 120_000));
        for feed in [&atom_feed, &rss_feed] {
            assert!(feed.contains("Postmortem"), "{feed}");
            assert!(
                feed.contains("The &amp;lt;i&amp;gt;pool&amp;lt;/i&amp;gt; was too small."),
                "{feed}"
            );
            assert!(!feed.contains("<i>pool"));
        }
        assert!(atom_feed.contains(&format!("<updated>{}</updated>", at(NOW + 60_000))));
    }

    #[test]
    fn atom_lists_each_incident_and_maintenance_with_its_page() {
        let feed = atom(&sample(), "https://s.example", at(NOW));
        assert!(feed.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\""
        ));
        assert_eq!(feed.matches("<entry>").count(), 2);
        assert!(feed.contains("<id>https://s.example/status/incidents/inc1</id>"));
        assert!(feed.contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://s.example/status/incidents/mnt1\"/>"));
        assert!(feed.contains("<content type=\"html\">"));
    }

    #[test]
    fn rss_dates_are_rfc_2822() {
        let feed = rss(&sample(), "https://s.example", at(NOW));
        assert!(feed.contains("<rss version=\"2.0\"><channel>"), "{feed}");
        assert_eq!(feed.matches("<item>").count(), 2);
        assert!(
            feed.contains("<pubDate>Tue, 24 Nov 2026 11:00:00 +0000</pubDate>"),
            "{feed}"
        );
        assert!(feed
            .contains("<guid isPermaLink=\"true\">https://s.example/status/incidents/inc1</guid>"));
    }
    #[test]
    fn rfc_2822_days_have_two_digits_and_years_before_1900_are_rfc_3339() {
        let t = |text| Timestamp::parse(text).unwrap();
        assert_eq!(
            rfc2822(t("2026-12-01T11:00:00.5Z")),
            "Tue, 01 Dec 2026 11:00:00 +0000"
        );
        assert_eq!(
            rfc2822(t("2028-03-01T00:59:59+01:00")),
            "Tue, 29 Feb 2028 23:59:59 +0000"
        );
        assert_eq!(rfc2822(t("1899-12-31T23:59:59Z")), "1899-12-31T23:59:59Z");
    }
}
