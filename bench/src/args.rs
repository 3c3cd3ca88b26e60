//! Command-line options.

use std::path::PathBuf;

pub const SECTIONS: &[&str] = &[
    "qr", "memory", "send", "webhook", "rps", "restore", "numbers", "history", "media",
];

pub const USAGE: &str = "\
wa-bench: measures the release gateway against wa-sim with real Chromium.

Build first:  cargo build --release -p wa-gateway -p wa-bench   (or: make bench)

Options:
  --only LIST         sections to run, comma-separated:
                      qr,memory,send,webhook,rps,restore,numbers,history,media (all)
  --flags LIST        Chromium flag sets for the memory table: tuned,plain (both)
  --memory-n LIST     connection counts for the memory table (1,10,20)
  --weights LIST      simulated page weights in MiB for the memory table (0,150): 0 is the bare
                      page, 150 about what real WhatsApp Web holds (docs/PERFORMANCE.md)
  --curve             memory per session and idle CPU for N = --curve-n, with the fixed and the
                      marginal cost per session (least squares) and an SVG chart (--svg); alone it
                      runs only the curve, with --only the sections too
  --curve-n LIST      connection counts for the curve (1,5,10,20,40,60)
  --curve-weight MIB  the simulated page weight for the curve (0)
  --idle-secs N       window over which idle CPU is read at each N (10)
  --svg PATH          where the curve's chart goes (docs/perf-curve.svg)
  --find-max N        after the tuned sections, keep linking up to N connections while at least
                      2 GiB stays available; report the highest N reached (off)
  --qr N              add-number calls for the QR latency (20), made twice: back to back, and
                      each once the gateway reports a warm spare browser ready
  --sends N           sends per send run (1000), run with 1 and with 10 connections
  --inbound N         inbound messages for the webhook latency (1000)
  --restore-n N       linked connections for the restore time (20)
  --rps-clients N     concurrent clients on GET /wa/connections (64)
  --rps-secs N        seconds of load (10)
  --settle-secs N     wait after linking before memory is read (5)
  --checks N          checks of 100 new numbers for the number-check latency (20)
  --history N         messages of chat history paged through in pages of 50 (1000)
  --gateway PATH      the gateway binary (next to this one)
  --hibernate         instead of the sections: many numbers, few browsers (issue 18); with
  --numbers N         linked numbers (1000)
  --max-awake N       MAX_AWAKE (40)
  --wake-interval S   WAKE_INTERVAL in seconds (3600, the capacity model's figure for 1,000)
  --cycles N          whole wake intervals of inbound messages and sends (2)
  --env NAME=VALUE    an extra setting for the gateway (repeatable), e.g. --env SPARE_BROWSERS=0
  --json              print the results as JSON on stdout (the table goes to stderr)
  --require-all       exit with status 1 if any row of the chosen sections is missing (CI smoke)
  --quick             small sizes: --qr 5 --sends 200 --inbound 200 --memory-n 1,5 --restore-n 5 --rps-secs 3
                      --curve-n 1,2 --idle-secs 2 (the curve's chart into the temp folder)
";

/// What the real WhatsApp Web page holds, about (docs/PERFORMANCE.md "Page weight" has the sources).
pub const REALISTIC_WEIGHT_MIB: u32 = 150;

#[derive(Debug, Clone)]
pub struct Args {
    pub only: Vec<String>,
    pub flags: Vec<String>,
    pub memory_n: Vec<usize>,
    pub weights: Vec<u32>,
    pub find_max: Option<usize>,
    pub curve: bool,
    pub curve_n: Vec<usize>,
    pub curve_weight: u32,
    pub idle_secs: u64,
    pub svg: PathBuf,
    pub qr: usize,
    pub sends: usize,
    pub inbound: usize,
    pub restore_n: usize,
    pub rps_clients: usize,
    pub rps_secs: u64,
    pub settle_secs: u64,
    pub checks: usize,
    pub history: usize,
    pub gateway: PathBuf,
    /// Extra environment for the gateway (`--env`).
    pub env: Vec<(String, String)>,
    pub json: bool,
    pub hibernate: bool,
    pub numbers: usize,
    pub max_awake: usize,
    pub wake_interval: u64,
    pub cycles: u32,
    pub require_all: bool,
}

impl Args {
    pub fn wants(&self, section: &str) -> bool {
        self.only.iter().any(|s| s == section)
    }

    pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
        let mut a = Args {
            only: SECTIONS.iter().map(|s| s.to_string()).collect(),
            flags: vec!["tuned".into(), "plain".into()],
            memory_n: vec![1, 10, 20],
            weights: vec![0, REALISTIC_WEIGHT_MIB],
            find_max: None,
            curve: false,
            curve_n: vec![1, 5, 10, 20, 40, 60],
            curve_weight: 0,
            idle_secs: 10,
            svg: PathBuf::from("docs/perf-curve.svg"),
            qr: 20,
            sends: 1000,
            inbound: 1000,
            restore_n: 20,
            rps_clients: 64,
            rps_secs: 10,
            settle_secs: 5,
            checks: 20,
            history: 1000,
            gateway: default_gateway(),
            env: Vec::new(),
            json: false,
            hibernate: false,
            numbers: 1000,
            max_awake: 40,
            wake_interval: 3600,
            cycles: 2,
            require_all: false,
        };
        let mut only_given = false;
        while let Some(flag) = argv.next() {
            let mut value = || argv.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--only" => {
                    a.only = list(&value()?);
                    only_given = true;
                }
                "--curve" => a.curve = true,
                "--curve-n" => a.curve_n = numbers(&value()?)?,
                "--curve-weight" => a.curve_weight = number(&value()?)? as u32,
                "--idle-secs" => a.idle_secs = number(&value()?)? as u64,
                "--svg" => a.svg = PathBuf::from(value()?),
                "--flags" => a.flags = list(&value()?),
                "--memory-n" => a.memory_n = numbers(&value()?)?,
                "--weights" => {
                    a.weights = numbers(&value()?)?.into_iter().map(|w| w as u32).collect()
                }
                "--find-max" => a.find_max = Some(number(&value()?)?),
                "--qr" => a.qr = number(&value()?)?,
                "--sends" => a.sends = number(&value()?)?,
                "--inbound" => a.inbound = number(&value()?)?,
                "--restore-n" => a.restore_n = number(&value()?)?,
                "--rps-clients" => a.rps_clients = number(&value()?)?,
                "--rps-secs" => a.rps_secs = number(&value()?)? as u64,
                "--settle-secs" => a.settle_secs = number(&value()?)? as u64,
                "--checks" => a.checks = number(&value()?)?,
                "--history" => a.history = number(&value()?)?,
                "--gateway" => a.gateway = PathBuf::from(value()?),
                "--env" => {
                    let v = value()?;
                    let (k, v) = v.split_once('=').ok_or(format!("--env {v}: NAME=VALUE"))?;
                    a.env.push((k.to_owned(), v.to_owned()));
                }
                "--json" => a.json = true,
                "--hibernate" => a.hibernate = true,
                "--numbers" => a.numbers = number(&value()?)?,
                "--max-awake" => a.max_awake = number(&value()?)?,
                "--wake-interval" => a.wake_interval = number(&value()?)? as u64,
                "--cycles" => a.cycles = number(&value()?)? as u32,
                "--require-all" => a.require_all = true,
                "--quick" => {
                    (a.qr, a.sends, a.inbound, a.restore_n, a.rps_secs) = (5, 200, 200, 5, 3);
                    a.memory_n = vec![1, 5];
                    (a.curve, a.curve_n, a.idle_secs) = (true, vec![1, 2], 2);
                    a.svg = std::env::temp_dir().join("wa-bench-quick-curve.svg");
                    only_given = true;
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if a.curve && !only_given {
            a.only.clear();
        }
        if let Some(bad) = a.only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
            return Err(format!("unknown section {bad}"));
        }
        if let Some(bad) = a.flags.iter().find(|f| *f != "tuned" && *f != "plain") {
            return Err(format!("unknown flag set {bad} (tuned or plain)"));
        }
        a.memory_n.sort_unstable();
        a.memory_n.dedup();
        a.curve_n.sort_unstable();
        a.curve_n.dedup();
        a.weights.sort_unstable();
        a.weights.dedup();
        Ok(a)
    }
}

fn default_gateway() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| Some(p.parent()?.join("wa-gateway")))
        .unwrap_or_else(|| PathBuf::from("target/release/wa-gateway"))
}

fn list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("'{s}' is not a number"))
}

fn numbers(s: &str) -> Result<Vec<usize>, String> {
    list(s).iter().map(|n| number(n)).collect()
}
