//! The worker's routes as one table (SPEC I3): each method and path pattern
//! with what opens it. The router refuses a request whose role the route's
//! [`Permission`] does not allow (403) before it reads the body or calls the
//! handler, and the end-to-end role x route matrix enumerates this table.
//! Handlers keep their finer checks (a transition's own rule, clearance).

use crate::role::Role;

/// What opens a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: the health check, signing in, the public status outputs.
    Public,
    /// A monitoring sender, authenticated by its integration's secret (a
    /// bearer secret, a routing key or an HMAC signature).
    Integration,
    /// A signed acknowledgement link.
    SignedLink,
    /// A browser session's cookie with its CSRF token (sign-out).
    Session,
    /// A bearer token or a browser session whose role has the permission.
    Person(Permission),
    /// Only with `BEACON_ENV=development` (404 otherwise); an admin's token
    /// where the route is under `/api/`.
    Development,
    /// Only with `BEACON_ENV=test` (404 otherwise); an admin's token.
    TestOnly,
}

/// The role check a person's route needs, one of [`Role`]'s permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any signed-in role.
    Read,
    /// [`Role::can_write`]
    Write,
    /// [`Role::may_publish_status`]
    PublishStatus,
    /// [`Role::may_set_service_levels`]
    SetServiceLevels,
    /// [`Role::may_manage_rotas`]
    ManageRotas,
    /// [`Role::may_read_audit`]
    ReadAudit,
    /// [`Role::may_read_reports`]
    ReadReports,
    /// [`Role::may_administer`]
    Administer,
    /// [`Role::may_set_impact_start`]
    SetImpactStart,
    /// [`Role::may_set_close_targets`]
    SetCloseTargets,
    /// [`Role::may_record_review`]
    RecordReview,
}

impl Permission {
    /// Whether `role` has this permission.
    pub fn allows(self, role: Role) -> bool {
        match self {
            Permission::Read => true,
            Permission::Write => role.can_write(),
            Permission::PublishStatus => role.may_publish_status(),
            Permission::SetServiceLevels => role.may_set_service_levels(),
            Permission::ManageRotas => role.may_manage_rotas(),
            Permission::ReadAudit => role.may_read_audit(),
            Permission::ReadReports => role.may_read_reports(),
            Permission::Administer => role.may_administer(),
            Permission::SetImpactStart => role.may_set_impact_start(),
            Permission::SetCloseTargets => role.may_set_close_targets(),
            Permission::RecordReview => role.may_record_review(),
        }
    }

    /// What the role may not do, for the 403's message.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "change anything",
            Permission::PublishStatus => "publish on the status page",
            Permission::SetServiceLevels => "set service levels",
            Permission::ManageRotas => "manage rotas, time limits and channels",
            Permission::ReadAudit => "read the audit log",
            Permission::ReadReports => "read reports",
            Permission::Administer => "administer people, tokens and integrations",
            Permission::SetImpactStart => "set the impact start",
            Permission::SetCloseTargets => "set close targets",
            Permission::RecordReview => "save a review snapshot",
        }
    }
}

/// One route: its method, its path pattern (`{name}` is one path segment)
/// and what opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub pattern: &'static str,
    pub access: Access,
}

const fn route(method: &'static str, pattern: &'static str, access: Access) -> Route {
    Route {
        method,
        pattern,
        access,
    }
}

use Access::{Development, Integration, Person, Public, Session, SignedLink, TestOnly};
use Permission::{
    Administer, ManageRotas, PublishStatus, Read, ReadAudit, ReadReports, RecordReview,
    SetCloseTargets, SetImpactStart, SetServiceLevels, Write,
};

