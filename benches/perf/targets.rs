//! The targets of issues 8 and 20: each a figure, the target, this run's value (null when this
//! run did not measure it, e.g. it had no 10,000-session step) and whether it was met.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::tables::{backend, count, step_at, step_value, steps, verdict};

const MIB: f64 = 1024.0 * 1024.0;
/// Issue 20: at most 0.5 MiB per linked idle session, at 1000 and at 10,000 sessions.
const TARGET_MIB_PER_SESSION: f64 = 0.5;
/// Issue 20: RSS of the process with no session.
const TARGET_BASELINE_MIB: f64 = 30.0;
/// Stored sessions all WORKING again after a restart: within 30 s at 1000 (issue 8), within
/// 60 s at 10,000 (issue 20).
const TARGET_RESTART_S: [(u64, f64); 2] = [(1000, 30.0), (10_000, 60.0)];
/// Issue 20: WARAS CPU per sent message, throughput phase.
const TARGET_CPU_MS_PER_MESSAGE: f64 = 0.5;
/// Issue 20: messages sent per second in the closed-loop phase, by backend.
const TARGET_SENT_PER_S_SQLITE: f64 = 2000.0;
const TARGET_SENT_PER_S_POSTGRESQL: f64 = 1500.0;
/// Issue 20: API p99 at the open-loop offered rate.
const TARGET_OPEN_LOOP_P99_MS: f64 = 25.0;
/// Issue 20: from the scan of the QR code to WORKING, p50.
const TARGET_SCAN_P50_S: f64 = 1.0;
/// Issue 20: idle CPU of WARAS at 1000 sessions, % of one core.
const TARGET_IDLE_CPU_PERCENT: f64 = 2.0;
/// Issue 20: idle CPU of the sandbox at 1000 sessions, "a few percent" of one core.
const TARGET_SANDBOX_IDLE_CPU_PERCENT: f64 = 5.0;

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

/// Every target, in the order the analysis, the verdict lines and the table list them.
pub fn all(r: &Value) -> Vec<Value> {
    let mut out = memory_targets(r);
    out.extend(cpu_and_send_targets(r));
    out
}

#[derive(Clone, Copy)]
enum Limit {
    AtMost(f64),
    AtLeast(f64),
}

/// A target: its figure, the target, this run's value (null: not measured) and the verdict.
fn goal(id: &str, figure: &str, limit: Limit, unit: &str, value: Option<f64>) -> Value {
    let value = value.filter(|v| v.is_finite());
    let (sign, bound, met) = match limit {
        Limit::AtMost(b) => ("≤", b, value.map(|v| v <= b)),
        Limit::AtLeast(b) => ("≥", b, value.map(|v| v >= b)),
    };
    json!({
        "id": id,
        "figure": figure,
        "target": format!("{sign} {bound} {unit}"),
        "value": value,
        "unit": unit,
        "met": met,
    })
}

fn memory_targets(r: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for n in [1000, 10_000] {
        let step = step_at(r, n);
        let per = step
            .and_then(|s| f(&s["rss_per_session_bytes"]))
            .map(|b| b / MIB);
        let mut t = goal(
            &format!("rss_per_session_{n}"),
            &format!(
                "RSS per linked idle session at {} sessions",
                count(n as f64)
            ),
            Limit::AtMost(TARGET_MIB_PER_SESSION),
            "MiB",
            per,
        );
        if per.is_some() && step.is_some_and(|s| s["working"] != s["sessions"]) {
            t["met"] = json!(false);
            t["note"] = json!("not every session WORKING");
        }
        out.push(t);
    }
    out.push(goal(
        "rss_baseline",
        "RSS with no session (baseline)",
        Limit::AtMost(TARGET_BASELINE_MIB),
        "MiB",
        f(&r["waras"]["rss_baseline_bytes"]).map(|b| b / MIB),
    ));
    for (n, limit) in TARGET_RESTART_S {
        out.push(restart_target(r, n, limit));
    }
    out
}

