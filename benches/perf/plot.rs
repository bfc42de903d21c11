//! The cost curve of the README: total RSS, idle CPU and the restart time against the number of
//! linked sessions, a line per database backend, as one SVG of three panels side by side.
//!
//! plotters is built with its SVG backend only and no font feature: text goes into the SVG as
//! `<text font-family="sans-serif">` (its layout estimated, not measured), so drawing reads no
//! font file and the browser showing the picture picks the font.

use std::path::Path;

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde_json::Value;

use crate::tables::{backend, count, step_value, steps};

const MIB: f64 = 1024.0 * 1024.0;
/// Width and height of the picture, in pixels.
const SIZE: (u32, u32) = (1260, 440);
const FONT: &str = "sans-serif";
/// The x axis reaches this factor below the smallest and above the largest session count.
const X_PAD: f64 = 1.6;

/// One panel: its caption, the title of its y axis, and its figure of a memory step of a run.
struct Panel {
    caption: &'static str,
    y_desc: &'static str,
    value: fn(&Value, &Value) -> Option<f64>,
}

const PANELS: [Panel; 3] = [
    Panel {
        caption: "memory: RSS of the process",
        y_desc: "RSS (MiB)",
        value: rss_mib,
    },
    Panel {
        caption: "idle CPU, every session linked",
        y_desc: "CPU (% of one core)",
        value: idle_cpu,
    },
    Panel {
        caption: "restart → every session WORKING",
        y_desc: "time after the restart (s)",
        value: restart_s,
    },
];

fn rss_mib(_run: &Value, step: &Value) -> Option<f64> {
    step["rss_bytes"].as_f64().map(|b| b / MIB)
}

fn idle_cpu(run: &Value, step: &Value) -> Option<f64> {
    step_value(run, step, "idle_cpu_percent")
}

fn restart_s(run: &Value, step: &Value) -> Option<f64> {
    step_value(run, step, "restart_all_working_s")
}

/// One run's line in a panel.
struct Line {
    label: String,
    color: RGBColor,
    points: Vec<(f64, f64)>,
}

/// The same color for a backend in every picture.
fn color(backend: &str, index: usize) -> RGBColor {
    match backend {
        "SQLite" => RGBColor(31, 119, 180),
        "PostgreSQL" => RGBColor(214, 96, 20),
        _ if index.is_multiple_of(2) => RGBColor(44, 160, 44),
        _ => RGBColor(148, 103, 189),
    }
}

/// The lines of a panel: a run's measured steps (a step without the figure is left out).
fn lines(runs: &[&Value], panel: &Panel) -> Vec<Line> {
    runs.iter()
        .enumerate()
        .map(|(i, &run)| Line {
            label: backend(run).to_string(),
            color: color(backend(run), i),
            points: steps(run)
                .iter()
                .filter_map(|st| {
                    let x = st["sessions"].as_f64().filter(|&x| x > 0.0)?;
                    let y = (panel.value)(run, st).filter(|y| y.is_finite())?;
                    Some((x, y))
                })
                .collect(),
        })
        .filter(|l| !l.points.is_empty())
        .collect()
}

/// The session counts of every run, ascending: the ticks of the x axis.
fn session_counts(runs: &[&Value]) -> Vec<f64> {
    let mut counts: Vec<f64> = runs
        .iter()
        .copied()
        .flat_map(steps)
        .filter_map(|s| s["sessions"].as_f64())
        .filter(|&x| x > 0.0)
        .collect();
    counts.sort_by(f64::total_cmp);
    counts.dedup();
    if counts.is_empty() {
        counts = vec![100.0, 1000.0, 10_000.0];
    }
    counts
}

/// Draws the cost curve of `runs` (a line each, labelled with its backend) into `path`.
pub fn cost_curve(runs: &[&Value], path: &Path) -> Result<()> {
    let mut svg = String::new();
    render(runs, &mut svg)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, svg).with_context(|| format!("writing {}", path.display()))
}

fn render(runs: &[&Value], svg: &mut String) -> Result<()> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let backends: Vec<&str> = runs.iter().copied().map(backend).collect();
    let title = format!(
        "WARAS cost curve: linked idle sessions, {}",
        backends.join(" and ")
    );
    let body = root.titled(&title, (FONT, 22).into_font())?;
    let ticks = session_counts(runs);
    for (area, panel) in body.split_evenly((1, PANELS.len())).iter().zip(&PANELS) {
        draw_panel(area, panel, &lines(runs, panel), &ticks)?;
    }
    root.present()?;
    Ok(())
}

/// One panel: x the sessions (log scale, a tick at each count measured), y from 0.
fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    panel: &Panel,
    lines: &[Line],
    ticks: &[f64],
) -> Result<()> {
    let lo = ticks.first().copied().unwrap_or(100.0) / X_PAD;
    let hi = ticks.last().copied().unwrap_or(10_000.0) * X_PAD;
    let top = lines
        .iter()
        .flat_map(|l| &l.points)
        .map(|p| p.1)
        .fold(0.0, f64::max);
    let top = if top > 0.0 { top * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, (FONT, 16).into_font())
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(60)
        .build_cartesian_2d(
            (lo..hi).log_scale().with_key_points(ticks.to_vec()),
            0.0..top,
        )?;
    chart
        .configure_mesh()
        .x_desc("sessions (log scale)")
        .y_desc(panel.y_desc)
        .x_label_formatter(&|x: &f64| count(*x))
        .draw()?;
    for line in lines {
        let style = line.color.filled().stroke_width(2);
        chart
            .draw_series(LineSeries::new(line.points.iter().copied(), style).point_size(4))?
            .label(line.label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    if !lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
    }
    Ok(())
}
