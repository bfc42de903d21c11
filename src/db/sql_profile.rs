//! Per-statement counts and time, for finding where a request's database work goes.
//!
//! Off unless `WARAS_SQL_PROFILE` names a file: then every connection opened afterwards reports
//! each statement it runs (diesel's instrumentation), and a thread rewrites the file every two
//! seconds with one line per distinct statement (its SQL without the bound values), the most
//! time-consuming first: `calls  total_ms  mean_us  errors  sql`. Dividing the calls by the
//! number of requests a benchmark made gives the statements per request. It costs the process
//! formatting each statement's text, so it is for benchmarks, not for production.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};

/// The environment variable naming the file the profile is written to.
pub const ENV: &str = "WARAS_SQL_PROFILE";

#[derive(Default, Clone, Copy)]
struct Tally {
    calls: u64,
    nanos: u128,
    errors: u64,
}

fn tallies() -> &'static Mutex<HashMap<String, Tally>> {
    static TALLIES: OnceLock<Mutex<HashMap<String, Tally>>> = OnceLock::new();
    TALLIES.get_or_init(Default::default)
}

/// One connection's reporter: the statement it is running started at `started`.
struct Reporter {
    started: Option<Instant>,
}

impl Instrumentation for Reporter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.started = Some(Instant::now()),
            InstrumentationEvent::FinishQuery { query, error, .. } => {
                let took = self.started.take().map_or(0, |s| s.elapsed().as_nanos());
                let text = query.to_string();
                let sql = text.split(" -- binds: ").next().unwrap_or_default();
                let mut map = tallies().lock().unwrap_or_else(|p| p.into_inner());
                let add = |t: &mut Tally| {
                    t.calls += 1;
                    t.nanos += took;
                    t.errors += u64::from(error.is_some());
                };
                if let Some(t) = map.get_mut(sql) {
                    add(t);
                } else {
                    add(map.entry(sql.to_string()).or_default());
                }
            }
            _ => {}
        }
    }
}

fn reporter() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(Reporter { started: None }))
}

/// Starts profiling when `WARAS_SQL_PROFILE` is set; call before the first connection opens.
pub fn install_from_env() {
    let Some(path) = std::env::var_os(ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let path = PathBuf::from(path);
    if let Err(e) = set_default_instrumentation(reporter) {
        log::warn!("{ENV}: cannot install the statement profiler: {e}");
        return;
    }
    let writer = std::thread::Builder::new()
        .name("waras-sql-profile".into())
        .spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(2));
                // A process that runs no statement (the sandbox) leaves the file to one that does.
                if tallies().lock().map_or(true, |m| m.is_empty()) {
                    continue;
                }
                if let Err(e) = std::fs::write(&path, render()) {
                    log::warn!("{ENV}: cannot write {}: {e}", path.display());
                }
            }
        });
    match writer {
        Ok(_) => log::info!("{ENV}: profiling every statement"),
        Err(e) => log::warn!("{ENV}: cannot start the profile's writer: {e}"),
    }
}

/// The table, the most time-consuming statement first.
fn render() -> String {
    let mut rows: Vec<(String, Tally)> = {
        let map = tallies().lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, v)| (k.clone(), *v)).collect()
    };
    rows.sort_by_key(|r| std::cmp::Reverse(r.1.nanos));
    let mut out = String::from("calls\ttotal_ms\tmean_us\terrors\tsql\n");
    for (sql, t) in rows {
        let total_ms = t.nanos as f64 / 1e6;
        let mean_us = t.nanos as f64 / 1e3 / t.calls.max(1) as f64;
        let _ = writeln!(
            out,
            "{}\t{total_ms:.1}\t{mean_us:.1}\t{}\t{}",
            t.calls,
            t.errors,
            sql.replace(['\n', '\t'], " ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    #[test]
    fn each_statement_is_counted_under_its_sql_without_its_values() {
        let mut conn = SqliteConnection::establish(":memory:").expect("memory database");
        conn.set_instrumentation(Reporter { started: None });
        for n in 0..3 {
            diesel::sql_query("SELECT ? AS profiled_value")
                .bind::<diesel::sql_types::Integer, _>(n)
                .execute(&mut conn)
                .expect("select");
        }
        let table = render();
        let line = table
            .lines()
            .find(|l| l.ends_with("SELECT ? AS profiled_value"))
            .unwrap_or_else(|| panic!("no line for the statement in:\n{table}"));
        assert!(line.starts_with("3\t"), "{line}");
        assert!(!table.contains("binds"), "{table}");
    }
}
