//! results.json → targets, ratios, results.md, the cost curve (docs/perf/cost-curve.svg), and
//! the README's performance section.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::config::Config;
use crate::tables::{backend, step_at, step_value, steps, verdict};
use crate::targets::cell as target_cell;

const MIB: f64 = 1024.0 * 1024.0;
const BEGIN: &str = "<!-- perf:begin -->";
const END: &str = "<!-- perf:end -->";
/// In the repository: the cost curve the README shows, and the last results of each backend.
const DOCS: &str = "docs/perf";
const CURVE: &str = "cost-curve.svg";
const CURVE_ALT: &str =
    "cost curve: RSS, idle CPU and restart time against sessions, SQLite and PostgreSQL";

fn f(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn mib(v: &Value) -> String {
    f(v).map(|b| format!("{:.2} MiB", b / MIB))
        .unwrap_or_else(|| "–".into())
}

fn num(v: &Value, digits: usize) -> String {
    f(v).map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "–".into())
}

fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 && a.is_finite() => format!("{:.2}", a / b),
        _ => "–".into(),
    }
}

/// WARAS against the peer, at the peer's session count (or the nearest measured).
fn ratios(r: &Value) -> Value {
    let peer = &r["peer"];
    if !peer.is_object() || peer.get("error").is_some() {
        return Value::Null;
    }
    let peer_n = peer["sessions"].as_u64().unwrap_or(0);
    let Some(same_n) = steps(r)
        .iter()
        .min_by_key(|s| s["sessions"].as_u64().unwrap_or(0).abs_diff(peer_n))
    else {
        return Value::Null;
    };
    let pn = f(&peer["linked"]).or(f(&peer["sessions"])).unwrap_or(1.0);
    let wn = f(&same_n["working"])
        .or(f(&same_n["sessions"]))
        .unwrap_or(1.0)
        .max(1.0);
    let per_session = |key: &str| step_value(r, same_n, key).map(|v| v / wn);
    let tp = &r["waras"]["sends"]["throughput"];
    json!({
        "at_sessions": {"waras": same_n["sessions"], "peer": peer["sessions"]},
        "rss_per_session": ratio(f(&same_n["rss_per_session_bytes"]), f(&peer["rss_per_session_bytes"])),
        "link_p50": ratio(f(&same_n["link_p50_s"]), f(&peer["link_p50_s"])),
        "reconnect_per_session": ratio(
            per_session("restart_all_working_s"),
            f(&peer["reconnect_s"]).map(|s| s / pn)),
        "idle_cpu_per_session": ratio(
            per_session("idle_cpu_percent"),
            f(&peer["idle_cpu_percent"]).map(|c| c / pn)),
        "send_throughput": ratio(f(&tp["sent_per_s"]), f(&peer["sent_per_s"])),
        "waras_sessions_compared": same_n["sessions"],
    })
}

/// Targets and ratios, added to the results.
fn analyse(r: &Value) -> Value {
    json!({
        "targets": crate::targets::all(r),
        "ratios": ratios(r),
        "largest": steps(r).last().map_or(Value::Null, |s| s["sessions"].clone()),
    })
}

/// The paragraph that says when, where and how the run was made.
fn detail_header(r: &Value) -> String {
    let p = &r["peer"];
    let m = &r["machine"];
    format!(
        "Measured {} on this machine: {} cores ({}), {:.1} GiB RAM, load average {} at the end \
         (other work shares the machine); WARAS `{}` release build, {} backend; sessions {}; \
         peer: {} Baileys 7.0.0-rc14 sockets in one Node.js {} process on the same sandbox. \
         Command: `{}` (took {} min; figures also in `target/perf/results.json`).\n\n",
        r["date"].as_str().unwrap_or("?").get(..16).unwrap_or("?"),
        m["nproc"],
        m["cpu"].as_str().unwrap_or("?"),
        f(&m["mem_total_bytes"]).unwrap_or(0.0) / MIB / 1024.0,
        num(&m["load_at_end"], 2),
        r["git"].as_str().unwrap_or("?"),
        backend(r),
        r["config"]["sessions"],
        p["sessions"].as_u64().unwrap_or(0),
        p["node"].as_str().unwrap_or("?"),
        r["command"].as_str().unwrap_or("?"),
        r["duration_s"].as_i64().unwrap_or(0) / 60,
    )
}

