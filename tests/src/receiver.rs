//! A local HTTP server that records every request, standing in for Slack and
//! for a team's webhook endpoint in the escalation tests. A path under
//! `/slow/` is answered 200 after [`SLOW_ANSWER`]; one under `/fail/` always
//! gets 500; any other 200 at once. Each connection has its own thread, so a
//! slow answer holds up nobody else.

use crate::BoxError;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a `/slow/` path waits before it answers.
pub const SLOW_ANSWER: Duration = Duration::from_secs(10);

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When it arrived (before it was answered).
    pub at: Instant,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }
}

/// Keeps every request and answers it as its path says; stops with the test process.
pub struct WebhookReceiver {
    pub base_url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl WebhookReceiver {
    pub fn start() -> Result<Self, BoxError> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || answer(stream, &log));
            }
        });
        Ok(Self { base_url, received })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Every request so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// The requests `keep` selects once delivery has settled: as soon as at
    /// least one arrived and nothing new came for 2 s, or after 5 s with
    /// none; at most 20 s.
    pub fn settled(&self, keep: impl Fn(&Received) -> bool) -> Vec<Received> {
        let started = Instant::now();
        let mut seen = Vec::new();
        let mut changed = Instant::now();
        loop {
            let now: Vec<Received> = self.received().into_iter().filter(|r| keep(r)).collect();
            if now.len() != seen.len() {
                seen = now;
                changed = Instant::now();
            }
            let quiet = changed.elapsed();
            let done = (!seen.is_empty() && quiet >= Duration::from_secs(2))
                || (seen.is_empty() && started.elapsed() >= Duration::from_secs(5))
                || started.elapsed() >= Duration::from_secs(20);
            if done {
                return seen;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits up to `timeout` until `count` requests that `keep` selects arrived;
    /// returns what arrived.
    pub fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
        keep: impl Fn(&Received) -> bool,
    ) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let now: Vec<Received> = self.received().into_iter().filter(|r| keep(r)).collect();
            if now.len() >= count || started.elapsed() >= timeout {
                return now;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads one request, keeps it, and answers as its path says.
fn answer(mut stream: TcpStream, log: &Mutex<Vec<Received>>) {
    let path = match read_request(&stream) {
        Ok(request) => {
            let path = request.path.clone();
            if let Ok(mut log) = log.lock() {
                log.push(request);
            }
            path
        }
        Err(_) => String::new(),
    };
    let answer: &[u8] = if path.starts_with("/fail/") {
        b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nfail"
    } else {
        if path.starts_with("/slow/") {
            std::thread::sleep(SLOW_ANSWER);
        }
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\nok"
    };
    let _ = stream.write_all(answer);
}

fn read_request(stream: &TcpStream) -> Result<Received, BoxError> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Received {
        path,
        headers,
        body,
        at: Instant::now(),
    })
}
