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
  --find-max N        after the tuned sections, keep linking up to N connections while at least
                      2 GiB stays available; report the highest N reached (off)
  --qr N              add-number calls for the QR latency (20)
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
  --json              print the results as JSON on stdout (the table goes to stderr)
  --quick             small sizes: --qr 5 --sends 200 --inbound 200 --memory-n 1,5 --restore-n 5 --rps-secs 3
";

#[derive(Debug, Clone)]
pub struct Args {
    pub only: Vec<String>,
    pub flags: Vec<String>,
    pub memory_n: Vec<usize>,
    pub find_max: Option<usize>,
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
    pub json: bool,
    pub hibernate: bool,
    pub numbers: usize,
    pub max_awake: usize,
    pub wake_interval: u64,
    pub cycles: u32,
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
            find_max: None,
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
            json: false,
            hibernate: false,
            numbers: 1000,
            max_awake: 40,
            wake_interval: 3600,
            cycles: 2,
        };
        while let Some(flag) = argv.next() {
            let mut value = || argv.next().ok_or(format!("{flag} needs a value"));
            match flag.as_str() {
                "--only" => a.only = list(&value()?),
                "--flags" => a.flags = list(&value()?),
                "--memory-n" => a.memory_n = numbers(&value()?)?,
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
                "--json" => a.json = true,
                "--hibernate" => a.hibernate = true,
                "--numbers" => a.numbers = number(&value()?)?,
                "--max-awake" => a.max_awake = number(&value()?)?,
                "--wake-interval" => a.wake_interval = number(&value()?)? as u64,
                "--cycles" => a.cycles = number(&value()?)? as u32,
                "--quick" => {
                    (a.qr, a.sends, a.inbound, a.restore_n, a.rps_secs) = (5, 200, 200, 5, 3);
                    a.memory_n = vec![1, 5];
                }
                "-h" | "--help" => return Err(String::new()),
                other => return Err(format!("unknown option {other}")),
            }
        }
        if let Some(bad) = a.only.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
            return Err(format!("unknown section {bad}"));
        }
        if let Some(bad) = a.flags.iter().find(|f| *f != "tuned" && *f != "plain") {
            return Err(format!("unknown flag set {bad} (tuned or plain)"));
        }
        a.memory_n.sort_unstable();
        a.memory_n.dedup();
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
