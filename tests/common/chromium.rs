//! Finding the browsers a test started: every one runs on a profile under the test's own temporary
//! folder, so its command line names that folder.

use std::path::Path;

/// PIDs of processes whose command line mentions `dir`.
pub fn processes_using(dir: &Path) -> Vec<u32> {
    // The trailing slash keeps /tmp/.tmpAb1 from matching /tmp/.tmpAb12's processes.
    let needle = format!("{}/", dir.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(&needle))
                .unwrap_or(false)
        })
        .filter(|pid| !is_zombie(*pid))
        .collect()
}

fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

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
