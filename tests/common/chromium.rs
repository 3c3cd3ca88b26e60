//! Finding the browsers a test started: every one runs on a profile under the test's own temporary
//! folder, so its command line names that folder.

use std::path::Path;

pub use wa_gateway::procstats::processes_using;

/// SIGKILLs the processes this test started (found by their profile folder).
pub fn kill_processes_using(dir: &Path) {
    for pid in processes_using(dir) {
        kill(pid);
    }
}

pub fn kill(pid: u32) {
    signal(pid, "KILL");
}

pub fn signal(pid: u32, name: &str) {
    let _ = std::process::Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}
