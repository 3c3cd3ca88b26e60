//! wa-bench: the release gateway as a process, real Chromium, wa-sim in-process. Prints a table
//! (and JSON with `--json`); see `docs/PERFORMANCE.md` for a run and how to read it.

mod args;
mod chats;
mod client;
mod context;
mod curve;
mod gateway;
mod hibernate;
mod load;
mod media;
mod report;
mod sections;
mod stats;
mod svg;
mod webhook;

use std::time::Duration;

use args::Args;
use context::Run;
use report::Report;
use wa_sim::{AckBehaviour, SimConfig};

/// The simulator's test timings, with the server ack immediate so a send's API time is the
/// gateway's and the page's, not a simulated network delay.
/// `page_weight_mib` makes the page as heavy as the real one (0 = the bare page).
pub fn sim_config(page_weight_mib: u32) -> SimConfig {
    SimConfig {
        acks: AckBehaviour::auto(0, 100, 150),
        page_weight_mib,
        ..SimConfig::fast()
    }
}

/// Media sends per row (the 20 MiB row sends a quarter as many).
const MEDIA_SENDS: usize = 20;

#[tokio::main]
async fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("{why}\n");
            }
            eprint!("{}", args::USAGE);
            std::process::exit(2);
        }
    };
    if !args.gateway.is_file() {
        eprintln!(
            "{} not found: run `cargo build --release -p wa-gateway -p wa-bench` first (make bench)",
            args.gateway.display()
        );
        std::process::exit(2);
    }
    if args.hibernate {
        return hibernate_run(&args).await;
    }
    let mut report = Report::new(&args);
    if needs_tuned_run(&args) {
        tuned_run(&args, &mut report).await;
    }
    // The bare page with the tuned flags is measured within the tuned run above.
    for flags in &args.flags {
        for &weight in &args.weights {
            if !args.wants("memory") || (flags == "tuned" && weight == 0) {
                continue;
            }
            let mut run = Run::start(&args, flags, weight).await;
            memory_table(&args, &mut run, &mut report).await;
            run.finish().await;
        }
    }
    if args.curve {
        curve_run(&args, &mut report).await;
    }
    report.print(args.json);
    let missing = report.missing(&args);
    if args.require_all && !missing.is_empty() {
        eprintln!("missing rows: {}", missing.join(", "));
        std::process::exit(1);
    }
}

/// `--hibernate`: its own gateway run and its own report.
async fn hibernate_run(args: &Args) {
    step(&format!("hibernation, {} numbers", args.numbers));
    let mut with_env = args.clone();
    with_env.env.extend(hibernate::env(args));
    let mut run = Run::start(&with_env, "tuned", 0).await;
    let result = hibernate::run(args, &mut run).await;
    run.finish().await;
    match result {
        Ok(r) => hibernate::print(&r, args.json),
        Err(e) => {
            eprintln!("hibernation bench failed: {e}");
            std::process::exit(1);
        }
    }
}

fn needs_tuned_run(args: &Args) -> bool {
    let memory_tuned = args.wants("memory")
        && args.flags.iter().any(|f| f == "tuned")
        && args.weights.contains(&0);
    memory_tuned
        || [
            "qr", "send", "webhook", "rps", "restore", "numbers", "history", "media",
        ]
        .iter()
        .any(|s| args.wants(s))
}

