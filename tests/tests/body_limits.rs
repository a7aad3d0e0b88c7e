//! Body limits on the bytes actually read: chunked bodies without
//! `Content-Length` are held to the same 512 KiB as declared ones.

use crate::{check, Env, TestFn};
use libtest_mimic::Failed;
use std::io::Read;

pub const TESTS: &[(&str, TestFn)] = &[(
    "body_limits::chunked_bodies_are_limited_by_the_bytes_read",
    chunked_bodies_are_limited_by_the_bytes_read,
)];

/// A body sent in 16 KiB chunks with no `Content-Length` (reqwest cannot
/// know the length of a reader, so it sends `Transfer-Encoding: chunked`).
struct Chunked {
    data: Vec<u8>,
    at: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(16 * 1024).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn chunked(data: Vec<u8>) -> reqwest::blocking::Body {
    reqwest::blocking::Body::new(Chunked { data, at: 0 })
}

/// JSON of about `bytes` bytes: an object with one long string.
fn json_of_size(bytes: usize) -> Vec<u8> {
    format!("{{\"title\":\"{}\"}}", "x".repeat(bytes)).into_bytes()
}

/// SPEC I4: a chunked 600 KiB body without `Content-Length` is refused with
/// 413 on `/v2/enqueue`, the Alertmanager webhook (after its bearer secret
/// is checked) and `POST /api/incidents`, storing nothing; a small chunked
/// body is accepted.
fn chunked_bodies_are_limited_by_the_bytes_read(env: &Env) -> Result<(), Failed> {
    let secret = crate::ingest::integration(env, "am-chunked", "alertmanager")?;
    let sre = env.worker.token("sre").to_owned();
    let count = |table: &str| -> Result<u64, Failed> {
        let rows = env
            .worker
            .query(&format!("SELECT count(*) AS n FROM {table}"))
            .map_err(|e| e.to_string())?;
        Ok(rows[0]["n"].as_u64().ok_or("count")?)
    };
    let before = (count("incidents")?, count("alert_events")?);
    for (path, bearer) in [
        ("/v2/enqueue", None),
        ("/api/webhooks/alertmanager", Some(secret.as_str())),
        ("/api/incidents", Some(sre.as_str())),
    ] {
        let mut request = env
            .http
            .post(env.worker.url(path))
            .header("content-type", "application/json")
            .body(chunked(json_of_size(600 * 1024)));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send()?;
        let status = response.status().as_u16();
        let text = response.text()?;
        check(
            status == 413,
            format!("{path}, 600 KiB chunked: {status} {text}"),
        )?;
    }
    check(
        (count("incidents")?, count("alert_events")?) == before,
        "the refused bodies stored nothing",
    )?;

    // The Alertmanager webhook refuses a wrong secret before reading a body.
    let status = env
        .http
        .post(env.worker.url("/api/webhooks/alertmanager"))
        .header("content-type", "application/json")
        .bearer_auth("bki_wrong")
        .body(chunked(json_of_size(600 * 1024)))
        .send()?
        .status()
        .as_u16();
    check(status == 401, format!("a wrong secret: {status}"))?;

    let small = serde_json::json!({"title": "Chunked but small", "category": "API",
        "facts": {"measurements": {"site_wide_degradation": true}}});
    let response = env
        .http
        .post(env.worker.url("/api/incidents"))
        .header("content-type", "application/json")
        .bearer_auth(&sre)
        .body(chunked(serde_json::to_vec(&small)?))
        .send()?;
    let status = response.status().as_u16();
    let text = response.text()?;
    check(
        status == 201 && text.contains("Chunked but small"),
        format!("a small chunked body: {status} {text}"),
    )?;
    let alert = serde_json::json!({
        "receiver": "beacon", "status": "firing", "version": "4",
        "groupKey": "{}:{alertname=\"ChunkedSmall\"}", "truncatedAlerts": 0,
        "groupLabels": {"alertname": "ChunkedSmall"},
        "commonLabels": {"alertname": "ChunkedSmall", "severity": "warning"},
        "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
        "alerts": [{
            "status": "firing",
            "labels": {"alertname": "ChunkedSmall", "severity": "warning", "job": "mq"},
            "annotations": {"summary": "Chunked small alert"},
            "startsAt": "2026-11-23T03:12:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph", "fingerprint": "chunked-small"
        }]
    });
    let response = env
        .http
        .post(env.worker.url("/api/webhooks/alertmanager"))
        .header("content-type", "application/json")
        .bearer_auth(&secret)
        .body(chunked(serde_json::to_vec(&alert)?))
        .send()?;
    let status = response.status().as_u16();
    let text = response.text()?;
    check(
        status == 200,
        format!("a small chunked webhook: {status} {text}"),
    )?;
    Ok(())
}
