//! `--curve`: memory per session and idle CPU as N grows, a least-squares line through the totals
//! (fixed cost + marginal cost per session), and the SVG chart of both (`crate::svg`).

use std::time::{Duration, Instant};

use serde::Serialize;
use wa_gateway::procstats::Snapshot;

use crate::context::Run;
use crate::sections::{memory, MemoryRow};

#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    pub memory: MemoryRow,
    /// CPU of the gateway and every browser over the idle window, in % of one core.
    pub idle_cpu_percent: f64,
    pub idle_cpu_percent_per_session: f64,
    /// `/proc/loadavg` when the point was taken.
    pub load: String,
}

/// `y = fixed + marginal * n`, fitted by least squares.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Line {
    pub fixed: f64,
    pub marginal: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    pub points: Vec<CurvePoint>,
    /// Total PSS in MiB against N.
    pub memory_fit: Option<Line>,
    /// Total idle CPU in % of a core against N.
    pub cpu_fit: Option<Line>,
    pub idle_secs: u64,
    pub page_weight_mib: u32,
}

/// Links up to each N in turn; after `settle` reads memory, then the CPU over `idle`.
pub async fn measure(run: &mut Run, ns: &[usize], settle: u64, idle: u64) -> Curve {
    let mut points = Vec::new();
    for &n in ns {
        crate::step(&format!("curve: N = {n}"));
        if let Err(e) = run.ensure_linked(n).await {
            eprintln!("curve stopped before N = {n}: {e}");
            break;
        }
        tokio::time::sleep(Duration::from_secs(settle)).await;
        let memory = memory(run);
        let cpu = idle_cpu_percent(run, Duration::from_secs(idle)).await;
        points.push(CurvePoint {
            idle_cpu_percent_per_session: cpu / n as f64,
            idle_cpu_percent: cpu,
            memory,
            load: loadavg(),
        });
    }
    let xs: Vec<f64> = points.iter().map(|p| p.memory.connections as f64).collect();
    let mem: Vec<f64> = points.iter().map(|p| p.memory.total_pss_mib).collect();
    let cpu: Vec<f64> = points.iter().map(|p| p.idle_cpu_percent).collect();
    Curve {
        memory_fit: fit(&xs, &mem),
        cpu_fit: fit(&xs, &cpu),
        points,
        idle_secs: idle,
        page_weight_mib: run.page_weight_mib,
    }
}

/// CPU seconds the gateway's whole tree used over `window`, as % of one core.
async fn idle_cpu_percent(run: &Run, window: Duration) -> f64 {
    let cpu = || {
        Snapshot::take()
            .tree_stats(run.gateway.pid())
            .map_or(0.0, |t| t.cpu_seconds)
    };
    let (before, started) = (cpu(), Instant::now());
    tokio::time::sleep(window).await;
    let used = cpu() - before;
    (used / started.elapsed().as_secs_f64() * 100.0).max(0.0)
}

/// Ordinary least squares; `None` with fewer than two distinct x.
pub fn fit(xs: &[f64], ys: &[f64]) -> Option<Line> {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if xs.len() < 2 || sxx == 0.0 {
        return None;
    }
    let sxy: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let marginal = sxy / sxx;
    Some(Line {
        fixed: my - marginal * mx,
        marginal,
    })
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn the_fit_recovers_a_line_and_refuses_one_point() {
        let xs = [1.0, 5.0, 10.0, 20.0];
        let ys: Vec<f64> = xs.iter().map(|x| 80.0 + 95.5 * x).collect();
        let line = fit(&xs, &ys).expect("a line");
        assert!((line.fixed - 80.0).abs() < 1e-9 && (line.marginal - 95.5).abs() < 1e-9);
        assert!(fit(&[3.0], &[1.0]).is_none());
        assert!(fit(&[3.0, 3.0], &[1.0, 2.0]).is_none());
    }
}
