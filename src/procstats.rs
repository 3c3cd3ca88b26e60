//! What a process tree costs, read from `/proc`: one connection's Chromium is a browser process
//! plus its zygotes, renderers and utility processes, all descendants of the PID we launched.
//! Used by `/metrics`, `/wa/connections/:id/stats` and the `wa-bench` harness.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// Linux reports CPU times in `USER_HZ` ticks, fixed at 100 on every architecture we run on.
const TICKS_PER_SECOND: f64 = 100.0;

/// The cost of a process and all its descendants.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeStats {
    pub pid: u32,
    pub processes: usize,
    /// Proportional set size: shared pages split between the processes sharing them.
    pub pss_bytes: u64,
    pub rss_bytes: u64,
    /// User + system CPU time of the live processes in the tree.
    pub cpu_seconds: f64,
    /// Since the root process started.
    pub uptime_seconds: f64,
}

/// One line of `/proc/<pid>/stat` that we care about.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    pub ppid: u32,
    pub state: char,
    pub cpu_ticks: u64,
    pub start_ticks: u64,
}

/// Parses `/proc/<pid>/stat`; the command name may hold spaces and parentheses, so split after
/// the last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let (_, rest) = text.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) ... utime(14) stime(15) ... starttime(22), 1-based.
    let num = |i: usize| f.get(i - 3)?.parse::<u64>().ok();
    Some(Stat {
        state: f.first()?.chars().next()?,
        ppid: u32::try_from(num(4)?).ok()?,
        cpu_ticks: num(14)? + num(15)?,
        start_ticks: num(22)?,
    })
}

pub fn stat(pid: u32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// `(pss, rss)` in bytes from `/proc/<pid>/smaps_rollup`.
pub fn parse_rollup(text: &str) -> (u64, u64) {
    let kib = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (kib("Pss:") * 1024, kib("Rss:") * 1024)
}

pub fn memory(pid: u32) -> (u64, u64) {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .map(|t| parse_rollup(&t))
        .unwrap_or((0, 0))
}

/// Every live process and its stat line, read once so several trees can share one pass.
pub struct Snapshot {
    stats: HashMap<u32, Stat>,
    children: HashMap<u32, Vec<u32>>,
    boot_time: Option<u64>,
}

impl Snapshot {
    pub fn take() -> Self {
        let stats: HashMap<u32, Stat> = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .filter_map(|pid| Some((pid, stat(pid)?)))
            .filter(|(_, s)| s.state != 'Z')
            .collect();
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (pid, s) in &stats {
            children.entry(s.ppid).or_default().push(*pid);
        }
        Self {
            stats,
            children,
            boot_time: boot_time(),
        }
    }

    /// `root` and all its live descendants (empty if `root` is gone).
    pub fn tree(&self, root: u32) -> Vec<u32> {
        if !self.stats.contains_key(&root) {
            return Vec::new();
        }
        let mut found = vec![root];
        let mut i = 0;
        while let Some(pid) = found.get(i).copied() {
            found.extend(self.children.get(&pid).into_iter().flatten().copied());
            i += 1;
        }
        found
    }

    /// The direct children of `pid`.
    pub fn children(&self, pid: u32) -> Vec<u32> {
        self.children.get(&pid).cloned().unwrap_or_default()
    }

    /// Sums memory and CPU over `root`'s tree.
    pub fn tree_stats(&self, root: u32) -> Option<TreeStats> {
        self.sum(root, self.tree(root))
    }

    /// The figures of `pid` alone, without its children.
    pub fn process_stats(&self, pid: u32) -> Option<TreeStats> {
        self.sum(pid, vec![pid])
    }

    fn sum(&self, root: u32, pids: Vec<u32>) -> Option<TreeStats> {
        let start = self.stats.get(&root)?.start_ticks;
        let mut out = TreeStats {
            pid: root,
            processes: pids.len(),
            uptime_seconds: self.uptime(start),
            ..TreeStats::default()
        };
        for pid in pids {
            let (pss, rss) = memory(pid);
            out.pss_bytes += pss;
            out.rss_bytes += rss;
            let ticks = self.stats.get(&pid).map_or(0, |s| s.cpu_ticks);
            out.cpu_seconds += ticks as f64 / TICKS_PER_SECOND;
        }
        Some(out)
    }

    fn uptime(&self, start_ticks: u64) -> f64 {
        let Some(boot) = self.boot_time else {
            return 0.0;
        };
        let started = boot as f64 + start_ticks as f64 / TICKS_PER_SECOND;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        (now - started).max(0.0)
    }
}

/// Seconds since the epoch at boot (`btime` in `/proc/stat`).
fn boot_time() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()
}

/// The stats of one process tree; reads only what that tree needs plus one pass over `/proc`.
pub fn tree_stats(root: u32) -> Option<TreeStats> {
    Snapshot::take().tree_stats(root)
}

/// Live (not zombie) processes whose command line names `dir/`: every browser of a connection
/// runs on a profile under its folder. The trailing slash keeps `/tmp/.tmpAb1` from matching
/// `/tmp/.tmpAb12`'s processes.
pub fn processes_using(dir: &Path) -> Vec<u32> {
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
        .filter(|pid| stat(*pid).is_some_and(|s| s.state != 'Z'))
        .collect()
}

/// A live process started with `--user-data-dir` on a profile: a browser, one of its helpers
/// (renderer, zygote, ...) or a guard that runs one.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileUser {
    pub pid: u32,
    /// The profile, absolute (a relative one is resolved against the process's working folder).
    pub profile: PathBuf,
    /// Not one of Chromium's helper processes (those carry `--type=`): ending this one ends them.
    pub is_root: bool,
}

