//! The `--curve` chart as a self-contained SVG (no library): two panels, memory per session and
//! idle CPU per session against N, each with its measured points and the least-squares curve
//! `fixed / N + marginal` read off the totals.

use std::fmt::Write;

use crate::curve::{Curve, Line};

const W: f64 = 460.0;
const H: f64 = 320.0;
const PAD_L: f64 = 58.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 40.0;
const PAD_B: f64 = 46.0;

/// One panel's data: title, y label, points (N, value per session), the fit of the totals.
struct Panel<'a> {
    title: &'a str,
    unit: &'a str,
    points: Vec<(f64, f64)>,
    fit: Option<Line>,
}

pub fn chart(curve: &Curve) -> String {
    let mem = Panel {
        title: "Memory per session (PSS, browsers + gateway) / N",
        unit: "MiB",
        points: curve
            .points
            .iter()
            .map(|p| (p.memory.connections as f64, p.memory.per_session_mib))
            .collect(),
        fit: curve.memory_fit,
    };
    let cpu = Panel {
        title: "Idle CPU per session",
        unit: "% of a core",
        points: curve
            .points
            .iter()
            .map(|p| (p.memory.connections as f64, p.idle_cpu_percent_per_session))
            .collect(),
        fit: curve.cpu_fit,
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
        2.0 * W, H + 24.0, 2.0 * W, H + 24.0
    );
    s += &panel(&mem, 0.0);
    s += &panel(&cpu, W);
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">wa-bench --curve: page weight {} MiB, idle window {} s; dots measured, line = fixed / N + marginal (least squares on the totals)</text>",
        W, H + 14.0, curve.page_weight_mib, curve.idle_secs
    );
    s + "</svg>\n"
}

fn panel(p: &Panel, x0: f64) -> String {
    let max_n = p.points.iter().map(|q| q.0).fold(1.0, f64::max);
    let max_y = nice(p.points.iter().map(|q| q.1).fold(0.0, f64::max) * 1.1);
    let (pw, ph) = (W - PAD_L - PAD_R, H - PAD_T - PAD_B);
    let x = |n: f64| x0 + PAD_L + n / max_n * pw;
    let y = |v: f64| PAD_T + ph - (v / max_y).min(1.05) * ph;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>",
        x0 + W / 2.0,
        p.title
    );
    for i in 0..=4 {
        let v = max_y * i as f64 / 4.0;
        let _ = writeln!(s, "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", x(0.0), x(max_n), y(v), y(v), x(0.0) - 6.0, y(v) + 4.0, label(v));
    }
    for q in &p.points {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(q.0),
            PAD_T + ph + 16.0,
            q.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">connections N</text>",
        x(max_n / 2.0),
        H - 6.0
    );
    let _ = writeln!(
        s,
        "<text transform=\"translate({:.1},{:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        x0 + 14.0,
        PAD_T + ph / 2.0,
        p.unit
    );
    let _ = writeln!(
        s,
        "<path d=\"M{:.1},{:.1}V{:.1}H{:.1}\" fill=\"none\" stroke=\"#333\"/>",
        x(0.0),
        PAD_T,
        y(0.0),
        x(max_n)
    );
    if let Some(f) = p.fit {
        let first = p.points.first().map_or(1.0, |q| q.0).max(1.0);
        let path: Vec<String> = (0..=60)
            .map(|i| first + (max_n - first) * i as f64 / 60.0)
            .map(|n| format!("{:.1},{:.1}", x(n), y(f.fixed / n + f.marginal)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>",
            path.join(" ")
        );
        let _ = writeln!(s, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1f77b4\">fixed {} {} + marginal {} {} per session</text>", x(max_n), PAD_T - 4.0, label(f.fixed), p.unit, label(f.marginal), p.unit);
    }
    for q in &p.points {
        let _ = writeln!(s, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#d62728\"><title>N = {}: {} {}</title></circle>", x(q.0), y(q.1), q.0, label(q.1), p.unit);
    }
    s
}

/// A round upper bound for an axis: 1, 2 or 5 times a power of ten.
fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * p)
}

fn label(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::nice;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(0.37), 0.5);
        assert_eq!(nice(137.0), 200.0);
        assert_eq!(nice(480.0), 500.0);
    }
}
