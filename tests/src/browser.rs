//! Headless Chromium through chromedriver (WebDriver), driven with fantoccini.

use crate::{free_port, BoxError, GroupChild};
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The time zone the browser runs in: not UTC, so that a time typed on the
/// reader's wall clock (SPEC T4) cannot pass for UTC by accident.
pub const BROWSER_TIME_ZONE: &str = "America/New_York";

/// The width of a [`ChromeDriver::phone_session`], in CSS pixels.
pub const PHONE_WIDTH: u32 = 360;
/// The height of a [`ChromeDriver::phone_session`], in CSS pixels.
pub const PHONE_HEIGHT: u32 = 760;

/// A chromedriver process; each test opens its own [`Client`] session on it.
pub struct ChromeDriver {
    pub url: String,
    // Declared before the folder so that the browsers stop before it goes.
    _process: GroupChild,
    /// Chromium's profiles and temporary files (its `TMPDIR`), removed with
    /// the driver: a killed browser never cleans up after itself.
    _temporary: TemporaryFolder,
}

/// A folder removed (with its contents) on drop.
struct TemporaryFolder(std::path::PathBuf);

impl Drop for TemporaryFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl ChromeDriver {
    pub fn start() -> Result<Self, BoxError> {
        let port = free_port();
        let temporary = TemporaryFolder(
            std::env::temp_dir().join(format!("beacon-chromium-{}-{port}", std::process::id())),
        );
        std::fs::create_dir_all(&temporary.0)?;
        let driver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let process = GroupChild::spawn(
            "chromedriver",
            Command::new(driver)
                .arg(format!("--port={port}"))
                .env("TZ", BROWSER_TIME_ZONE)
                .env("TMPDIR", &temporary.0)
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )?;
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("chromedriver did not start".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(Self {
            url,
            _process: process,
            _temporary: temporary,
        })
    }

    /// A new headless browser session, 1280 px wide.
    pub async fn session(&self) -> Result<Client, BoxError> {
        self.session_with(serde_json::json!({})).await
    }

    /// A new headless session that emulates a phone [`PHONE_WIDTH`] px wide
    /// (a touch screen, pixel ratio 1, the page's viewport meta honoured).
    pub async fn phone_session(&self) -> Result<Client, BoxError> {
        self.session_with(serde_json::json!({
            "mobileEmulation": {
                "deviceMetrics": {
                    "width": PHONE_WIDTH, "height": PHONE_HEIGHT, "pixelRatio": 1.0,
                    "touch": true, "mobile": true
                }
            }
        }))
        .await
    }

    /// A new headless desktop session that saves downloads into `folder`
    /// without asking.
    pub async fn download_session(&self, folder: &std::path::Path) -> Result<Client, BoxError> {
        self.session_with(serde_json::json!({
            "prefs": {
                "download.default_directory": folder.to_string_lossy(),
                "download.prompt_for_download": false
            }
        }))
        .await
    }

    /// A new headless session with `extra` Chrome options beside the usual ones.
    async fn session_with(&self, extra: serde_json::Value) -> Result<Client, BoxError> {
        let mut options = serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1280,1000"
            ]
        });
        if let (Some(options), Some(extra)) = (options.as_object_mut(), extra.as_object()) {
            options.extend(extra.clone());
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::rustls()?
            .capabilities(caps)
            .connect(&self.url)
            .await?;
        Ok(client)
    }
}

/// Waits up to 20 s for `css` to appear.
pub async fn wait_for(
    client: &Client,
    css: &str,
) -> Result<fantoccini::elements::Element, BoxError> {
    Ok(client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await?)
}

/// Waits up to 20 s until `check` on the page source holds; the source is
/// read without the empty comments (`<!---->`) that mark where the
/// framework's views start and end, so `<strong>Checkout</strong>` matches.
pub async fn wait_until_source(
    client: &Client,
    what: &str,
    check: impl Fn(&str) -> bool,
) -> Result<(), BoxError> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let source = client.source().await?.replace("<!---->", "");
        if check(&source) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}; page was:\n{source}").into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
