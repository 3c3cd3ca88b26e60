//! The results: a Markdown table for people, JSON for machines.

use serde::Serialize;

use crate::args::Args;
use crate::sections::{MemoryRow, RestoreResult, RpsResult, SendResult};
use crate::stats::Summary;

#[derive(Debug, Serialize)]
pub struct Report {
    pub machine: Machine,
    pub qr: Option<Summary>,
    /// Each call made once a warm spare browser was ready.
    pub qr_spare: Option<Summary>,
    pub memory: Vec<MemoryRow>,
    pub send: Vec<SendResult>,
    pub webhook: Option<Summary>,
    pub rps: Option<RpsResult>,
    pub restore: Option<RestoreResult>,
    pub max_n: Option<MemoryRow>,
    pub numbers: Option<Summary>,
    pub history: Option<crate::chats::HistoryResult>,
    pub media: Option<crate::media::MediaReport>,
    pub curve: Option<crate::curve::Curve>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub chromium: String,
    pub command: String,
    /// `/proc/loadavg` when the bench started: other work on the machine skews every figure.
    pub load_at_start: String,
}

impl Report {
    pub fn new(_args: &Args) -> Report {
        Report {
            machine: Machine {
                cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
                memory_gib: crate::sections::total_bytes() as f64 / (1u64 << 30) as f64,
                chromium: chromium_version(),
                command: std::env::args().collect::<Vec<_>>().join(" "),
                load_at_start: std::fs::read_to_string("/proc/loadavg")
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            },
            qr: None,
            qr_spare: None,
            memory: Vec::new(),
            send: Vec::new(),
            webhook: None,
            rps: None,
            restore: None,
            media: None,
            curve: None,
            max_n: None,
            numbers: None,
            history: None,
            notes: Vec::new(),
        }
    }

    pub fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        eprintln!("note: {note}");
        self.notes.push(note);
    }

    pub fn print(&self, json: bool) {
        let table = self.table();
        if json {
            eprintln!("{table}");
            println!(
                "{}",
                serde_json::to_string_pretty(self).expect("serializable")
            );
        } else {
            println!("{table}");
        }
    }

    fn table(&self) -> String {
        let m = &self.machine;
        let mut t = format!(
            "wa-bench: {} cores, {:.1} GiB, {}, load average at start {}\n\n| measurement | result |\n|---|---|\n",
            m.cores, m.memory_gib, m.chromium, m.load_at_start
        );
        let lat = |s: &Summary, hi: &str| {
            let hi_v = if hi == "p95" { s.p95_ms } else { s.p99_ms };
            format!(
                "p50 {:.1} ms, {hi} {:.1} ms (max {:.1}, n = {})",
                s.p50_ms, hi_v, s.max_ms, s.count
            )
        };
        if let Some(s) = &self.qr {
            t += &format!("| add-number -> QR, back to back | {} |\n", lat(s, "p95"));
        }
        if let Some(s) = &self.qr_spare {
            t += &format!(
                "| add-number -> QR, a spare browser ready (or 20 s waited) | {} |\n",
                lat(s, "p95")
            );
        }
        for s in &self.send {
            t += &format!(
                "| send -> recorded at the simulator, {} conn | {} |\n| send API round trip, {} conn | {}; {:.0} sends/s, {} failed; CPU per send {:.1} ms gateway + browsers, {:.1} ms simulator |\n",
                s.connections,
                lat(&s.recorded, "p99"),
                s.connections,
                lat(&s.api, "p99"),
                s.sends_per_second,
                s.failures,
                s.gateway_cpu_ms_per_send,
                s.simulator_cpu_ms_per_send
            );
        }
        if let Some(s) = &self.webhook {
            t += &format!("| inbound -> webhook received | {} |\n", lat(s, "p99"));
        }
        if let Some(r) = &self.restore {
            t += &format!(
                "| restore {} connections after SIGTERM | all ready {:.1} s, all answered a send {:.1} s (listening {:.2} s; stop took {:.1} s; ok {} / expired {} / failed {}) |\n",
                r.connections,
                r.all_ready_seconds,
                r.all_answered_seconds,
                r.listening_seconds,
                r.stop_seconds,
                r.restored_ok,
                r.restored_expired,
                r.restored_failed
            );
        }
        if let Some(s) = &self.numbers {
            t += &format!("| check of 100 new numbers | {} |\n", lat(s, "p99"));
        }
        if let Some(h) = &self.history {
            t += &format!(
                "| chat history, pages of 50 through {} messages | first pass (loaded from the phone) {}; again (in memory) {} |\n",
                h.messages,
                lat(&h.first_pass, "p99"),
                lat(&h.second_pass, "p99")
            );
        }
        if let Some(r) = &self.rps {
            let l = r.latency.as_ref().map_or(String::new(), |s| {
                format!(", p50 {:.2} ms, p99 {:.2} ms", s.p50_ms, s.p99_ms)
            });
            t += &format!(
                "| GET /wa/connections, {} clients, {} listed | {:.0} req/s ({} errors{l}) |\n",
                r.clients, r.listed_connections, r.requests_per_second, r.errors
            );
        }
        if let Some(m) = &self.media {
            for s in &m.sends {
                t += &format!(
                    "| media send, {} (API -> recorded) | {}; API {} |\n",
                    s.what,
                    lat(&s.recorded, "p99"),
                    lat(&s.api, "p99")
                );
            }
            if let Some(s) = &m.inbound {
                t += &format!(
                    "| inbound image -> webhook + GET media | {} |\n",
                    lat(s, "p99")
                );
            }
            t += &format!(
                "| gateway RSS sending {:.0} MiB | {:.0} -> {:.0} MiB peak ({:.2}x the file) |\n",
                m.file_mib, m.rss_before_mib, m.rss_peak_mib, m.rss_growth_ratio
            );
        }
        if !self.memory.is_empty() || self.max_n.is_some() {
            t += "\n| flags | page weight | N | PSS per session (browsers + gateway) / N | browser tree PSS | processes per browser | gateway PSS | total PSS |\n|---|---|---|---|---|---|---|---|\n";
            for r in self.memory.iter().chain(self.max_n.iter()) {
                t += &format!(
                    "| {} | {} MiB | {} | {:.1} MiB | {:.1} MiB | {:.1} | {:.1} MiB | {:.0} MiB |\n",
                    r.flags,
                    r.page_weight_mib,
                    r.connections,
                    r.per_session_mib,
                    r.browser_pss_mib,
                    r.processes_per_browser,
                    r.gateway_pss_mib,
                    r.total_pss_mib
                );
            }
        }
        if let Some(c) = &self.curve {
            t += &curve_table(c);
        }
        for n in &self.notes {
            t += &format!("\nnote: {n}");
        }
        t
    }
}

