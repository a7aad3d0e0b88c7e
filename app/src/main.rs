//! Mounts the SRE's first-response bundle (sign-in, the incident queue,
//! the triage form, the incident page) into the page.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(beacon_app::App);
}
