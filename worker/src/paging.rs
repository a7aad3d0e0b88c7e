//! The escalation sweep's decisions that need no runtime (SPEC E1, E3, E4, M1):
//! a ticket's escalation history read from its timeline, who a notification
//! goes to, the Slack-compatible and generic bodies, the retry schedule, and the
//! signed acknowledgement link.
//!
//! The sweep itself ([`crate::escalation::sweep`]) reads the store, calls
//! [`beacon_shared::escalation::evaluate_escalation`], claims each due action's
//! idempotency key, queues one notification per channel, each written for
//! what its reader may see (SPEC K3), and puts them on the delivery queue
//! ([`crate::notification_delivery`]). Outbound bodies carry the same signature headers as the
//! generic inbound webhook ([`crate::webhook_signature`]), keyed by the
//! channel's secret.

use beacon_shared::category::Category;
use beacon_shared::clearance::{clearance, Reader, RestrictedIncident};
use beacon_shared::escalation::{
    Action, ActionKind, IdempotencyKey, Recipient, TicketEvent, TicketHistory,
};
use beacon_shared::lifecycle::IncidentStatus;
use beacon_shared::timeline::TimelineEvent;
use beacon_shared::triage::Name;
use beacon_shared::{Priority, Timestamp};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;

/// How long a signed acknowledgement link stays valid.
pub const ACK_LINK_VALID_MS: i64 = 24 * 60 * 60 * 1000;

/// The ticket's escalation history: its priority at creation, then every
/// priority and status change, acknowledgement and customer update in its
/// `timeline` (other kinds are ignored), and the keys of the actions already
/// sent. An entry older than the one before it is skipped, so one bad line
/// never stops the pages of a ticket.
pub fn ticket_history(
    incident: i64,
    created_at: Timestamp,
    current_priority: Priority,
    timeline: &[(Timestamp, TimelineEvent)],
    sent: impl IntoIterator<Item = IdempotencyKey>,
) -> TicketHistory {
    let initial = timeline
        .iter()
        .find_map(|(_, event)| match event {
            TimelineEvent::Created(created) => Some(created.state.priority),
            _ => None,
        })
        .or_else(|| {
            timeline.iter().find_map(|(_, event)| match event {
                TimelineEvent::PriorityChanged(change) => change.from,
                _ => None,
            })
        })
        .unwrap_or(current_priority);
    let mut history = TicketHistory::new(incident, created_at, initial);
    for (at, event) in timeline {
        let at = *at;
        let event = match event {
            TimelineEvent::PriorityChanged(change) => {
                Some(TicketEvent::PriorityChanged { at, to: change.to })
            }
            TimelineEvent::StatusChanged(change) => {
                Some(TicketEvent::StatusChanged { at, to: change.to })
            }
            TimelineEvent::Acknowledged(ack) => Name::parse(&ack.by)
                .ok()
                .map(|by| TicketEvent::Acknowledged { at, by }),
            TimelineEvent::CustomerUpdate(_) => Some(TicketEvent::CustomerUpdatePosted { at }),
            _ => None,
        };
        if let Some(event) = event {
            // A line older than the one before it is out of order; skip it.
            let _ = history.record(event);
        }
    }
    for key in sent {
        history.record_sent(key);
    }
    history
}

/// Whose notification channels an action goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelOwner {
    Person(String),
    Team(String),
    /// Management, and the fallback for an unstaffed rota place.
    Management,
}

impl ChannelOwner {
    pub fn for_recipient(recipient: &Recipient) -> Self {
        match recipient {
            Recipient::Person { name, .. } => ChannelOwner::Person(name.to_string()),
            Recipient::Team { name } => ChannelOwner::Team(name.to_string()),
            Recipient::Management | Recipient::Unstaffed { .. } => ChannelOwner::Management,
        }
    }

    /// `(owner_kind, owner)` as stored in `notification_channels`.
    pub fn as_row(&self) -> (&'static str, &str) {
        match self {
            ChannelOwner::Person(name) => ("person", name),
            ChannelOwner::Team(name) => ("team", name),
            ChannelOwner::Management => ("management", ""),
        }
    }

    /// The name an acknowledgement through this recipient's link is recorded under.
    pub fn acknowledger(&self) -> String {
        match self {
            ChannelOwner::Person(name) | ChannelOwner::Team(name) => name.clone(),
            ChannelOwner::Management => "management".into(),
        }
    }
}

