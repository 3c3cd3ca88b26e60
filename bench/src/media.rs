//! Media rows: an image (1 MiB) and a document (20 MiB) sent as multipart until the simulator has
//! decrypted them from its CDN; an inbound image until the webhook has its `message` event and
//! `GET …/media` has served its bytes; the gateway's peak RSS growth while sending 64 MiB.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use wa_sim::InboundMedia;

use crate::client::Result;
use crate::context::Run;
use crate::stats::{summarize, Summary};

const RECIPIENT: &str = "923215550002";
const SENDER: &str = "923215550003";

#[derive(Debug, Serialize)]
pub struct MediaSendRow {
    pub what: String,
    pub bytes: usize,
    /// API call to the simulator recording the decrypted media.
    pub recorded: Summary,
    pub api: Summary,
}

#[derive(Debug, Serialize)]
pub struct MediaReport {
    pub sends: Vec<MediaSendRow>,
    /// Inbound image at the simulator until the webhook had it and `GET …/media` served it.
    pub inbound: Option<Summary>,
    pub file_mib: f64,
    pub rss_before_mib: f64,
    pub rss_peak_mib: f64,
    /// Peak RSS growth over the file size.
    pub rss_growth_ratio: f64,
}

/// Bytes that sniff as the kind, then vary (so nothing compresses or dedupes).
fn file(header: &[u8], len: usize, seed: usize) -> Vec<u8> {
    let mut out = header.to_vec();
    out.extend((0..len.saturating_sub(header.len())).map(|i| ((i + seed) * 31 % 253) as u8));
    out
}

fn multipart(to: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let b = "----wa-bench-media";
    let mut body = format!("--{b}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n{to}\r\n--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{b}--\r\n").bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn send_file(run: &Run, id: &str, name: &str, bytes: &[u8]) -> Result<String> {
    let (ct, body) = multipart(RECIPIENT, name, bytes);
    let resp = run
        .api()
        .http
        .post(format!("{}/wa/send/{id}", run.api().base))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let v: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    match (status, v["messageId"].as_str()) {
        (200, Some(id)) => Ok(id.to_owned()),
        _ => Err(format!("media send answered {status}: {v}")),
    }
}

/// `count` sends of `size`-byte files (`header` typed), one at a time.
pub async fn sends(
    run: &Run,
    what: &str,
    header: &[u8],
    size: usize,
    count: usize,
) -> Result<MediaSendRow> {
    let (id, _) = run.linked.first().ok_or("no linked connection")?.clone();
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut feed = run.sim.subscribe_sent();
    let collector = tokio::spawn({
        let seen = seen.clone();
        async move {
            while let Ok(m) = feed.recv().await {
                if m.media.as_ref().is_some_and(|x| x.error.is_none()) {
                    seen.lock().unwrap().insert(m.id, Instant::now());
                }
            }
        }
    });
    let (mut api, mut rec) = (Vec::new(), Vec::new());
    for i in 0..count {
        let bytes = file(header, size, i);
        let t0 = Instant::now();
        let message_id = send_file(run, &id, what, &bytes).await?;
        api.push(t0.elapsed());
        if let Some(at) = seen.lock().unwrap().get(&message_id) {
            rec.push(at.saturating_duration_since(t0));
        }
    }
    collector.abort();
    Ok(MediaSendRow {
        what: what.to_owned(),
        bytes: size,
        recorded: summarize(&rec).ok_or("the simulator recorded no media")?,
        api: summarize(&api).ok_or("no media send succeeded")?,
    })
}

/// Inbound image until the webhook has its event and the gateway served the bytes.
pub async fn inbound(run: &Run, count: usize) -> Result<Summary> {
    let (_, account) = run.linked.first().ok_or("no linked connection")?.clone();
    let mut samples = Vec::new();
    for i in 0..count {
        let marker = format!("bench media {i}");
        let media = InboundMedia {
            to: account.clone(),
            from: SENDER.into(),
            kind: "image".into(),
            mimetype: "image/png".into(),
            data: base64_of(&file(b"\x89PNG\r\n\x1a\n", 200_000, i)),
            filename: None,
            caption: Some(marker.clone()),
            group: None,
            push_name: None,
            duration: None,
            width: None,
            height: None,
            view_once: false,
            stage: None,
        };
        let t0 = Instant::now();
        let sent = run
            .sim
            .send_inbound_media(media)
            .await
            .map_err(|e| e.to_string())?;
        let msg_id = sent["id"].as_str().unwrap_or_default().to_owned();
        if run
            .receiver
            .wait_for(&msg_id, Duration::from_secs(15))
            .await
            .is_none()
        {
            return Err(format!("inbound media {i} never reached the webhook"));
        }
        let url = format!("{}/wa/messages/{msg_id}/media", run.api().base);
        let got = run
            .api()
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let ok = got.status().is_success();
        let body = got.bytes().await.map_err(|e| e.to_string())?;
        if !ok || body.len() != 200_000 {
            return Err(format!("GET media {i} served {} bytes", body.len()));
        }
        samples.push(t0.elapsed());
    }
    summarize(&samples).ok_or_else(|| "no samples".into())
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The gateway's resident set (VmRSS), MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Sends one 64 MiB document while sampling the gateway's RSS every 20 ms.
pub async fn rss_while_sending(run: &Run) -> Result<(f64, f64, f64)> {
    let (id, _) = run.linked.first().ok_or("no linked connection")?.clone();
    let pid = run.gateway.pid();
    let before = rss_mib(pid);
    let peak = Arc::new(Mutex::new(before));
    let sampler = tokio::spawn({
        let peak = peak.clone();
        async move {
            loop {
                let now = rss_mib(pid);
                {
                    let mut p = peak.lock().unwrap();
                    *p = p.max(now);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });
    let size = 64 * 1024 * 1024 - 4096;
    let bytes = file(b"%PDF-1.7\n", size, 7);
    let sent = send_file(run, &id, "big.pdf", &bytes).await;
    sampler.abort();
    sent?;
    let peak = *peak.lock().unwrap();
    Ok((size as f64 / (1 << 20) as f64, before, peak))
}

/// Every media row.
pub async fn report(run: &Run, count: usize) -> Result<MediaReport> {
    // First, so that no earlier send has already grown the heap the allocator keeps.
    let (file_mib, before, peak) = rss_while_sending(run).await?;
    let png = b"\x89PNG\r\n\x1a\n";
    let sends = vec![
        sends(run, "image 1 MiB", png, 1 << 20, count).await?,
        sends(
            run,
            "document 20 MiB",
            b"%PDF-1.7\n",
            20 << 20,
            count.div_ceil(4),
        )
        .await?,
    ];
    let inbound = inbound(run, count).await.ok();
    Ok(MediaReport {
        sends,
        inbound,
        file_mib,
        rss_before_mib: before,
        rss_peak_mib: peak,
        rss_growth_ratio: (peak - before) / file_mib,
    })
}