fn chromium_version() -> String {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .find_map(|bin| {
            let out = std::process::Command::new(bin)
                .arg("--version")
                .output()
                .ok()?;
            Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        })
        .unwrap_or_else(|| "Chromium version unknown".into())
}

impl Report {
    /// The rows the chosen sections should have printed and did not (a section that failed).
    pub fn missing(&self, args: &Args) -> Vec<String> {
        let mut out = Vec::new();
        let mut need = |section: &str, present: bool| {
            if args.wants(section) && !present {
                out.push(section.to_owned());
            }
        };
        let no_spares = args
            .env
            .iter()
            .any(|(k, v)| k == "SPARE_BROWSERS" && v == "0");
        need(
            "qr",
            self.qr.is_some() && (no_spares || self.qr_spare.is_some()),
        );
        need("send", self.send.len() == 2);
        need("webhook", self.webhook.is_some());
        need("rps", self.rps.is_some());
        need("restore", self.restore.is_some());
        need("numbers", self.numbers.is_some());
        need("history", self.history.is_some());
        need("media", self.media.is_some());
        let rows = args.memory_n.len() * args.flags.len() * args.weights.len();
        need("memory", self.memory.len() == rows);
        if args.curve && self.curve.as_ref().map_or(0, |c| c.points.len()) < args.curve_n.len() {
            out.push("curve".to_owned());
        }
        if !self.notes.is_empty() {
            out.push(format!("{} note(s)", self.notes.len()));
        }
        out
    }
}

fn curve_table(c: &crate::curve::Curve) -> String {
    let mut t = "\n| N | PSS per session | total PSS | idle CPU, all | idle CPU per session | load average |\n|---|---|---|---|---|---|\n".to_owned();
    for p in &c.points {
        t += &format!(
            "| {} | {:.1} MiB | {:.0} MiB | {:.2} % | {:.3} % | {} |\n",
            p.memory.connections,
            p.memory.per_session_mib,
            p.memory.total_pss_mib,
            p.idle_cpu_percent,
            p.idle_cpu_percent_per_session,
            p.load
        );
    }
    if let Some(f) = c.memory_fit {
        t += &format!(
            "\nmemory (least squares on the totals): fixed {:.1} MiB + marginal {:.1} MiB per session\n",
            f.fixed, f.marginal
        );
    }
    if let Some(f) = c.cpu_fit {
        t += &format!(
            "idle CPU (least squares on the totals): fixed {:.2} % + marginal {:.3} % of a core per session\n",
            f.fixed, f.marginal
        );
    }
    t
}
