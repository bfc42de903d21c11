//! The README's comparison of the database backends (the cost curve and the sends, a column per
//! backend), and the accessors of a run's figures that the report, the targets and the plot
//! share.

use std::fmt::Write as _;

use serde_json::Value;

const MIB: f64 = 1024.0 * 1024.0;

/// "SQLite" or "PostgreSQL" (`Config::backend`), as a run recorded it.
pub fn backend(run: &Value) -> &str {
    run["config"]["backend"].as_str().unwrap_or("SQLite")
}

/// The memory steps of a run: one per session count, ascending.
pub fn steps(run: &Value) -> &[Value] {
    run["waras"]["memory"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// The step at `n` sessions, if the run had one.
pub fn step_at(run: &Value, n: u64) -> Option<&Value> {
    steps(run)
        .iter()
        .find(|s| s["sessions"].as_u64() == Some(n))
}

/// A figure of one memory step (`idle_cpu_percent`, `restart_all_working_s`, …), None when not
/// measured. Runs from before these figures were per step measured idle CPU and the restart once,
/// at the largest count (`waras.idle`, `waras.restart`): their last step takes those.
pub fn step_value(run: &Value, step: &Value, key: &str) -> Option<f64> {
    if let Some(v) = step.get(key) {
        return v.as_f64();
    }
    if steps(run).last() != Some(step) {
        return None;
    }
    let w = &run["waras"];
    match key {
        "idle_cpu_percent" => w["idle"]["waras_cpu_percent"].as_f64(),
        "sandbox_cpu_percent" => w["idle"]["sandbox_cpu_percent"].as_f64(),
        "restart_all_working_s" => w["restart"]["all_working_s"].as_f64(),
        "restart_ready_ms" => w["restart"]["ready_ms"].as_f64(),
        _ => None,
    }
}

/// A count with thousands separators: 10000 → "10,000".
pub fn count(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**MISSED**",
        None => "not measured in this run",
    }
}

/// "12.34 ms", or "–" when there is no figure.
fn fixed(v: Option<f64>, digits: usize, unit: &str) -> String {
    v.filter(|x| x.is_finite())
        .map_or_else(|| "–".into(), |x| format!("{x:.digits$} {unit}"))
}

/// A column of the cost-curve table: its title and its cell for one step of one run.
struct Column {
    title: &'static str,
    cell: fn(&Value, &Value) -> String,
}

const COST_COLUMNS: [Column; 5] = [
    Column {
        title: "RSS",
        cell: rss_cell,
    },
    Column {
        title: "RSS per session",
        cell: per_session_cell,
    },
    Column {
        title: "idle CPU (of a core)",
        cell: idle_cell,
    },
    Column {
        title: "restart → all WORKING",
        cell: restart_cell,
    },
    Column {
        title: "scan → WORKING p50",
        cell: scan_cell,
    },
];

fn rss_cell(_run: &Value, step: &Value) -> String {
    let rss = fixed(step["rss_bytes"].as_f64().map(|b| b / MIB), 0, "MiB");
    if step["working"] == step["sessions"] {
        rss
    } else {
        format!("{rss} ({} WORKING)", step["working"])
    }
}

fn per_session_cell(_run: &Value, step: &Value) -> String {
    fixed(
        step["rss_per_session_bytes"].as_f64().map(|b| b / MIB),
        2,
        "MiB",
    )
}

fn idle_cell(run: &Value, step: &Value) -> String {
    fixed(step_value(run, step, "idle_cpu_percent"), 2, "%")
}

fn restart_cell(run: &Value, step: &Value) -> String {
    fixed(step_value(run, step, "restart_all_working_s"), 1, "s")
}

fn scan_cell(_run: &Value, step: &Value) -> String {
    fixed(step["scan_p50_s"].as_f64(), 2, "s")
}

/// One row per session count of any run; for each figure, a column per backend.
pub fn cost_table(runs: &[&Value]) -> String {
    let mut counts: Vec<u64> = runs
        .iter()
        .copied()
        .flat_map(steps)
        .filter_map(|s| s["sessions"].as_u64())
        .collect();
    counts.sort_unstable();
    counts.dedup();
    let mut s = String::from(
        "**Cost curve**: WARAS with N linked, idle sessions. RSS of the process; idle CPU in % \
         of one core; restart: from the new process's start until all N are WORKING again; \
         scan: from the accepted QR scan until the session is WORKING.\n\n| sessions |",
    );
    let mut rule = String::from("|---|");
    for col in &COST_COLUMNS {
        for &run in runs {
            let _ = write!(s, " {}, {} |", col.title, backend(run));
            rule.push_str("---|");
        }
    }
    let _ = writeln!(s, "\n{rule}");
    for n in counts {
        let _ = write!(s, "| {} |", count(n as f64));
        for col in &COST_COLUMNS {
            for &run in runs {
                let cell = step_at(run, n).map_or_else(|| "–".into(), |st| (col.cell)(run, st));
                let _ = write!(s, " {cell} |");
            }
        }
        s.push('\n');
    }
    s.push('\n');
    s
}

/// A row of the sends table: its figure and its cell for one run.
struct Row {
    title: &'static str,
    cell: fn(&Value) -> String,
}

const SEND_ROWS: [Row; 4] = [
    Row {
        title: "sent per second (closed loop)",
        cell: sent_cell,
    },
    Row {
        title: "WARAS CPU per sent message",
        cell: cpu_cell,
    },
    Row {
        title: "API latency under that load, p50 / p99",
        cell: api_cell,
    },
    Row {
        title: "API latency p99 at a fixed offered rate (open loop)",
        cell: open_loop_cell,
    },
];

fn sent_cell(run: &Value) -> String {
    let sd = &run["waras"]["sends"];
    let tp = &sd["throughput"];
    match tp["sent_per_s"].as_f64() {
        Some(v) => format!(
            "{v:.0}/s ({} sessions, {} clients)",
            sd["sessions"], tp["concurrency"]
        ),
        None => "–".into(),
    }
}

fn cpu_cell(run: &Value) -> String {
    fixed(
        run["waras"]["sends"]["waras_cpu_ms_per_message"].as_f64(),
        2,
        "ms",
    )
}

fn api_cell(run: &Value) -> String {
    let tp = &run["waras"]["sends"]["throughput"];
    format!(
        "{} / {}",
        fixed(tp["api_p50_ms"].as_f64(), 1, "ms"),
        fixed(tp["api_p99_ms"].as_f64(), 1, "ms")
    )
}

fn open_loop_cell(run: &Value) -> String {
    let lat = &run["waras"]["sends"]["latency"];
    match lat["p99_ms"].as_f64() {
        Some(p99) => format!("{p99:.1} ms at {} req/s", lat["offered_per_s"]),
        None => "–".into(),
    }
}

/// The sends of each run, a column per backend.
pub fn sends_table(runs: &[&Value]) -> String {
    let mut s = String::from(
        "**Sends**: 1:1 text messages through the REST API, WARAS and the sandbox on the same \
         machine.\n\n| figure |",
    );
    let mut rule = String::from("|---|");
    for &run in runs {
        let _ = write!(s, " {} |", backend(run));
        rule.push_str("---|");
    }
    let _ = writeln!(s, "\n{rule}");
    for row in &SEND_ROWS {
        let _ = write!(s, "| {} |", row.title);
        for &run in runs {
            let _ = write!(s, " {} |", (row.cell)(run));
        }
        s.push('\n');
    }
    s.push('\n');
    s
}

/// Which run each backend's columns come from: a run of one backend keeps the other's last.
pub fn runs_line(runs: &[&Value]) -> String {
    let parts: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} measured {} at WARAS `{}`, sessions {} (`docs/perf/results-{}.json`)",
                backend(r),
                r["date"]
                    .as_str()
                    .and_then(|d| d.get(..16))
                    .unwrap_or("?")
                    .replace('T', " "),
                r["git"].as_str().unwrap_or("?"),
                r["config"]["sessions"],
                backend(r).to_lowercase(),
            )
        })
        .collect();
    format!(
        "Columns: {}. A run on one backend keeps the other backend's last figures.\n\n",
        parts.join("; ")
    )
}
