//! Starts the SRE's first-response bundle (sign-in, the incident queue,
//! the triage form, the incident page) on the page; it carries no view
//! framework ([`beacon_app::first_response`]).

fn main() {
    beacon_app::first_response::start();
}
