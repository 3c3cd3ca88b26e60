//! `--hibernate`: many linked numbers with few browsers (issue 18). Links `--numbers` numbers
//! with `MAX_AWAKE=--max-awake` and `WAKE_INTERVAL=--wake-interval`, waits until they sleep, then
//! over `--cycles` whole wake intervals sends inbound messages and API sends spread evenly over
//! the numbers, and measures: inbound -> webhook latency (bounded by the wake interval), the API
//! time of a send to a sleeping number (wake + send), peak memory, and the wakes by reason.

use std::time::{Duration, Instant};

use serde::Serialize;
use wa_gateway::procstats::Snapshot;
use wa_sim::InboundMessage;

use crate::args::Args;
use crate::client::{metric_sum, Result};
use crate::context::Run;
use crate::stats::{summarize, Summary};

const MIB: f64 = 1024.0 * 1024.0;
/// How long after its last activity a number sleeps in the bench.
const HIBERNATE_AFTER: &str = "20s";
/// Inbound messages still in flight after the cycles are waited for this much beyond the interval.
const GRACE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Serialize)]
pub struct HibernateResult {
    pub numbers: usize,
    pub max_awake: usize,
    pub wake_interval_secs: u64,
    pub cycles: u32,
    pub link_secs: f64,
    /// Inbound `Simulator::send_inbound` -> the `message` webhook, over every number.
    pub inbound: Option<Summary>,
    pub inbound_lost: usize,
    /// The API time of sends to numbers that were asleep when sent (wake + send).
    pub wake_send: Option<Summary>,
    pub send_failures: usize,
    pub peak_memory_mib: f64,
    pub wakes_schedule: f64,
    pub wakes_demand: f64,
}

pub fn env(args: &Args) -> Vec<(String, String)> {
    vec![
        ("HIBERNATE_AFTER".into(), HIBERNATE_AFTER.into()),
        ("WAKE_INTERVAL".into(), format!("{}s", args.wake_interval)),
        ("MAX_AWAKE".into(), args.max_awake.to_string()),
        ("MAX_SESSIONS".into(), (args.numbers + 10).to_string()),
    ]
}

pub async fn run(args: &Args, run: &mut Run) -> Result<HibernateResult> {
    let started = Instant::now();
    run.ensure_linked(args.numbers).await?;
    let link_secs = started.elapsed().as_secs_f64();
    eprintln!("  linked {} numbers in {link_secs:.0} s", args.numbers);
    wait_asleep(run, args.numbers.saturating_sub(args.max_awake)).await;
    let mut peak = memory_mib(run);
    let span = Duration::from_secs(args.wake_interval) * args.cycles;
    let step = span / (args.numbers as u32 * 2).max(1);
    let (mut sent_inbound, mut wake_sends, mut failures) = (Vec::new(), Vec::new(), 0);
    for i in 0..args.numbers * 2 {
        let (id, number) = run.linked[i % args.numbers].clone();
        if i % 2 == 0 {
            let body = format!("hibernate bench inbound {i}");
            let msg = InboundMessage::text(&number, "923215550001", &body);
            run.sim.send_inbound(msg).await.map_err(|e| e.to_string())?;
            sent_inbound.push((body, Instant::now()));
        } else {
            let asleep = is_asleep(run, &id).await;
            let at = Instant::now();
            match run
                .api()
                .send(&id, "923215550002", "hibernate bench send")
                .await
            {
                Ok(()) if asleep => wake_sends.push(at.elapsed()),
                Ok(()) => {}
                Err(_) => failures += 1,
            }
        }
        peak = peak.max(memory_mib(run));
        tokio::time::sleep(step).await;
    }
    let limit = Duration::from_secs(args.wake_interval) + GRACE;
    let (latencies, lost) = inbound_latencies(run, &sent_inbound, limit).await;
    let metrics = run.api().metrics().await?;
    Ok(HibernateResult {
        numbers: args.numbers,
        max_awake: args.max_awake,
        wake_interval_secs: args.wake_interval,
        cycles: args.cycles,
        link_secs,
        inbound: summarize(&latencies),
        inbound_lost: lost,
        wake_send: summarize(&wake_sends),
        send_failures: failures,
        peak_memory_mib: peak.max(memory_mib(run)),
        wakes_schedule: metric_sum(&metrics, "wa_wakes_total{reason=\"schedule\"}"),
        wakes_demand: metric_sum(&metrics, "wa_wakes_total{reason=\"demand\"}"),
    })
}

/// Waits (bounded) until at least `n` numbers sleep.
async fn wait_asleep(run: &Run, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while Instant::now() < deadline {
        let asleep = match run.api().metrics().await {
            Ok(text) => metric_sum(&text, "wa_numbers_asleep") as usize,
            Err(_) => 0,
        };
        if asleep >= n {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    eprintln!("  warning: fewer than {n} numbers fell asleep in 10 min");
}

async fn is_asleep(run: &Run, id: &str) -> bool {
    let connection = run.api().get(&format!("/wa/connections/{id}")).await;
    connection.is_ok_and(|(_, c)| c["awake"] == false)
}

/// Each inbound message's latency to the webhook (waited for up to `limit` after it was sent).
async fn inbound_latencies(
    run: &Run,
    sent: &[(String, Instant)],
    limit: Duration,
) -> (Vec<Duration>, usize) {
    let (mut latencies, mut lost) = (Vec::new(), 0);
    for (body, at) in sent {
        let left = limit.saturating_sub(at.elapsed());
        match run.receiver.wait_for(body, left).await {
            Some(arrived) => latencies.push(arrived.saturating_duration_since(*at)),
            None => lost += 1,
        }
    }
    (latencies, lost)
}

/// PSS of the gateway and everything under it, in MiB.
fn memory_mib(run: &Run) -> f64 {
    let snap = Snapshot::take();
    let pid = run.gateway.pid();
    let trees: u64 = snap
        .children(pid)
        .into_iter()
        .filter_map(|p| snap.tree_stats(p))
        .map(|t| t.pss_bytes)
        .sum();
    let own = snap.process_stats(pid).unwrap_or_default().pss_bytes;
    (trees + own) as f64 / MIB
}

pub fn print(r: &HibernateResult, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(r).unwrap_or_default());
        return;
    }
    let show = |s: &Option<Summary>| match s {
        Some(s) => format!(
            "p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (n = {})",
            s.p50_ms, s.p99_ms, s.max_ms, s.count
        ),
        None => "no samples".into(),
    };
    eprintln!(
        "hibernation: {} numbers, MAX_AWAKE={}, WAKE_INTERVAL={} s, {} cycle(s)",
        r.numbers, r.max_awake, r.wake_interval_secs, r.cycles
    );
    eprintln!("  linking took {:.0} s", r.link_secs);
    eprintln!(
        "  inbound -> webhook: {}; lost {}",
        show(&r.inbound),
        r.inbound_lost
    );
    eprintln!(
        "  send to a sleeping number (wake + send): {}; failures {}",
        show(&r.wake_send),
        r.send_failures
    );
    eprintln!(
        "  peak memory (gateway + browsers, PSS): {:.0} MiB",
        r.peak_memory_mib
    );
    eprintln!(
        "  wakes: {} scheduled, {} on demand",
        r.wakes_schedule, r.wakes_demand
    );
}
