//! results.json → targets, ratios, results.md, and the README's performance section.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::config::Config;

const MIB: f64 = 1024.0 * 1024.0;
/// Issue 8: at most 3 MiB per linked idle session at 1000 sessions.
const TARGET_MIB_PER_SESSION: f64 = 3.0;
/// Issue 8: 1000 stored sessions WORKING again within 30 s of a restart.
const TARGET_RESTART_S: f64 = 30.0;
const BEGIN: &str = "<!-- perf:begin -->";
const END: &str = "<!-- perf:end -->";

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

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "**MISSED**",
        None => "not measured in this run",
    }
}

/// Targets and ratios, added to the results.
fn analyse(r: &Value) -> Value {
    let steps = r["waras"]["memory"].as_array().cloned().unwrap_or_default();
    let largest = steps.last().cloned().unwrap_or(Value::Null);
    let peer = &r["peer"];
    let peer_n = peer["sessions"].as_u64();
    // WARAS at the peer's N (or the nearest count measured).
    let same_n = steps
        .iter()
        .min_by_key(|s| {
            (s["sessions"].as_u64().unwrap_or(0) as i64 - peer_n.unwrap_or(0) as i64).abs()
        })
        .cloned()
        .unwrap_or(Value::Null);
    let mem_at_1000 = steps.iter().find(|s| s["sessions"] == json!(1000));
    let mem_target = json!({
        "figure": "RSS per linked idle session at 1000 sessions",
        "target": format!("<= {TARGET_MIB_PER_SESSION} MiB"),
        "value_mib": mem_at_1000.and_then(|s| f(&s["rss_per_session_bytes"])).map(|b| b / MIB),
        "met": mem_at_1000
            .and_then(|s| f(&s["rss_per_session_bytes"]))
            .map(|b| b / MIB <= TARGET_MIB_PER_SESSION
                && s_working_all(mem_at_1000)),
    });
    let restart = &r["waras"]["restart"];
    let restart_1000 = restart["sessions"] == json!(1000);
    let restart_target = json!({
        "figure": "restart: 1000 stored sessions WORKING again",
        "target": format!("<= {TARGET_RESTART_S} s"),
        "value_s": if restart_1000 { restart["all_working_s"].clone() } else { Value::Null },
        "met": if restart_1000 {
            Some(f(&restart["all_working_s"]).is_some_and(|s| s <= TARGET_RESTART_S))
        } else {
            None
        },
    });
    let tp = &r["waras"]["sends"]["throughput"];
    let peer_ok = peer.is_object() && peer.get("error").is_none();
    let ratios = if peer_ok {
        let wn = f(&same_n["sessions"]).unwrap_or(1.0);
        let pn = f(&peer["linked"]).or(f(&peer["sessions"])).unwrap_or(1.0);
        let w_restart =
            f(&restart["all_working_s"]).map(|s| s / f(&restart["sessions"]).unwrap_or(1.0));
        json!({
            "at_sessions": {"waras": same_n["sessions"], "peer": peer["sessions"]},
            "rss_per_session": ratio(f(&same_n["rss_per_session_bytes"]), f(&peer["rss_per_session_bytes"])),
            "link_p50": ratio(f(&same_n["link_p50_s"]), f(&peer["link_p50_s"])),
            "reconnect_per_session": ratio(w_restart, f(&peer["reconnect_s"]).map(|s| s / pn)),
            "idle_cpu_per_session": ratio(
                f(&r["waras"]["idle"]["waras_cpu_percent"]).map(|c| c / f(&r["waras"]["idle"]["sessions"]).unwrap_or(1.0)),
                f(&peer["idle_cpu_percent"]).map(|c| c / pn)),
            "send_throughput": ratio(f(&tp["sent_per_s"]), f(&peer["sent_per_s"])),
            "waras_sessions_compared": wn,
        })
    } else {
        Value::Null
    };
    json!({
        "targets": [mem_target, restart_target],
        "ratios": ratios,
        "largest": largest["sessions"],
    })
}

fn s_working_all(step: Option<&Value>) -> bool {
    step.is_some_and(|s| s["working"] == s["sessions"])
}