/// How a channel wants its notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelFormat {
    /// Slack's incoming-webhook JSON (`text` and `blocks`), also read by
    /// Mattermost, Rocket.Chat and Discord's Slack-compatible endpoint.
    Slack,
    /// Beacon's own JSON, documented in the README.
    Generic,
}

impl ChannelFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelFormat::Slack => "slack",
            ChannelFormat::Generic => "generic",
        }
    }
}

impl std::str::FromStr for ChannelFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "slack" => Ok(ChannelFormat::Slack),
            "generic" => Ok(ChannelFormat::Generic),
            other => Err(format!("unknown channel format {other:?}")),
        }
    }
}

/// What Beacon knows of an incident when it notifies about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifiedIncident {
    pub id: i64,
    pub title: String,
    pub category: Option<Category>,
    pub priority: Priority,
    pub status: IncidentStatus,
    /// The incident page in the app.
    pub url: String,
}

impl NotifiedIncident {
    /// What `reader` may read of it (SPEC K3): everything, or for a reader
    /// without clearance only the restricted headline and the link.
    pub fn brief_for(&self, reader: Reader<'_>) -> IncidentBrief {
        let cleared = clearance(reader, self.category.as_ref()).is_full();
        IncidentBrief {
            id: self.id,
            title: cleared.then(|| self.title.clone()),
            priority: self.priority,
            status: self.status,
            url: self.url.clone(),
        }
    }
}

/// What a notification says about its incident; without clearance, no title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentBrief {
    pub id: i64,
    /// `None` for a reader without clearance (SPEC K3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub priority: Priority,
    pub status: IncidentStatus,
    /// The incident page in the app.
    pub url: String,
}

impl IncidentBrief {
    /// `P1 incident #7 "Checkout down"`, or without clearance
    /// `Security incident #7, P1, details restricted`.
    pub fn subject(&self) -> String {
        match &self.title {
            Some(title) => format!("{} incident #{} \"{title}\"", self.priority, self.id),
            None => RestrictedIncident {
                id: self.id,
                priority: self.priority,
                status: self.status,
            }
            .headline(),
        }
    }
}

/// `page`, `remind` or `escalate`: the action's type.
pub fn action_word(action: &Action) -> &'static str {
    match action.kind {
        ActionKind::Page { .. } => "page",
        ActionKind::Remind { .. } => "remind",
        ActionKind::Escalate { .. } => "escalate",
    }
}

/// The recipient of an action.
pub fn recipient(action: &Action) -> &Recipient {
    match &action.kind {
        ActionKind::Page { to, .. }
        | ActionKind::Remind { to, .. }
        | ActionKind::Escalate { to, .. } => to,
    }
}

/// One sentence for people: what happened and what is expected.
pub fn headline(action: &Action, incident: &IncidentBrief) -> String {
    let subject = incident.subject();
    match &action.kind {
        ActionKind::Page { run, step, .. } if *run == 0 && *step == 0 => {
            format!("You are paged for {subject}. Acknowledge it.")
        }
        ActionKind::Page { .. } => {
            format!("Escalated to you: nobody acknowledged {subject}. Acknowledge it.")
        }
        ActionKind::Remind {
            deadline,
            deadline_at,
            ..
        } => format!(
            "Reminder: the {} limit of {subject} falls due at {deadline_at}.",
            deadline.as_str().replace('_', " ")
        ),
        ActionKind::Escalate {
            missed,
            deadline_at,
            ..
        } => format!(
            "Missed: the {} limit of {subject} passed at {deadline_at}.",
            missed.as_str().replace('_', " ")
        ),
    }
}

/// Slack needs `&`, `<` and `>` escaped in text; everything else is literal.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The JSON body for a channel of `format`.
pub fn notification_body(
    format: ChannelFormat,
    action: &Action,
    incident: &IncidentBrief,
    ack_url: Option<&str>,
) -> Value {
    let headline = headline(action, incident);
    match format {
        ChannelFormat::Slack => {
            let mut text = slack_escape(&headline);
            text.push_str(&format!(
                " <{}|Open incident #{}>",
                incident.url, incident.id
            ));
            if let Some(url) = ack_url {
                text.push_str(&format!(" · <{url}|Acknowledge>"));
            }
            json!({
                "text": text,
                "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
            })
        }
        ChannelFormat::Generic => json!({
            "event": action_word(action),
            "summary": headline,
            "incident": incident,
            "action": action,
            "acknowledge_url": ack_url,
        }),
    }
}

