//! Mounts the desk bundle (management, customer support and admin screens)
//! into the page.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(beacon_app::DeskApp);
}