fn peer_ok(r: &Value) -> bool {
    r["peer"].is_object() && r["peer"].get("error").is_none()
}

/// The rows of the detailed table about memory: the baseline and each session count.
fn memory_rows(r: &Value, s: &mut String) {
    let (w, p, a) = (&r["waras"], &r["peer"], &r["analysis"]);
    let with_peer = peer_ok(r);
    let pn = p["sessions"].as_u64().unwrap_or(0);
    let _ = writeln!(
        s,
        "| RSS with no session (baseline) | {} | {} | | {} |",
        mib(&w["rss_baseline_bytes"]),
        if with_peer {
            mib(&p["rss_baseline_bytes"])
        } else {
            "–".into()
        },
        target_cell(a, "rss_baseline"),
    );
    for st in steps(r) {
        let n = st["sessions"].as_u64().unwrap_or(0);
        let at_peer = with_peer && n == pn;
        let peer_cell = if at_peer {
            format!(
                "{} ({} total)",
                mib(&p["rss_per_session_bytes"]),
                mib(&p["rss_linked_bytes"])
            )
        } else {
            String::new()
        };
        let ratio_cell = if at_peer {
            a["ratios"]["rss_per_session"].as_str().unwrap_or("–")
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "| RSS per linked idle session at {n} ({} WORKING) | {} ({} total) | {peer_cell} | {ratio_cell} | {} |",
            st["working"],
            mib(&st["rss_per_session_bytes"]),
            mib(&st["rss_bytes"]),
            target_cell(a, &format!("rss_per_session_{n}")),
        );
    }
    if with_peer && step_at(r, pn).is_none() {
        let _ = writeln!(
            s,
            "| RSS per linked idle session at {pn} | not measured at {pn} | {} ({} total; {} after its reconnect) | | |",
            mib(&p["rss_per_session_bytes"]),
            mib(&p["rss_linked_bytes"]),
            mib(&p["rss_per_session_reconnected_bytes"]),
        );
    }
}

/// The rows about linking, the restart and idle CPU.
fn session_rows(r: &Value, s: &mut String) {
    let (w, p, a) = (&r["waras"], &r["peer"], &r["analysis"]);
    let pn = p["sessions"].as_u64().unwrap_or(0);
    let ratios = &a["ratios"];
    let _ = writeln!(
        s,
        "| link by QR, per session p50 / p99 ({} at a time) | {} s / {} s | {} s / {} s | {} | |",
        r["config"]["link_concurrency"],
        num(&w["link_p50_s"], 2),
        num(&w["link_p99_s"], 2),
        num(&p["link_p50_s"], 2),
        num(&p["link_p99_s"], 2),
        ratios["link_p50"].as_str().unwrap_or("–"),
    );
    if w.get("scan_p50_s").is_some() {
        let _ = writeln!(
            s,
            "| scan of the QR code → WORKING, per session p50 / p99 | {} s / {} s | | | {} |",
            num(&w["scan_p50_s"], 2),
            num(&w["scan_p99_s"], 2),
            target_cell(a, "scan_p50"),
        );
    }
    let rs = &w["restart"];
    if rs.is_object() {
        let restart_cell = match f(&rs["all_working_s"]) {
            Some(t) => format!(
                "{t:.1} s for {} sessions (/readyz after {} ms, half after {} s)",
                rs["sessions"],
                num(&rs["ready_ms"], 0),
                num(&rs["half_working_s"], 1)
            ),
            None => format!("{} of {} WORKING, never all", rs["working"], rs["sessions"]),
        };
        let _ = writeln!(
            s,
            "| restart → every stored session WORKING | {restart_cell} | reconnect of {pn}: {} s | {} per session | {} |",
            num(&p["reconnect_s"], 2),
            ratios["reconnect_per_session"].as_str().unwrap_or("–"),
            target_cell(a, &format!("restart_{}", rs["sessions"])),
        );
    }
    let idle = &w["idle"];
    if idle.is_object() {
        let _ = writeln!(
            s,
            "| idle CPU, every session linked | {} % of a core at {} (sandbox {} %) | {} % at {pn} | {} per session | {} |",
            num(&idle["waras_cpu_percent"], 2),
            idle["sessions"],
            num(&idle["sandbox_cpu_percent"], 2),
            num(&p["idle_cpu_percent"], 2),
            ratios["idle_cpu_per_session"].as_str().unwrap_or("–"),
            if idle["sessions"] == 1000 {
                target_cell(a, "idle_cpu_1000")
            } else {
                String::new()
            },
        );
    }
}