/// The body asking a team to join an incident (SPEC E5), for a channel of
/// `format`. Without clearance (no title in `incident`) the reason is left
/// out too: it may tell what the restricted incident is about (SPEC K3).
pub fn team_page_body(
    format: ChannelFormat,
    team: &str,
    reason: &str,
    requested_by: &str,
    incident: &IncidentBrief,
) -> Value {
    let reason = incident.title.as_ref().map(|_| reason);
    let summary = match reason {
        Some(reason) => format!(
            "{requested_by} asks {team} to join {}: {reason}",
            incident.subject()
        ),
        None => format!("{requested_by} asks {team} to join {}", incident.subject()),
    };
    match format {
        ChannelFormat::Slack => {
            let text = format!(
                "{} <{}|Open incident #{}>",
                slack_escape(&summary),
                incident.url,
                incident.id
            );
            json!({
                "text": text,
                "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
            })
        }
        ChannelFormat::Generic => json!({
            "event": "team_page",
            "summary": summary,
            "team": team,
            "reason": reason,
            "requested_by": requested_by,
            "incident": incident,
        }),
    }
}

/// Why an acknowledgement link was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AckLinkError {
    #[error("this acknowledgement link is incomplete")]
    Incomplete,
    #[error("this acknowledgement link has expired; acknowledge in Beacon instead")]
    Expired,
    #[error("this acknowledgement link is not valid")]
    BadSignature,
}

/// A signed "acknowledge incident `incident` as `by`" link, valid until
/// `expires`, once, and only for the escalation episode whose page carried it
/// (`episode`, its start: see [`beacon_shared::escalation::episode_start`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckLink {
    pub incident: i64,
    pub by: Name,
    pub episode: Timestamp,
    pub expires: Timestamp,
}

impl AckLink {
    fn mac(&self, key: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
        mac.update(
            format!(
                "ack.{}.{}.{}.{}",
                self.incident,
                self.by,
                self.episode.unix_millis(),
                self.expires.unix_millis()
            )
            .as_bytes(),
        );
        mac
    }

    /// The query string of the link: `by=..&ep=..&exp=..&sig=..`.
    pub fn query(&self, key: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("by", self.by.as_str())
            .append_pair("ep", &self.episode.unix_millis().to_string())
            .append_pair("exp", &self.expires.unix_millis().to_string())
            .append_pair("sig", &hex::encode(self.mac(key).finalize().into_bytes()))
            .finish()
    }

    /// Reads and checks a link's query for incident `incident` at `now`.
    pub fn verify(
        incident: i64,
        query: &str,
        key: &str,
        now: Timestamp,
    ) -> Result<Self, AckLinkError> {
        let param = |name: &str| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let by = param("by")
            .and_then(|b| Name::parse(&b).ok())
            .ok_or(AckLinkError::Incomplete)?;
        let millis = |name: &str| {
            param(name)
                .and_then(|e| e.parse::<i64>().ok())
                .map(Timestamp::from_unix_millis)
                .ok_or(AckLinkError::Incomplete)
        };
        let episode = millis("ep")?;
        let expires = millis("exp")?;
        let signature = param("sig")
            .and_then(|s| hex::decode(s).ok())
            .ok_or(AckLinkError::Incomplete)?;
        let link = AckLink {
            incident,
            by,
            episode,
            expires,
        };
        link.mac(key)
            .verify_slice(&signature)
            .map_err(|_| AckLinkError::BadSignature)?;
        if now > expires {
            return Err(AckLinkError::Expired);
        }
        Ok(link)
    }