/// Every route the worker answers, besides the app's static assets.
pub const ROUTES: &[Route] = &[
    route("GET", "/api/health", Public),
    route("POST", "/api/session", Public),
    route("DELETE", "/api/session", Session),
    route("GET", "/status", Public),
    route("GET", "/status/history", Public),
    route("GET", "/history.atom", Public),
    route("GET", "/history.rss", Public),
    route("GET", "/api/v2/summary.json", Public),
    route("POST", "/v2/enqueue", Integration),
    route("POST", "/api/webhooks/alertmanager", Integration),
    route("POST", "/api/webhooks/grafana", Integration),
    route("POST", "/api/webhooks/generic/{name}", Integration),
    route("GET", "/problems/{id}", Public),
    route("GET", "/problems/{id}/report", Public),
    route("GET", "/ack/{id}", SignedLink),
    route("POST", "/ack/{id}", SignedLink),
    route("GET", "/dev/inbox", Development),
    route("POST", "/dev/inbox/{channel}", Development),
    route("POST", "/api/dev/seed", Development),
    route("PUT", "/api/test/clock", TestOnly),
    route("GET", "/metrics", Person(ReadReports)),
    route("GET", "/api/me", Person(Read)),
    route("GET", "/api/categories", Person(Read)),
    route("GET", "/api/incidents", Person(Read)),
    route("POST", "/api/incidents", Person(Write)),
    route("GET", "/api/incidents/{id}", Person(Read)),
    route("POST", "/api/incidents/{id}/transitions", Person(Write)),
    route("PUT", "/api/incidents/{id}/priority", Person(Write)),
    route("PUT", "/api/incidents/{id}/category", Person(Write)),
    route("PUT", "/api/incidents/{id}/owner", Person(Write)),
    route("POST", "/api/incidents/{id}/timeline", Person(Write)),
    route("POST", "/api/incidents/{id}/acknowledge", Person(Write)),
    route("POST", "/api/incidents/{id}/teams", Person(Write)),
    route("GET", "/api/incidents/{id}/escalation", Person(Read)),
    route(
        "PUT",
        "/api/incidents/{id}/impact-start",
        Person(SetImpactStart),
    ),
    route("GET", "/api/problems", Person(Read)),
    route("POST", "/api/problems", Person(Write)),
    route("GET", "/api/problems/{id}", Person(Read)),
    route("PUT", "/api/problems/{id}/rca", Person(Write)),
    route("POST", "/api/problems/{id}/transitions", Person(Write)),
    route("PUT", "/api/problems/{id}/signatures", Person(Write)),
    route("POST", "/api/problems/{id}/incidents", Person(Write)),
    route("POST", "/api/problems/{id}/remediation", Person(Write)),
    route("POST", "/api/problems/{id}/vendor-rcas", Person(Write)),
    route("GET", "/api/problems/{id}/report", Person(Read)),
    route("POST", "/api/problems/{id}/report", Person(Write)),
    route("PUT", "/api/problems/{id}/report", Person(Write)),
    route(
        "POST",
        "/api/problems/{id}/report/transitions",
        Person(Write),
    ),
    route("POST", "/api/problems/{id}/report/approve", Person(Write)),
    route("POST", "/api/problems/{id}/report/publish", Person(Write)),
    route("POST", "/api/problems/{id}/reviews", Person(Write)),
    route("GET", "/api/remediation", Person(Read)),
    route("POST", "/api/remediation/{id}/transitions", Person(Write)),
    route("GET", "/api/users", Person(Administer)),
    route("POST", "/api/users", Person(Administer)),
    route("POST", "/api/users/{id}/tokens", Person(Administer)),
    route("POST", "/api/users/{id}/disable", Person(Administer)),
    route("POST", "/api/tokens/{id}/revoke", Person(Administer)),
    route("GET", "/api/audit", Person(ReadAudit)),
    route("GET", "/api/reports/{table}", Person(ReadReports)),
    route("GET", "/api/reports/charts/{file}", Person(ReadReports)),
    route("PUT", "/api/reports/close-targets", Person(SetCloseTargets)),
    route("GET", "/api/review", Person(ReadReports)),
    route("GET", "/api/review/snapshots", Person(ReadReports)),
    route("POST", "/api/review/snapshots", Person(RecordReview)),
    route("GET", "/api/review/snapshots/{id}", Person(ReadReports)),
    route("GET", "/api/post-incident/config", Person(Read)),
    route("PUT", "/api/post-incident/config", Person(ManageRotas)),
    route("GET", "/api/escalation/config", Person(Read)),
    route("PUT", "/api/escalation/config", Person(ManageRotas)),
    route("GET", "/api/on-call", Person(Read)),
    route("PUT", "/api/rotas/{role}", Person(ManageRotas)),
    route("GET", "/api/notification-channels", Person(ManageRotas)),
    route("POST", "/api/notification-channels", Person(ManageRotas)),
    route(
        "POST",
        "/api/notification-channels/{id}/disable",
        Person(ManageRotas),
    ),
    route("GET", "/api/status/page", Person(Read)),
    route("GET", "/api/status/slo", Person(Read)),
    route("PUT", "/api/status/slo", Person(SetServiceLevels)),
    route("POST", "/api/status/components", Person(PublishStatus)),
    route("PUT", "/api/status/components/{id}", Person(PublishStatus)),
    route(
        "PUT",
        "/api/status/components/{id}/status",
        Person(PublishStatus),
    ),
    route("POST", "/api/status/groups", Person(PublishStatus)),
    route("POST", "/api/status/incidents", Person(PublishStatus)),
    route(
        "POST",
        "/api/status/incidents/{id}/updates",
        Person(PublishStatus),
    ),
    route("POST", "/api/status/maintenances", Person(PublishStatus)),
    route(
        "POST",
        "/api/status/maintenances/{id}/updates",
        Person(PublishStatus),
    ),
    route("GET", "/api/alerts", Person(Read)),
    route("POST", "/api/alerts/{id}/{action}", Person(Write)),
    route("POST", "/api/integrations", Person(Administer)),
    route(
        "PUT",
        "/api/integrations/{name}/control",
        Person(Administer),
    ),
    route(
        "POST",
        "/api/integrations/{name}/rotate",
        Person(Administer),
    ),
    route(
        "POST",
        "/api/integrations/{name}/disable",
        Person(Administer),
    ),
];