/// The rows about sends and the cold start.
fn send_rows(r: &Value, s: &mut String) {
    let (w, p, a) = (&r["waras"], &r["peer"], &r["analysis"]);
    let sd = &w["sends"];
    let tp = &sd["throughput"];
    let _ = writeln!(
        s,
        "| 1:1 text sends, {} sessions, {} clients, {} s: accepted (202) / sent / delivered per s | {} / {} / {} | – / {} / {} | {} (sent) | {} |",
        sd["sessions"],
        tp["concurrency"],
        num(&tp["window_s"], 0),
        num(&tp["accepted_per_s"], 0),
        num(&tp["sent_per_s"], 0),
        num(&tp["delivered_per_s"], 0),
        num(&p["sent_per_s"], 0),
        num(&p["delivered_per_s"], 0),
        a["ratios"]["send_throughput"].as_str().unwrap_or("–"),
        target_cell(a, "sent_per_s"),
    );
    let _ = writeln!(
        s,
        "| API latency under that load, p50 / p99 | {} ms / {} ms | sendMessage {} ms / {} ms | | |",
        num(&tp["api_p50_ms"], 1),
        num(&tp["api_p99_ms"], 1),
        num(&p["send_p50_ms"], 1),
        num(&p["send_p99_ms"], 1),
    );
    let lat = &sd["latency"];
    let _ = writeln!(
        s,
        "| API latency at a fixed {} req/s (open loop), p50 / p99 / max | {} ms / {} ms / {} ms ({} not accepted); 202 → sent p50 {} ms | | | {} |",
        lat["offered_per_s"],
        num(&lat["p50_ms"], 1),
        num(&lat["p99_ms"], 1),
        num(&lat["max_ms"], 1),
        lat["not_accepted"],
        num(&lat["sent_lag_p50_ms"], 0),
        target_cell(a, "api_p99_open_loop"),
    );
    let _ = writeln!(
        s,
        "| CPU per sent message (throughput phase) | WARAS {} ms, sandbox {} s in all | | | {} |",
        num(&sd["waras_cpu_ms_per_message"], 2),
        num(&sd["sandbox_cpu_s"], 1),
        target_cell(a, "cpu_per_message"),
    );
    let _ = writeln!(
        s,
        "| cold start to /readyz (fresh data dir) | {} ms | | | |",
        num(&w["cold_ready_ms"], 0)
    );
}

/// How the figures are read, and what went wrong with the peer.
fn notes(r: &Value, s: &mut String) {
    let p = &r["peer"];
    let pn = p["sessions"].as_u64().unwrap_or(0);
    s.push_str(
        "\nRSS per session is (process RSS with N sessions − RSS with none) / N, read from \
         `/proc/<pid>/status` after the process sat idle; the peer's the same for its Node.js \
         process (after a GC). Sends: WARAS counts a message sent when its `message.sent` event \
         is in the log (Signal encryption, the outbox row, the idempotency key and the events \
         all committed); Baileys counts `sendMessage` resolving (its auth state on files). The \
         sandbox (simulated phones decrypting every message) runs on the same 2 cores, so send \
         figures are a floor for WARAS, not its ceiling.\n",
    );
    if peer_ok(r) && p["linked"].as_u64().is_some_and(|l| l < pn) {
        let _ = writeln!(
            s,
            "\nOnly {} of the peer's {pn} sockets linked within its timeout; its per-session \
             figures divide by the linked count.",
            p["linked"]
        );
    }
    if let Some(peer_err) = p.get("error") {
        let _ = writeln!(s, "\nThe peer did not complete: {peer_err}.");
    }
}

/// This run in detail, WARAS beside the peer.
fn detail(r: &Value) -> String {
    let pn = r["peer"]["sessions"].as_u64().unwrap_or(0);
    let mut s = detail_header(r);
    let _ = writeln!(
        s,
        "| figure | WARAS | peer (Baileys, {pn} sockets) | WARAS / peer | target |"
    );
    s.push_str("|---|---|---|---|---|\n");
    memory_rows(r, &mut s);
    session_rows(r, &mut s);
    send_rows(r, &mut s);
    notes(r, &mut s);
    s
}

