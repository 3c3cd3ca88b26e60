//! The measurements, one function each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use wa_gateway::procstats::Snapshot;
use wa_sim::InboundMessage;

use crate::client::{metric_sum, Result};
use crate::context::Run;
use crate::stats::{summarize, Summary};

/// A number that is on WhatsApp but is no simulated account (no relay, no extra page work).
const RECIPIENT: &str = "923339998877";
const MIB: f64 = 1024.0 * 1024.0;

/// add-number until the QR is in the response, one at a time; each connection is then removed.
/// With `spare_ready`, each call first waits (up to 20 s) until the gateway reports a warm spare
/// browser ready (`wa_spare_browsers`), as a call that does not come in a burst finds it.
pub async fn qr(run: &Run, count: usize, spare_ready: bool) -> Result<Summary> {
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        if spare_ready {
            wait_spare(run).await;
        }
        let started = Instant::now();
        let id = run.api().add_number().await?;
        samples.push(started.elapsed());
        run.api().disconnect(&id).await?;
    }
    summarize(&samples).ok_or_else(|| "no samples".into())
}

async fn wait_spare(run: &Run) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let text = run.api().metrics().await.unwrap_or_default();
        if metric_sum(&text, "wa_spare_browsers") >= 1.0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MemoryRow {
    pub flags: String,
    pub page_weight_mib: u32,
    pub connections: usize,
    pub browsers_found: usize,
    pub processes_per_browser: f64,
    pub browser_pss_mib: f64,
    pub gateway_pss_mib: f64,
    /// (all browsers + gateway) / connections
    pub per_session_mib: f64,
    pub total_pss_mib: f64,
}

/// PSS of every browser tree under the gateway, plus the gateway itself. Each tree is rooted at the
/// browser's guard (about 1.5 MB of its own, counted as one process of the browser's): a true cost
/// per session.
pub fn memory(run: &Run) -> MemoryRow {
    let snap = Snapshot::take();
    let gateway_pid = run.gateway.pid();
    let trees: Vec<_> = snap
        .children(gateway_pid)
        .into_iter()
        .filter_map(|pid| snap.tree_stats(pid))
        .collect();
    let gateway = snap.process_stats(gateway_pid).unwrap_or_default();
    let browsers: u64 = trees.iter().map(|t| t.pss_bytes).sum();
    let procs: usize = trees.iter().map(|t| t.processes).sum();
    let n = run.linked.len().max(1) as f64;
    let found = trees.len().max(1) as f64;
    MemoryRow {
        flags: run.flags.clone(),
        page_weight_mib: run.page_weight_mib,
        connections: run.linked.len(),
        browsers_found: trees.len(),
        processes_per_browser: procs as f64 / found,
        browser_pss_mib: browsers as f64 / found / MIB,
        gateway_pss_mib: gateway.pss_bytes as f64 / MIB,
        per_session_mib: (browsers + gateway.pss_bytes) as f64 / n / MIB,
        total_pss_mib: (browsers + gateway.pss_bytes) as f64 / MIB,
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SendResult {
    pub connections: usize,
    /// API call until the simulator recorded the message.
    pub recorded: Summary,
    /// API call until the API answered (includes WhatsApp's server ack).
    pub api: Summary,
    pub failures: usize,
    pub sends_per_second: f64,
    /// CPU time per send: the gateway with all its browsers, and this process (the simulator).
    pub gateway_cpu_ms_per_send: f64,
    pub simulator_cpu_ms_per_send: f64,
}

/// CPU seconds of the gateway's whole tree and of this process.
fn cpu_now(run: &Run) -> (f64, f64) {
    let snap = Snapshot::take();
    let gateway = snap
        .tree_stats(run.gateway.pid())
        .map_or(0.0, |t| t.cpu_seconds);
    let me = snap
        .process_stats(std::process::id())
        .map_or(0.0, |t| t.cpu_seconds);
    (gateway, me)
}

/// `total` sends split over the first `connections` linked numbers, each connection sequential.
pub async fn send(run: &Run, connections: usize, total: usize) -> Result<SendResult> {
    let mut feed = run.sim.subscribe_sent();
    let recorded: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let collector = tokio::spawn({
        let recorded = recorded.clone();
        async move {
            while let Ok(m) = feed.recv().await {
                recorded.lock().unwrap().insert(m.body, Instant::now());
            }
        }
    });
    let cpu_before = cpu_now(run);
    let started = Instant::now();
    let per = total.div_ceil(connections);
    let loops = run.linked[..connections]
        .iter()
        .enumerate()
        .map(|(c, (id, _))| {
            let api = run.api().clone();
            let id = id.clone();
            async move {
                let mut out = Vec::with_capacity(per);
                for i in 0..per {
                    let body = format!("bench {c}-{i} {}", started.elapsed().as_nanos());
                    let t0 = Instant::now();
                    let ok = api.send(&id, RECIPIENT, &body).await;
                    out.push((body, t0, t0.elapsed(), ok.is_ok()));
                }
                out
            }
        });
    let results: Vec<_> = futures_join(loops).await.into_iter().flatten().collect();
    let wall = started.elapsed();
    let cpu_after = cpu_now(run);
    let deadline = Instant::now() + Duration::from_secs(10);
    let ok_count = results.iter().filter(|r| r.3).count();
    while recorded.lock().unwrap().len() < ok_count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    collector.abort();
    let seen = recorded.lock().unwrap();
    let rec: Vec<Duration> = results
        .iter()
        .filter_map(|(body, t0, _, _)| Some(seen.get(body)?.saturating_duration_since(*t0)))
        .collect();
    let api: Vec<Duration> = results.iter().filter(|r| r.3).map(|r| r.2).collect();
    Ok(SendResult {
        connections,
        recorded: summarize(&rec).ok_or("no message reached the simulator")?,
        api: summarize(&api).ok_or("no send succeeded")?,
        failures: results.len() - ok_count,
        sends_per_second: ok_count as f64 / wall.as_secs_f64(),
        gateway_cpu_ms_per_send: (cpu_after.0 - cpu_before.0) * 1e3 / results.len() as f64,
        simulator_cpu_ms_per_send: (cpu_after.1 - cpu_before.1) * 1e3 / results.len() as f64,
    })
}

async fn futures_join<F: std::future::Future + Send + 'static>(
    futs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futs.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.expect("a send loop panicked"));
    }
    out
}