/// All `n` stored sessions WORKING again after a restart; a restart that answered /readyz but
/// never saw them all WORKING missed.
fn restart_target(r: &Value, n: u64, limit: f64) -> Value {
    let step = step_at(r, n);
    let all = step.and_then(|s| step_value(r, s, "restart_all_working_s"));
    let mut t = goal(
        &format!("restart_{n}"),
        &format!(
            "restart: {} stored sessions all WORKING again",
            count(n as f64)
        ),
        Limit::AtMost(limit),
        "s",
        all,
    );
    let restarted = step
        .and_then(|s| step_value(r, s, "restart_ready_ms"))
        .is_some();
    if all.is_none() && restarted {
        t["met"] = json!(false);
        t["note"] = json!("not all WORKING before the harness gave up");
    }
    t
}

fn cpu_and_send_targets(r: &Value) -> Vec<Value> {
    let at_1000 = step_at(r, 1000);
    let idle = |key: &str| at_1000.and_then(|s| step_value(r, s, key));
    let sd = &r["waras"]["sends"];
    let db = backend(r);
    let min_sent = if db == "PostgreSQL" {
        TARGET_SENT_PER_S_POSTGRESQL
    } else {
        TARGET_SENT_PER_S_SQLITE
    };
    // Over every linked session when the run has it, else the slowest step's.
    let scan_p50 = f(&r["waras"]["scan_p50_s"]).or_else(|| {
        steps(r)
            .iter()
            .filter_map(|s| f(&s["scan_p50_s"]))
            .reduce(f64::max)
    });
    let offered = sd["latency"]["offered_per_s"]
        .as_u64()
        .map_or_else(|| "?".into(), |n| n.to_string());
    vec![
        goal(
            "idle_cpu_1000",
            "WARAS idle CPU at 1000 sessions",
            Limit::AtMost(TARGET_IDLE_CPU_PERCENT),
            "% of a core",
            idle("idle_cpu_percent"),
        ),
        goal(
            "sandbox_idle_cpu_1000",
            "sandbox idle CPU at 1000 sessions (\"a few percent\")",
            Limit::AtMost(TARGET_SANDBOX_IDLE_CPU_PERCENT),
            "% of a core",
            idle("sandbox_cpu_percent"),
        ),
        goal(
            "cpu_per_message",
            "WARAS CPU per sent message (throughput phase)",
            Limit::AtMost(TARGET_CPU_MS_PER_MESSAGE),
            "ms",
            f(&sd["waras_cpu_ms_per_message"]),
        ),
        goal(
            "sent_per_s",
            &format!("messages sent per second, closed loop ({db})"),
            Limit::AtLeast(min_sent),
            "messages/s",
            f(&sd["throughput"]["sent_per_s"]),
        ),
        goal(
            "api_p99_open_loop",
            &format!("API latency p99 at the open-loop offered rate ({offered} req/s)"),
            Limit::AtMost(TARGET_OPEN_LOOP_P99_MS),
            "ms",
            f(&sd["latency"]["p99_ms"]),
        ),
        goal(
            "scan_p50",
            "scan of the QR code → WORKING, p50 per session",
            Limit::AtMost(TARGET_SCAN_P50_S),
            "s",
            scan_p50,
        ),
    ]
}

/// "≤ 0.5 MiB: met" for the target `id` of the analysis `a`, or nothing.
pub fn cell(a: &Value, id: &str) -> String {
    a["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["id"] == id)
        .map_or_else(String::new, |t| {
            format!(
                "{}: {}",
                t["target"].as_str().unwrap_or("?"),
                verdict(t["met"].as_bool())
            )
        })
}

/// Two decimals for small figures, fewer for large ones.
fn human(v: f64) -> String {
    let digits = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}")
}

/// The targets of the analysis of `r`: figure, target, value, verdict.
pub fn table(r: &Value) -> String {
    let mut s = format!(
        "**Targets** (issue 20), this run ({}):\n\n| figure | target | value | verdict |\n\
         |---|---|---|---|\n",
        backend(r)
    );
    for t in r["analysis"]["targets"].as_array().into_iter().flatten() {
        let value = t["value"].as_f64().map_or_else(
            || "–".into(),
            |v| format!("{} {}", human(v), t["unit"].as_str().unwrap_or("")),
        );
        let note = t["note"]
            .as_str()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "| {} | {} | {value} | {}{note} |",
            t["figure"].as_str().unwrap_or("?"),
            t["target"].as_str().unwrap_or("?"),
            verdict(t["met"].as_bool()),
        );
    }
    s.push('\n');
    s
}