impl Route {
    /// Whether `method` and the path's `segments` (without the leading `/`)
    /// match this route.
    pub fn matches(&self, method: &str, segments: &[&str]) -> bool {
        if !self.method.eq_ignore_ascii_case(method) {
            return false;
        }
        matches_pattern(self.pattern, segments)
    }
}

/// A path's segments without the slashes around it (`/` is `[""]`), as the
/// router, [`find_route`] and the app's pages read them.
pub fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/').split('/').collect()
}

/// Whether the path's `segments` match `pattern`, where a `{...}` segment
/// stands for any one non-empty segment.
fn matches_pattern(pattern: &str, segments: &[&str]) -> bool {
    let pattern = self::segments(pattern);
    pattern.len() == segments.len()
        && pattern
            .iter()
            .zip(segments)
            .all(|(p, s)| (p.starts_with('{') && !s.is_empty()) || p == s)
}

/// The route for `method` and the path's `segments`; a literal route wins
/// over one with a parameter in the same place (`/api/status/page` before
/// `/api/status/{...}`), so the most literal match is returned.
pub fn find_route(method: &str, segments: &[&str]) -> Option<&'static Route> {
    ROUTES
        .iter()
        .filter(|r| r.matches(method, segments))
        .max_by_key(|r| r.pattern.matches('/').count() - r.pattern.matches('{').count())
}

/// The permission a person needs for `method` and `segments`, if the route
/// is a person's route.
pub fn required_permission(method: &str, segments: &[&str]) -> Option<Permission> {
    match find_route(method, segments)?.access {
        Person(permission) => Some(permission),
        _ => None,
    }
}

/// The app's pages that load its second bundle, the desk: everything but the
/// SRE's first response. The first-response screens (every other page:
/// sign-in, the incident queue, the triage form, the incident page with its
/// acknowledgement) load without the desk's code, so that a phone at night
/// downloads only what the page in front of it needs. `cargo xtask build`
/// writes the desk's page for each path (`reports.html`,
/// `settings/escalation.html`), which the static assets serve for it, and
/// each bundle loads a page of the other one from the server instead of
/// routing to it.
pub const DESK_PAGES: &[&str] = &[
    "/alerts",
    "/on-call",
    "/problems",
    "/reports",
    "/review",
    "/publish",
    "/remediation",
    "/settings/escalation",
    "/admin/people",
];

/// Desk pages with an id in their path. No static file matches them, so the
/// worker answers them (they are in [`ROUTES`]) with the page of
/// [`DESK_PAGE_FILE`].
pub const DESK_PAGE_PATTERNS: &[&str] = &["/problems/{id}", "/problems/{id}/report"];

/// The desk page whose file the worker serves for [`DESK_PAGE_PATTERNS`].
pub const DESK_PAGE_FILE: &str = "/problems";

/// Whether the app page at `path` belongs to the desk bundle.
pub fn is_desk_page(path: &str) -> bool {
    let path = match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    DESK_PAGES.contains(&path) || is_desk_page_with_id(path)
}

/// Whether `path` matches one of [`DESK_PAGE_PATTERNS`], the worker's part
/// of serving the desk.
pub fn is_desk_page_with_id(path: &str) -> bool {
    let segments = segments(path);
    DESK_PAGE_PATTERNS
        .iter()
        .any(|pattern| matches_pattern(pattern, &segments))
}

/// One entry of the app's navigation: its path, its label, and the roles
/// that see it (`None`: everyone; the others see it once their role is known).
pub struct NavigationEntry {
    pub path: &'static str,
    pub label: &'static str,
    pub shown_to: Option<fn(Role) -> bool>,
}