async fn tuned_run(args: &Args, report: &mut Report) {
    let mut run = Run::start(args, "tuned", 0).await;
    if args.wants("qr") {
        step("add-number -> QR, back to back");
        report.qr = sections::qr(&run, args.qr, false)
            .await
            .map_err(|e| report.note(e))
            .ok();
        // With spares switched off (`--env SPARE_BROWSERS=0`) there is none to wait for.
        let no_spares = args
            .env
            .iter()
            .any(|(k, v)| k == "SPARE_BROWSERS" && v == "0");
        if !no_spares {
            step("add-number -> QR, a spare browser ready");
            report.qr_spare = sections::qr(&run, args.qr, true)
                .await
                .map_err(|e| report.note(e))
                .ok();
        }
    }
    if args.wants("memory") && args.flags.iter().any(|f| f == "tuned") && args.weights.contains(&0)
    {
        memory_table(args, &mut run, report).await;
    }
    if args.wants("send") {
        for conns in [1, 10] {
            step(&format!("send latency, {conns} connection(s)"));
            if let Err(e) = run.ensure_linked(conns).await {
                report.note(e);
                continue;
            }
            match sections::send(&run, conns, args.sends).await {
                Ok(r) => report.send.push(r),
                Err(e) => report.note(e),
            }
        }
    }
    if args.wants("webhook") {
        step("inbound -> webhook");
        let linked = run.ensure_linked(1).await;
        match linked.and(Ok(())) {
            Ok(()) => match sections::webhook(&run, args.inbound).await {
                Ok(s) => report.webhook = Some(s),
                Err(e) => report.note(format!("webhook latency skipped: {e}")),
            },
            Err(e) => report.note(e),
        }
    }
    if args.wants("numbers") {
        step("check of 100 numbers");
        let linked = run.ensure_linked(1).await;
        report.numbers = match linked {
            Ok(()) => chats::numbers(&run, args.checks)
                .await
                .map_err(|e| report.note(e))
                .ok(),
            Err(e) => {
                report.note(e);
                None
            }
        };
    }
    if args.wants("history") {
        step("chat history pages of 50");
        report.history = chats::history(&run, args.history)
            .await
            .map_err(|e| report.note(e))
            .ok();
    }
    if args.wants("media") {
        step("media: image 1 MiB, document 20 MiB, inbound image, RSS while sending 64 MiB");
        match run.ensure_linked(1).await {
            Ok(()) => match media::report(&run, MEDIA_SENDS).await {
                Ok(m) => report.media = Some(m),
                Err(e) => report.note(format!("media skipped: {e}")),
            },
            Err(e) => report.note(e),
        }
    }
    if args.wants("rps") {
        step("GET /wa/connections load");
        report.rps = sections::rps(&run, args.rps_clients, args.rps_secs)
            .await
            .map_err(|e| report.note(e))
            .ok();
    }
    if args.wants("restore") {
        step("restore after SIGTERM");
        report.restore = sections::restore(&mut run, args.restore_n)
            .await
            .map_err(|e| report.note(e))
            .ok();
    }
    if let Some(max) = args.find_max {
        step("highest N that fits");
        report.max_n = Some(find_max(&mut run, max, args.settle_secs).await);
    }
    run.finish().await;
}

async fn memory_table(args: &Args, run: &mut Run, report: &mut Report) {
    for &n in &args.memory_n {
        step(&format!(
            "memory, {} flags, page weight {} MiB, N = {n}",
            run.flags, run.page_weight_mib
        ));
        if let Err(e) = run.ensure_linked(n).await {
            report.note(format!("memory N = {n} ({}): {e}", run.flags));
            return;
        }
        // Let the freshly linked pages finish their start-up work before reading /proc.
        tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
        report.memory.push(sections::memory(run));
    }
}

/// Keeps linking while 2 GiB stays available, up to `max`; returns the last memory row.
async fn find_max(run: &mut Run, max: usize, settle: u64) -> sections::MemoryRow {
    const RESERVE: u64 = 2 << 30;
    while run.linked.len() < max && sections::available_bytes() > RESERVE {
        let next = run.linked.len() + 1;
        if let Err(e) = run.ensure_linked(next).await {
            eprintln!("stopped at N = {}: {e}", run.linked.len());
            break;
        }
    }
    tokio::time::sleep(Duration::from_secs(settle)).await;
    sections::memory(run)
}

/// The curve on a gateway of its own (so that it starts from no connection), then its chart.
async fn curve_run(args: &Args, report: &mut Report) {
    let mut run = Run::start(args, "tuned", args.curve_weight).await;
    let curve = curve::measure(&mut run, &args.curve_n, args.settle_secs, args.idle_secs).await;
    run.finish().await;
    if curve.points.len() < args.curve_n.len() {
        report.note(format!(
            "curve: {} of {} points",
            curve.points.len(),
            args.curve_n.len()
        ));
    }
    match std::fs::write(&args.svg, svg::chart(&curve)) {
        Ok(()) => eprintln!("chart written to {}", args.svg.display()),
        Err(e) => report.note(format!("chart not written to {}: {e}", args.svg.display())),
    }
    report.curve = Some(curve);
}

pub fn step(what: &str) {
    eprintln!("== {what}");
}