/// The performance section: the cost curve of both backends (the picture at `image`), the
/// targets of this run, then this run in detail.
fn section(r: &Value, runs: &[&Value], image: &str) -> String {
    let mut s = format!("![{CURVE_ALT}]({image})\n\n");
    s.push_str(&crate::tables::cost_table(runs));
    s.push_str(&crate::tables::sends_table(runs));
    s.push_str(&crate::tables::runs_line(runs));
    s.push_str(&crate::targets::table(r));
    let _ = writeln!(s, "**This run in detail** ({} backend):\n", backend(r));
    s.push_str(&detail(r));
    s
}

fn rewrite_readme(cfg: &Config, md: &str) -> Result<()> {
    let path = cfg.root.join("README.md");
    let readme = std::fs::read_to_string(&path)?;
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        eprintln!("perf: README has no {BEGIN} … {END} markers; left alone");
        return Ok(());
    };
    let out = format!(
        "{}{BEGIN}\n<!-- generated by `cargo bench --features {} --bench perf` from target/perf/results.json; edits here are overwritten -->\n{md}{}",
        &readme[..b],
        crate::FEATURES,
        &readme[e..]
    );
    std::fs::write(&path, out)?;
    Ok(())
}

/// docs/perf/results-<backend>.json: the last results of a backend, where a run of the other
/// backend finds them.
fn run_file(docs: &Path, db: &str) -> PathBuf {
    docs.join(format!("results-{}.json", db.to_lowercase()))
}

/// The other backend's last results, if a run left them in docs/perf.
fn load_other(docs: &Path, this: &str) -> Option<Value> {
    let other = if this == "PostgreSQL" {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let path = run_file(docs, other);
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str::<Value>(&text) {
        Ok(v) if backend(&v) == other => {
            eprintln!("perf: {other} figures from {}", path.display());
            Some(v)
        }
        Ok(_) => {
            eprintln!("perf: {} is no {other} run; left out", path.display());
            None
        }
        Err(e) => {
            eprintln!("perf: {} unreadable ({e}); left out", path.display());
            None
        }
    }
}

/// This run and the other backend's, SQLite first: the order of the columns and the legend.
fn in_order<'a>(this: &'a Value, other: Option<&'a Value>) -> Vec<&'a Value> {
    let mut runs: Vec<&Value> = std::iter::once(this).chain(other).collect();
    runs.sort_by_key(|r| backend(r) != "SQLite");
    runs
}

/// cost-curve.svg in the output directory and, for the README, in docs/perf.
fn draw_curve(cfg: &Config, runs: &[&Value], docs: &Path) -> Result<()> {
    let out = cfg.out.join(CURVE);
    crate::plot::cost_curve(runs, &out)?;
    if cfg.readme {
        std::fs::copy(&out, docs.join(CURVE)).context("copying it to docs/perf")?;
    }
    Ok(())
}

fn print_targets(r: &Value) {
    for t in r["analysis"]["targets"].as_array().into_iter().flatten() {
        println!(
            "target {}: {} → {} ({} {})",
            t["figure"].as_str().unwrap_or("?"),
            t["target"].as_str().unwrap_or("?"),
            verdict(t["met"].as_bool()),
            num(&t["value"], 2),
            t["unit"].as_str().unwrap_or(""),
        );
    }
}

pub fn write(cfg: &Config, results: &Value) -> Result<()> {
    let mut r = results.clone();
    r["analysis"] = analyse(&r);
    std::fs::create_dir_all(&cfg.out)?;
    let json = serde_json::to_string_pretty(&r)?;
    std::fs::write(cfg.out.join("results.json"), &json).context("results.json")?;
    let docs = cfg.root.join(DOCS);
    if cfg.readme {
        std::fs::create_dir_all(&docs)?;
        let path = run_file(&docs, backend(&r));
        std::fs::write(&path, &json).with_context(|| path.display().to_string())?;
    }
    let other = load_other(&docs, backend(&r));
    let runs = in_order(&r, other.as_ref());
    // Drawn before the text is written, reported after: a failed picture loses no figure.
    let drawn = draw_curve(cfg, &runs, &docs);
    let md = section(&r, &runs, CURVE);
    std::fs::write(cfg.out.join("results.md"), &md).context("results.md")?;
    println!("{md}");
    print_targets(&r);
    if cfg.readme {
        rewrite_readme(cfg, &section(&r, &runs, &format!("{DOCS}/{CURVE}")))?;
    }
    drawn.context("cost curve")
}