/// Inbound message at the simulator until the webhook receiver has it, one at a time.
pub async fn webhook(run: &Run, count: usize) -> Result<Summary> {
    let (_, account) = run.linked.first().ok_or("no linked connection")?;
    let probe = "bench webhook probe".to_owned();
    inbound(run, account, &probe).await?;
    if run
        .receiver
        .wait_for(&probe, Duration::from_secs(15))
        .await
        .is_none()
    {
        return Err("the gateway delivered no webhook within 15 s (WEBHOOK_URL not supported by this build?)".into());
    }
    let mut samples = Vec::with_capacity(count);
    for i in 0..count {
        let body = format!("bench inbound {i}");
        let t0 = Instant::now();
        inbound(run, account, &body).await?;
        match run.receiver.wait_for(&body, Duration::from_secs(10)).await {
            Some(at) => samples.push(at.saturating_duration_since(t0)),
            None => return Err(format!("message {i} never reached the webhook")),
        }
    }
    summarize(&samples).ok_or_else(|| "no samples".into())
}

async fn inbound(run: &Run, account: &str, body: &str) -> Result<()> {
    run.sim
        .send_inbound(InboundMessage::text(account, "923215550001", body))
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Serialize)]
pub struct RpsResult {
    pub clients: usize,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub requests_per_second: f64,
    pub latency: Option<Summary>,
    pub listed_connections: usize,
}

/// `GET /wa/connections` from `clients` keep-alive connections for `secs` (after 1 s warm-up).
pub async fn rps(run: &Run, clients: usize, secs: u64) -> Result<RpsResult> {
    let listed = run
        .api()
        .http
        .get(format!("{}/wa/connections", run.api().base));
    let listed: Vec<serde_json::Value> = listed
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let addr = run.api().base.trim_start_matches("http://").to_owned();
    let warm = Instant::now() + Duration::from_secs(1);
    let end = warm + Duration::from_secs(secs);
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            tokio::spawn(crate::load::client(
                addr.clone(),
                "/wa/connections",
                warm,
                end,
            ))
        })
        .collect();
    let (mut ok, mut errors, mut lat) = (0, 0, Vec::new());
    for w in workers {
        let r = w.await.map_err(|e| e.to_string())?;
        ok += r.ok;
        errors += r.errors;
        lat.extend(r.latencies);
    }
    Ok(RpsResult {
        clients,
        seconds: secs as f64,
        requests: ok,
        errors,
        requests_per_second: ok as f64 / secs as f64,
        latency: summarize(&lat),
        listed_connections: listed.len(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct RestoreResult {
    pub connections: usize,
    pub stop_seconds: f64,
    pub listening_seconds: f64,
    /// Restart until every restore finished (the gateway's own restore counter).
    pub all_ready_seconds: f64,
    /// Restart until every connection answered a send.
    pub all_answered_seconds: f64,
    pub restored_ok: u64,
    pub restored_expired: u64,
    pub restored_failed: u64,
}

/// SIGTERM with `n` linked connections, start again, time until all are back.
pub async fn restore(run: &mut Run, n: usize) -> Result<RestoreResult> {
    run.ensure_linked(n).await?;
    let count = run.linked.len();
    let stop = run.gateway.stop().await;
    run.gateway.ensure_no_browser_left().await;
    let started = Instant::now();
    run.gateway.restart().await;
    let listening = started.elapsed();
    let deadline = started + Duration::from_secs(300);
    let (ok, expired, failed) = loop {
        let text = run.api().metrics().await.unwrap_or_default();
        let r = |res: &str| metric_sum(&text, &format!("wa_restores_total{{result=\"{res}\"}}"));
        let (ok, expired, failed) = (r("ok"), r("expired"), r("failed"));
        if (ok + expired + failed) as usize >= count {
            break (ok, expired, failed);
        }
        if Instant::now() > deadline {
            return Err(format!("only {ok} of {count} restored in 300 s"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ready = started.elapsed();
    let sends = run.linked.iter().map(|(id, _)| {
        let (api, id) = (run.api().clone(), id.clone());
        async move { api.send(&id, RECIPIENT, "after restore").await }
    });
    let answers = futures_join(sends).await;
    if let Some(Err(e)) = answers.iter().find(|a| a.is_err()) {
        return Err(format!("a restored connection did not send: {e}"));
    }
    Ok(RestoreResult {
        connections: count,
        stop_seconds: stop.as_secs_f64(),
        listening_seconds: listening.as_secs_f64(),
        all_ready_seconds: ready.as_secs_f64(),
        all_answered_seconds: started.elapsed().as_secs_f64(),
        restored_ok: ok as u64,
        restored_expired: expired as u64,
        restored_failed: failed as u64,
    })
}

/// Memory the machine still has available, from `/proc/meminfo`.
pub fn available_bytes() -> u64 {
    meminfo("MemAvailable:")
}

pub fn total_bytes() -> u64 {
    meminfo("MemTotal:")
}

fn meminfo(key: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix(key))?
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0)
        * 1024
}
