//! Mounts the desk bundle (every page but the first response: alerts, on
//! call, problems, and the management, customer support and admin screens)
//! into the page.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(beacon_app::DeskApp);
}
