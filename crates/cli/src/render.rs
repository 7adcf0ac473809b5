//! Terminal tables (at most 80 columns) and JSON printing.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use tokenworth_core::fmt::{tokens, usd};
use tokenworth_core::ingest::ScanReport;
use tokenworth_core::report::{BlockReport, Period, PeriodReport, SessionReport, Totals};

pub fn json(out: &mut impl Write, v: &Value) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    writeln!(out)
}

fn bold(s: &str, color: bool) -> String {
    if color {
        format!("\x1b[1m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn dim(s: &str, color: bool) -> String {
    if color {
        format!("\x1b[2m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn clip(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let t: String = s.chars().take(w.saturating_sub(1)).collect();
        format!("{t}…")
    }
}

const HEAD: [&str; 6] = ["Input", "Output", "Cache W", "Cache R", "Total", "Cost"];

/// A row: a 20-wide label then six 9-wide columns (20 + 6×10 = 80).
fn row(out: &mut impl Write, label: &str, t: &Totals) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<20}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        clip(label, 19),
        tokens(t.input_tokens),
        tokens(t.output_tokens),
        tokens(t.cache_creation_tokens),
        tokens(t.cache_read_tokens),
        tokens(t.total_tokens),
        usd(t.cost_usd) + if t.unpriced_tokens > 0 { "*" } else { "" }
    )
}

fn header(out: &mut impl Write, first: &str, color: bool) -> std::io::Result<()> {
    let line = format!(
        "{:<20}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}",
        first, HEAD[0], HEAD[1], HEAD[2], HEAD[3], HEAD[4], HEAD[5]
    );
    writeln!(out, "{}", bold(&line, color))?;
    writeln!(out, "{}", "─".repeat(80))
}

fn footer(out: &mut impl Write, total: &Totals, color: bool) -> std::io::Result<()> {
    writeln!(out, "{}", "─".repeat(80))?;
    let mut buf = Vec::new();
    row(&mut buf, "Total", total)?;
    write!(out, "{}", bold(&String::from_utf8_lossy(&buf), color))?;
    if total.unpriced_tokens > 0 {
        writeln!(
            out,
            "* {} tokens are from models without a known price and are not in the cost; see `tokenworth sources`.",
            tokens(total.unpriced_tokens)
        )?;
    }
    Ok(())
}

pub fn period_table(
    out: &mut impl Write,
    rep: &PeriodReport,
    period: Period,
    breakdown: bool,
    color: bool,
) -> std::io::Result<()> {
    if rep.rows.is_empty() {
        return writeln!(
            out,
            "No usage found for this period. `tokenworth sources` shows where logs were looked for."
        );
    }
    let first = match period {
        Period::Day => "Date",
        Period::Week => "Week of",
        Period::Month => "Month",
    };
    header(out, first, color)?;
    for r in &rep.rows {
        row(out, &r.key, &r.total)?;
        if r.sources.len() > 1 || breakdown {
            for (s, t) in &r.sources {
                let mut buf = Vec::new();
                row(&mut buf, &format!("  {s}"), t)?;
                write!(out, "{}", dim(&String::from_utf8_lossy(&buf), color))?;
            }
        }
        if breakdown {
            for (m, t) in &r.models {
                let mut buf = Vec::new();
                row(&mut buf, &format!("    {m}"), t)?;
                write!(out, "{}", dim(&String::from_utf8_lossy(&buf), color))?;
            }
        }
    }
    footer(out, &rep.total, color)
}