    /// The key claimed when the link is used, so that it works once.
    pub fn one_time_key(&self) -> IdempotencyKey {
        IdempotencyKey::from_stored(format!(
            "incident/{}/ack-link/{}/{}/{}",
            self.incident,
            self.episode.unix_millis(),
            self.expires.unix_millis(),
            self.by
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon_shared::escalation::{evaluate_escalation, EscalationConfig};
    use beacon_shared::role::Role;
    use beacon_shared::rota::{Rota, RotaRole, Rotas, ShiftLength};
    use beacon_shared::timeline::{
        AcknowledgedVia, Acknowledgement, PriorityChangeKind, PriorityChanged,
    };

    const T0: Timestamp = Timestamp::from_unix_millis(1_795_000_000_000);

    fn fact(minutes: i64, event: TimelineEvent) -> (Timestamp, TimelineEvent) {
        (at(minutes), event)
    }

    fn priority_changed(from: Priority, to: Priority) -> TimelineEvent {
        TimelineEvent::PriorityChanged(PriorityChanged {
            from: Some(from),
            to,
            rules_priority: from,
            decision: PriorityChangeKind::LoweredByManagement,
            reason: Some("test".into()),
        })
    }

    fn keys(actions: &[Action]) -> Vec<IdempotencyKey> {
        actions.iter().map(|a| a.key.clone()).collect()
    }

    fn brief(title: &str, category: Option<&str>, priority: Priority) -> NotifiedIncident {
        NotifiedIncident {
            id: 9,
            title: title.into(),
            category: category.map(|c| Category::parse(c).unwrap()),
            priority,
            status: IncidentStatus::Triage,
            url: "https://beacon.example/incidents/9".into(),
        }
    }

    fn rotas() -> Rotas {
        let people = ["ic-alice", "ic-bob"]
            .map(|n| Name::parse(n).unwrap())
            .to_vec();
        Rotas::new(vec![Rota::new(
            RotaRole::IncidentCommander,
            people,
            ShiftLength::hours(12).unwrap(),
            Timestamp::from_unix_millis(T0.unix_millis() - 60_000),
        )
        .unwrap()])
        .unwrap()
    }

    fn at(minutes: i64) -> Timestamp {
        Timestamp::from_unix_millis(T0.unix_millis() + minutes * 60_000)
    }

    /// SPEC E1, E4: a P1 read from its timeline pages the duty IC at once; the
    /// sent key silences it; an acknowledgement in the timeline stops the
    /// escalation to the next IC.
    #[test]
    fn history_from_the_timeline_drives_the_pages() {
        let created: Vec<(Timestamp, TimelineEvent)> = Vec::new();
        let history = ticket_history(7, T0, Priority::P1, &created, []);
        let due = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(0));
        let pages: Vec<_> = due
            .actions
            .iter()
            .filter(|a| action_word(a) == "page")
            .collect();
        assert_eq!(pages.len(), 1);
        assert_eq!(
            ChannelOwner::for_recipient(recipient(pages[0])),
            ChannelOwner::Person("ic-alice".into())
        );
        let history = ticket_history(7, T0, Priority::P1, &created, keys(&due.actions));
        let again = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(0));
        assert!(again.actions.is_empty(), "{again:?}");

        let later = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(16));
        assert!(later
            .actions
            .iter()
            .any(|a| ChannelOwner::for_recipient(recipient(a))
                == ChannelOwner::Person("ic-bob".into())));
        let mut acked = created.clone();
        acked.push(fact(
            3,
            TimelineEvent::Acknowledged(Acknowledgement {
                by: "ic-alice".into(),
                via: AcknowledgedVia::Api,
            }),
        ));
        let history = ticket_history(7, T0, Priority::P1, &acked, []);
        let after_ack =
            evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(16));
        assert!(
            after_ack.actions.iter().all(|a| action_word(a) != "page"
                || ChannelOwner::for_recipient(recipient(a))
                    != ChannelOwner::Person("ic-bob".into())),
            "{after_ack:?}"
        );
    }

    /// SPEC E4: a downgrade to P2 read from the timeline stops pending P1 pages.
    #[test]
    fn downgrade_in_the_timeline_stops_pages() {
        let timeline = vec![fact(2, priority_changed(Priority::P1, Priority::P2))];
        let history = ticket_history(8, T0, Priority::P2, &timeline, []);
        let due = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(20));
        assert!(
            due.actions.iter().all(|a| action_word(a) != "page"),
            "{due:?}"
        );
    }

    #[test]
    fn slack_text_is_escaped_and_links_are_kept() {
        let history = ticket_history(9, T0, Priority::P0, &[], []);
        let due = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(0));
        let brief = brief("<!channel> & <script>", Some("API"), Priority::P0)
            .brief_for(Reader::Person(Role::Sre));
        let body = notification_body(
            ChannelFormat::Slack,
            &due.actions[0],
            &brief,
            Some("https://beacon.example/ack/9?x=1"),
        );
        let text = body["text"].as_str().unwrap();
        assert!(
            text.contains("&lt;!channel&gt; &amp; &lt;script&gt;"),
            "{text}"
        );
        assert!(
            text.contains("<https://beacon.example/ack/9?x=1|Acknowledge>"),
            "{text}"
        );
        let generic = notification_body(ChannelFormat::Generic, &due.actions[0], &brief, None);
        assert_eq!(generic["event"], "page");
        assert_eq!(generic["incident"]["title"], "<!channel> & <script>");
        assert_eq!(generic["action"]["key"], due.actions[0].key.as_str());
    }

    /// SPEC K3: a Security incident's notifications carry only the restricted
    /// headline and the link for a reader without clearance (a person without
    /// the role, a team's channel), and everything for management or security.
    #[test]
    fn security_notifications_name_nothing_without_clearance() {
        let history = ticket_history(9, T0, Priority::P1, &[], []);
        let due = evaluate_escalation(&history, &EscalationConfig::default(), &rotas(), at(0));
        let incident = brief(
            "Attacker in the payroll database",
            Some("Security"),
            Priority::P1,
        );
        for reader in [
            Reader::Person(Role::IncidentCommander),
            Reader::Person(Role::Sre),
            Reader::Team("dba"),
        ] {
            let brief = incident.brief_for(reader);
            for format in [ChannelFormat::Slack, ChannelFormat::Generic] {
                let page =
                    notification_body(format, &due.actions[0], &brief, Some("https://b/ack"));
                let team = team_page_body(format, "dba", "dump the payroll table", "ic", &brief);
                for body in [page, team] {
                    let text = body.to_string();
                    assert!(!text.contains("payroll"), "{reader:?}: {text}");
                    assert!(
                        text.contains("Security incident #9, P1, details restricted"),
                        "{text}"
                    );
                    assert!(
                        text.contains("https://beacon.example/incidents/9"),
                        "{text}"
                    );
                }
            }
        }
        for reader in [Reader::Management, Reader::Person(Role::Security)] {
            let brief = incident.brief_for(reader);
            let page = notification_body(ChannelFormat::Generic, &due.actions[0], &brief, None);
            assert_eq!(
                page["incident"]["title"],
                "Attacker in the payroll database"
            );
            let team = team_page_body(ChannelFormat::Slack, "sec", "dump", "ic", &brief);
            assert!(team.to_string().contains("payroll database"), "{team}");
        }
    }

    /// SPEC E1, E3: the acknowledgement link is bound to the incident, the
    /// person, the escalation episode and its expiry; any change or a late
    /// click is refused, and each link has its own one-time key.
    #[test]
    fn ack_links_are_signed_and_expire() {
        let key = "link-key";
        let link = AckLink {
            incident: 7,
            by: Name::parse("ic-alice").unwrap(),
            episode: at(0),
            expires: at(60),
        };
        let query = link.query(key);
        assert_eq!(AckLink::verify(7, &query, key, at(1)), Ok(link.clone()));
        assert_eq!(
            AckLink::verify(8, &query, key, at(1)),
            Err(AckLinkError::BadSignature)
        );
        assert_eq!(
            AckLink::verify(7, &query.replace("ic-alice", "ic-bob"), key, at(1)),
            Err(AckLinkError::BadSignature)
        );
        assert_eq!(
            AckLink::verify(7, &query, "other-key", at(1)),
            Err(AckLinkError::BadSignature)
        );
        assert_eq!(
            AckLink::verify(7, &query, key, at(61)),
            Err(AckLinkError::Expired)
        );
        assert_eq!(
            AckLink::verify(7, "by=ic-alice", key, at(1)),
            Err(AckLinkError::Incomplete)
        );
        let later_episode = format!("ep={}", at(20).unix_millis());
        let moved = query.replace(&format!("ep={}", at(0).unix_millis()), &later_episode);
        assert_ne!(moved, query);
        assert_eq!(
            AckLink::verify(7, &moved, key, at(21)),
            Err(AckLinkError::BadSignature)
        );
        let without_episode: String = query
            .split('&')
            .filter(|pair| !pair.starts_with("ep="))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(
            AckLink::verify(7, &without_episode, key, at(1)),
            Err(AckLinkError::Incomplete)
        );
        let next = AckLink {
            episode: at(20),
            ..link.clone()
        };
        assert_ne!(link.one_time_key(), next.one_time_key());
    }
}