pub fn markdown(r: &Value) -> String {
    let a = &r["analysis"];
    let w = &r["waras"];
    let p = &r["peer"];
    let peer_ok = p.is_object() && p.get("error").is_none();
    let pn = p["sessions"].as_u64().unwrap_or(0);
    let m = &r["machine"];
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Measured {} on this machine: {} cores ({}), {:.1} GiB RAM, load average {} at the end \
         (other work shares the machine); WARAS `{}` release build, {} backend; sessions {}; \
         peer: {} Baileys 7.0.0-rc14 sockets in one Node.js {} process on the same sandbox. \
         Command: `{}` (took {} min; figures also in `target/perf/results.json`).\n",
        r["date"].as_str().unwrap_or("?").get(..16).unwrap_or("?"),
        m["nproc"],
        m["cpu"].as_str().unwrap_or("?"),
        f(&m["mem_total_bytes"]).unwrap_or(0.0) / MIB / 1024.0,
        num(&m["load_at_end"], 2),
        r["git"].as_str().unwrap_or("?"),
        r["config"]["backend"].as_str().unwrap_or("?"),
        r["config"]["sessions"],
        pn,
        p["node"].as_str().unwrap_or("?"),
        r["command"].as_str().unwrap_or("?"),
        r["duration_s"].as_i64().unwrap_or(0) / 60,
    );
    let _ = writeln!(
        s,
        "| figure | WARAS | peer (Baileys, {pn} sockets) | WARAS / peer | target |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|");
    let steps = w["memory"].as_array().cloned().unwrap_or_default();
    let targets = a["targets"].as_array().cloned().unwrap_or_default();
    let mem_t = targets.first().cloned().unwrap_or(Value::Null);
    let restart_t = targets.get(1).cloned().unwrap_or(Value::Null);
    let ratios = &a["ratios"];
    let _ = writeln!(
        s,
        "| RSS with no session (baseline) | {} | {} | | |",
        mib(&w["rss_baseline_bytes"]),
        if peer_ok {
            mib(&p["rss_baseline_bytes"])
        } else {
            "–".into()
        }
    );
    for st in &steps {
        let n = st["sessions"].as_u64().unwrap_or(0);
        let peer_cell = if peer_ok && n == pn {
            format!(
                "{} ({} total)",
                mib(&p["rss_per_session_bytes"]),
                mib(&json!(f(&p["rss_linked_bytes"]).unwrap_or(0.0)))
            )
        } else {
            String::new()
        };
        let ratio_cell = if peer_ok && n == pn {
            ratios["rss_per_session"]
                .as_str()
                .unwrap_or("–")
                .to_string()
        } else {
            String::new()
        };
        let target_cell = if n == 1000 {
            format!(
                "≤ {TARGET_MIB_PER_SESSION} MiB: {}",
                verdict(mem_t["met"].as_bool())
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "| RSS per linked idle session at {n} ({} WORKING) | {} ({} total) | {peer_cell} | {ratio_cell} | {target_cell} |",
            st["working"],
            mib(&st["rss_per_session_bytes"]),
            mib(&st["rss_bytes"]),
        );
    }
    if peer_ok && !steps.iter().any(|st| st["sessions"] == json!(pn)) {
        let _ = writeln!(
            s,
            "| RSS per linked idle session at {pn} | not measured at {pn} | {} ({} total; {} after its reconnect) | | |",
            mib(&p["rss_per_session_bytes"]),
            mib(&p["rss_linked_bytes"]),
            mib(&p["rss_per_session_reconnected_bytes"]),
        );
    }
    if !steps.iter().any(|st| st["sessions"] == json!(1000)) {
        let _ = writeln!(
            s,
            "| RSS per linked idle session at 1000 | not run | | | ≤ {TARGET_MIB_PER_SESSION} MiB: {} |",
            verdict(None)
        );
    }
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
    let rs = &w["restart"];
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
        "| restart → every stored session WORKING | {restart_cell} | reconnect of {pn}: {} s | {} per session | ≤ {TARGET_RESTART_S} s at 1000: {} |",
        num(&p["reconnect_s"], 2),
        ratios["reconnect_per_session"].as_str().unwrap_or("–"),
        verdict(restart_t["met"].as_bool()),
    );
    let idle = &w["idle"];
    let _ = writeln!(
        s,
        "| idle CPU, every session linked | {} % of a core at {} (sandbox {} %) | {} % at {pn} | {} per session | |",
        num(&idle["waras_cpu_percent"], 2),
        idle["sessions"],
        num(&idle["sandbox_cpu_percent"], 2),
        num(&p["idle_cpu_percent"], 2),
        ratios["idle_cpu_per_session"].as_str().unwrap_or("–"),
    );
    let sd = &w["sends"];
    let tp = &sd["throughput"];
    let _ = writeln!(
        s,
        "| 1:1 text sends, {} sessions, {} clients, {} s: accepted (202) / sent / delivered per s | {} / {} / {} | – / {} / {} | {} (sent) | |",
        sd["sessions"],
        tp["concurrency"],
        num(&tp["window_s"], 0),
        num(&tp["accepted_per_s"], 0),
        num(&tp["sent_per_s"], 0),
        num(&tp["delivered_per_s"], 0),
        num(&p["sent_per_s"], 0),
        num(&p["delivered_per_s"], 0),
        ratios["send_throughput"].as_str().unwrap_or("–"),
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
        "| API latency at a fixed {} req/s (open loop), p50 / p99 / max | {} ms / {} ms / {} ms ({} not accepted); 202 → sent p50 {} ms | | | |",
        lat["offered_per_s"],
        num(&lat["p50_ms"], 1),
        num(&lat["p99_ms"], 1),
        num(&lat["max_ms"], 1),
        lat["not_accepted"],
        num(&lat["sent_lag_p50_ms"], 0),
    );
    let _ = writeln!(
        s,
        "| CPU per sent message (throughput phase) | WARAS {} ms, sandbox {} s in all | | | |",
        num(&sd["waras_cpu_ms_per_message"], 2),
        num(&sd["sandbox_cpu_s"], 1),
    );
    let _ = writeln!(
        s,
        "| cold start to /readyz (fresh data dir) | {} ms | | | |",
        num(&w["cold_ready_ms"], 0)
    );
    s.push('\n');
    s.push_str(
        "RSS per session is (process RSS with N sessions − RSS with none) / N, read from \
         `/proc/<pid>/status` after the process sat idle; the peer's the same for its Node.js \
         process (after a GC). Sends: WARAS counts a message sent when its `message.sent` event \
         is in the log (Signal encryption, the outbox row, the idempotency key and the events \
         all committed); Baileys counts `sendMessage` resolving (its auth state on files). The \
         sandbox (simulated phones decrypting every message) runs on the same 2 cores, so send \
         figures are a floor for WARAS, not its ceiling.\n",
    );
    if peer_ok && p["linked"].as_u64().is_some_and(|l| l < pn) {
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
        "{}{BEGIN}\n<!-- generated by `cargo bench --features sandbox --bench perf` from target/perf/results.json; edits here are overwritten -->\n{md}{}",
        &readme[..b],
        &readme[e..]
    );
    std::fs::write(&path, out)?;
    Ok(())
}

pub fn write(cfg: &Config, results: &Value) -> Result<()> {
    let mut r = results.clone();
    r["analysis"] = analyse(&r);
    std::fs::create_dir_all(&cfg.out)?;
    std::fs::write(
        cfg.out.join("results.json"),
        serde_json::to_string_pretty(&r)?,
    )
    .context("results.json")?;
    let md = markdown(&r);
    std::fs::write(cfg.out.join("results.md"), &md).context("results.md")?;
    println!("{md}");
    for t in r["analysis"]["targets"].as_array().into_iter().flatten() {
        println!(
            "target {}: {} → {}",
            t["figure"].as_str().unwrap_or("?"),
            t["target"].as_str().unwrap_or("?"),
            verdict(t["met"].as_bool())
        );
    }
    if cfg.readme {
        rewrite_readme(cfg, &md)?;
    }
    Ok(())
}