impl NavigationEntry {
    /// Whether the entry is shown to a reader whose role is `role` (`None`
    /// while signed out or not yet known).
    pub fn is_shown_to(&self, role: Option<Role>) -> bool {
        match self.shown_to {
            None => true,
            Some(shown) => role.is_some_and(shown),
        }
    }
}

const fn entry(path: &'static str, label: &'static str) -> NavigationEntry {
    NavigationEntry {
        path,
        label,
        shown_to: None,
    }
}

/// The navigation both bundles show, in order; the status page and
/// signing in follow it.
pub const NAVIGATION: &[NavigationEntry] = &[
    entry("/", "Queue"),
    entry("/alerts", "Alerts"),
    entry("/on-call", "On call"),
    entry("/settings/escalation", "Time limits"),
    entry("/incidents/new", "New incident"),
    entry("/problems", "Problems"),
    entry("/remediation", "Remediation"),
    NavigationEntry {
        shown_to: Some(Role::may_read_reports),
        ..entry("/reports", "Reports")
    },
    entry("/review", "Review"),
    entry("/publish", "Publish"),
    NavigationEntry {
        shown_to: Some(Role::may_administer),
        ..entry("/admin/people", "People")
    },
];

/// The security headers of the app's pages and assets: scripts, styles and
/// wasm only from Beacon itself, no framing, no referrer. `cargo xtask build`
/// writes them for the static assets; the worker sets them on the desk pages
/// it serves.
pub const APP_PAGE_HEADERS: &[(&str, &str)] = &[
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC I3: every route is listed once, with a pattern that matches itself.
    #[test]
    fn every_route_is_listed_once_and_matches_its_own_pattern() {
        for (i, route) in ROUTES.iter().enumerate() {
            assert!(route.pattern.starts_with('/'), "{route:?}");
            let concrete = route.pattern.replace('{', "x").replace('}', "");
            assert_eq!(
                find_route(route.method, &segments(&concrete)),
                Some(route),
                "{route:?}"
            );
            for other in &ROUTES[i + 1..] {
                assert!(
                    (route.method, route.pattern) != (other.method, other.pattern),
                    "{route:?} twice"
                );
            }
        }
    }

    /// SPEC I3: the role checks of the table are Role's own permissions.
    #[test]
    fn permissions_follow_the_roles() {
        let post_incident = required_permission("POST", &segments("/api/incidents"));
        assert_eq!(post_incident, Some(Permission::Write));
        assert!(!Permission::Write.allows(Role::Viewer));
        assert!(Permission::Write.allows(Role::Engineer));
        assert_eq!(
            required_permission("GET", &segments("/api/users")),
            Some(Administer)
        );
        assert!(!Administer.allows(Role::Management));
        assert!(PublishStatus.allows(Role::CustomerSupport));
        assert!(!PublishStatus.allows(Role::Sre));
        assert!(ReadAudit.allows(Role::Security));
        assert!(!ReadReports.allows(Role::CustomerSupport));
        for role in Role::ALL {
            assert!(Read.allows(role));
        }
        assert_eq!(
            required_permission("GET", &segments("/api/status/page")),
            Some(Read)
        );
        assert_eq!(required_permission("GET", &segments("/status")), None);
        assert_eq!(
            required_permission("DELETE", &segments("/api/incidents")),
            None
        );
        assert_eq!(
            required_permission("GET", &segments("/api/incidents//escalation")),
            None
        );
    }

    #[test]
    fn desk_pages_are_told_apart_from_the_first_response_screens() {
        for desk in [
            "/reports",
            "/settings/escalation/",
            "/alerts",
            "/on-call",
            "/problems",
            "/problems/3",
            "/problems/3/report",
        ] {
            assert!(is_desk_page(desk), "{desk}");
        }
        for first_response in [
            "/",
            "/incidents/new",
            "/incidents/7",
            "/sign-in",
            "/problems/3/other",
        ] {
            assert!(!is_desk_page(first_response), "{first_response}");
        }
        // Each desk page is a static path (one file each), never under the API.
        assert!(DESK_PAGES
            .iter()
            .all(|p| p.starts_with('/') && !p.contains('{') && !p.starts_with("/api/")));
        assert!(DESK_PAGES.contains(&DESK_PAGE_FILE));
    }

    /// The worker answers every desk page with an id: each pattern is a
    /// public GET route of its table.
    #[test]
    fn every_desk_page_with_an_id_is_a_route_of_the_worker() {
        for pattern in DESK_PAGE_PATTERNS {
            let route = find_route("GET", &segments(pattern)).expect(pattern);
            assert_eq!(route.pattern, *pattern);
            assert_eq!(route.access, Access::Public);
        }
    }
}