/// Every live process (not this one) whose `--user-data-dir` is `dir` or a folder under it.
pub fn profile_users(dir: &Path) -> Vec<ProfileUser> {
    let dirs = [
        absolute(dir),
        dir.canonicalize().unwrap_or_else(|_| absolute(dir)),
    ];
    let me = std::process::id();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| *pid != me)
        .filter_map(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let (profile, is_root) = user_data_dir(&cmdline)?;
            let profile = resolve(pid, &profile);
            dirs.iter()
                .any(|d| profile.starts_with(d))
                .then_some(ProfileUser {
                    pid,
                    profile,
                    is_root,
                })
        })
        .filter(|u| stat(u.pid).is_some_and(|s| s.state != 'Z'))
        .collect()
}

/// The `--user-data-dir` of a NUL-separated command line, and whether it lacks `--type=`.
pub fn user_data_dir(cmdline: &[u8]) -> Option<(PathBuf, bool)> {
    let args = arguments(cmdline);
    let dir = args
        .iter()
        .find_map(|a| a.strip_prefix(b"--user-data-dir=".as_slice()))?;
    let is_root = !args.iter().any(|a| a.starts_with(b"--type="));
    Some((PathBuf::from(OsStr::from_bytes(dir)), is_root))
}

/// A command line's arguments. Chromium's zygotes rewrite theirs into one space-separated
/// title, which loses where an argument with a space ends; such a profile is still found through
/// its browser, whose command line is intact.
fn arguments(cmdline: &[u8]) -> Vec<&[u8]> {
    let args: Vec<&[u8]> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .collect();
    match args.as_slice() {
        [title] if title.windows(3).any(|w| w == b" --") => title.split(|b| *b == b' ').collect(),
        _ => args,
    }
}

/// `profile` made absolute against the working folder of `pid`, and canonical when it exists.
fn resolve(pid: u32, profile: &Path) -> PathBuf {
    let full = match std::fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) if profile.is_relative() => cwd.join(profile),
        _ => profile.to_owned(),
    };
    full.canonicalize().unwrap_or_else(|_| absolute(&full))
}

/// Without touching the disk: `.` dropped, `..` applied, relative paths taken from our own folder.
fn absolute(path: &Path) -> PathBuf {
    let full = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut out = PathBuf::new();
    for part in full.components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn stat_lines_with_spaces_in_the_name_parse() {
        let line = "4242 (Chrome_ChildIOT (x)) S 4200 4242 4242 0 -1 4194560 100 0 0 0 \
                    150 50 0 0 20 0 12 0 98765 1000 200 18446744073709551615";
        let s = parse_stat(line).unwrap();
        assert_eq!(s.ppid, 4200);
        assert_eq!(s.state, 'S');
        assert_eq!(s.cpu_ticks, 200);
        assert_eq!(s.start_ticks, 98765);
    }

    #[test]
    fn rollup_reports_bytes() {
        let text = "55d0-7ffd ---p 00000000 00:00 0  [rollup]\nRss:  2048 kB\nPss:  1024 kB\n\
                    Pss_Anon: 512 kB\n";
        assert_eq!(parse_rollup(text), (1024 * 1024, 2048 * 1024));
    }

    #[test]
    fn this_process_has_a_tree_with_memory() {
        let s = tree_stats(std::process::id()).unwrap();
        assert!(s.processes >= 1);
        assert!(s.pss_bytes > 0 && s.rss_bytes >= s.pss_bytes);
    }

    #[test]
    fn the_user_data_dir_is_read_from_the_command_line() {
        let browser = b"/usr/lib/chromium/chromium\0--headless=new\0--user-data-dir=/s/abc\0\0";
        assert_eq!(
            user_data_dir(browser),
            Some((PathBuf::from("/s/abc"), true))
        );
        let renderer = b"chromium\0--type=renderer\0--user-data-dir=sessions/x\0";
        assert_eq!(
            user_data_dir(renderer),
            Some((PathBuf::from("sessions/x"), false))
        );
        assert_eq!(user_data_dir(b"bash\0-c\0echo --user-data-dir=/s\0"), None);
        let zygote = b"/usr/lib/chromium/chromium --type=zygote --user-data-dir=/s/abc --x\0";
        assert_eq!(
            user_data_dir(zygote),
            Some((PathBuf::from("/s/abc"), false))
        );
    }

    #[test]
    fn absolute_paths_are_normalised_without_the_disk() {
        assert_eq!(absolute(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert!(absolute(Path::new("rel")).is_absolute());
    }

    #[test]
    fn a_process_on_a_profile_under_a_folder_is_found_and_others_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().join("conn-1");
        std::fs::create_dir_all(&profile).unwrap();
        // `sleep` carries the flag on its command line (as its argv[0]) and ignores it.
        let mut child = std::process::Command::new("sleep")
            .arg0("--user-data-dir=conn-1")
            .arg("30")
            .current_dir(dir.path())
            .spawn()
            .unwrap();
        let found = wait_for_users(dir.path(), 1);
        let other = profile_users(&dir.path().join("conn-10"));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].pid, child.id());
        assert_eq!(found[0].profile, profile.canonicalize().unwrap());
        assert!(found[0].is_root);
        assert!(other.is_empty(), "{other:?}");
    }

    /// The child needs a moment to exec `sleep` with its final command line.
    fn wait_for_users(dir: &Path, n: usize) -> Vec<ProfileUser> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let found = profile_users(dir);
            if found.len() >= n || std::time::Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