pub fn session_table(out: &mut impl Write, rep: &SessionReport, color: bool) -> std::io::Result<()> {
    if rep.sessions.is_empty() {
        return writeln!(out, "No sessions found for this period.");
    }
    writeln!(
        out,
        "{}",
        bold(
            &format!(
                "{:<9}{:<12}{:<25}{:<17}{:>7}{:>10}",
                "Session", "Tool", "Project", "Last activity", "Tokens", "Cost"
            ),
            color
        )
    )?;
    writeln!(out, "{}", "─".repeat(80))?;
    for s in &rep.sessions {
        let project =
            Path::new(&s.project).file_name().map_or(s.project.clone(), |n| n.to_string_lossy().into_owned());
        writeln!(
            out,
            "{:<9}{:<12}{:<25}{:<17}{:>7}{:>10}",
            clip(&s.session_id, 8),
            clip(&s.source, 11),
            clip(&project, 24),
            s.end.get(..16).unwrap_or(&s.end).replace('T', " "),
            tokens(s.totals.total_tokens),
            usd(s.totals.cost_usd) + if s.totals.unpriced_tokens > 0 { "*" } else { "" }
        )?;
    }
    footer(out, &rep.total, color)
}

pub fn blocks_table(out: &mut impl Write, rep: &BlockReport, color: bool) -> std::io::Result<()> {
    if rep.blocks.is_empty() {
        return writeln!(out, "No usage found for this period.");
    }
    header(out, "Block start (UTC)", color)?;
    for b in &rep.blocks {
        let label = format!(
            "{}{}",
            b.start.get(..16).unwrap_or(&b.start).replace('T', " "),
            if b.active { " ●" } else { "" }
        );
        row(out, &label, &b.total)?;
    }
    footer(out, &rep.total, color)
}

pub fn scan_json(r: &ScanReport) -> Value {
    json!({
        "files_read": r.sources.iter().map(|s| s.files_read).sum::<usize>(),
        "bytes_read": r.bytes_read(),
        "events": r.events(),
        "skipped_lines": r.sources.iter().map(|s| s.skipped_lines).sum::<u64>(),
        "duration_ms": r.duration.as_millis() as u64,
        "sources": r.sources.iter().map(|s| json!({
            "id": s.id, "files": s.files, "files_read": s.files_read, "bytes_read": s.bytes_read,
            "events": s.events, "skipped_lines": s.skipped_lines,
        })).collect::<Vec<_>>(),
        "warnings": r.warnings,
    })
}

pub fn scan_table(out: &mut impl Write, r: &ScanReport, color: bool) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        bold(
            &format!("{:<14}{:>10}{:>12}{:>14}{:>10}", "Source", "Files", "Read", "Events read", "Skipped"),
            color
        )
    )?;
    for s in &r.sources {
        writeln!(
            out,
            "{:<14}{:>10}{:>12}{:>14}{:>10}",
            s.id,
            s.files,
            format!("{:.1} MB", s.bytes_read as f64 / 1e6),
            s.events,
            s.skipped_lines
        )?;
    }
    writeln!(out, "in {} ms", r.duration.as_millis())
}

pub fn sources_table(out: &mut impl Write, v: &Value, color: bool) -> std::io::Result<()> {
    for s in v["sources"].as_array().into_iter().flatten() {
        writeln!(out, "{}", bold(s["id"].as_str().unwrap_or(""), color))?;
        for p in s["paths"].as_array().into_iter().flatten() {
            writeln!(out, "  found      {}", p.as_str().unwrap_or(""))?;
        }
        for p in s["paths_not_found"].as_array().into_iter().flatten() {
            writeln!(out, "  {}", dim(&format!("not found  {}", p.as_str().unwrap_or("")), color))?;
        }
        writeln!(
            out,
            "  files {}   events {}   skipped lines {}",
            s["files"], s["events"], s["skipped_lines"]
        )?;
        if let Some(m) = s["unpriced_models"].as_object().filter(|m| !m.is_empty()) {
            for (name, n) in m {
                writeln!(out, "  unpriced   {name} ({} tokens; add a price in config.toml)", n)?;
            }
        }
    }
    writeln!(out, "data dir {}", v["data_dir"].as_str().unwrap_or(""))?;
    writeln!(out, "prices   {}", v["price_table"].as_str().unwrap_or(""))
}
