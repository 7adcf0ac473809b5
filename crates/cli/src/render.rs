//! Terminal tables (at most 80 columns) and JSON printing.

use std::io::Write;
use std::path::Path;

use serde_json::{json, Value};
use tokenworth_core::fmt::{tokens, usd};
use tokenworth_core::ingest::ScanReport;
use tokenworth_core::outcomes::{OutcomesReport, ReviewRow, IDLE_BURN_COST_USD};
use tokenworth_core::report::{BlockReport, Period, PeriodReport, SessionReport, Totals};

pub fn json(out: &mut impl Write, v: &(impl serde::Serialize + ?Sized)) -> std::io::Result<()> {
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
                "{:<9}{:<11}{:<17}{:<17}{:<9}{:>7}{:>10}",
                "Session", "Tool", "Project", "Last activity", "Outcome", "Tokens", "Cost"
            ),
            color
        )
    )?;
    writeln!(out, "{}", "─".repeat(80))?;
    for s in &rep.sessions {
        let project =
            Path::new(&s.project).file_name().map_or(s.project.clone(), |n| n.to_string_lossy().into_owned());
        // A resumed or forked session sits under its parent, marked.
        let id = if s.parent.is_some() { format!("↳{}", s.session_id) } else { s.session_id.clone() };
        let outcome = match (s.outcome, s.suggested_outcome) {
            (Some(o), _) => o.to_string(),
            (None, Some(o)) => format!("{o}?"),
            (None, None) if s.idle_burn => "idle!".to_string(),
            (None, None) => String::new(),
        };
        writeln!(
            out,
            "{:<9}{:<11}{:<17}{:<17}{:<9}{:>7}{:>10}",
            clip(&id, 8),
            clip(&s.source, 10),
            clip(&project, 16),
            s.end.get(..16).unwrap_or(&s.end).replace('T', " "),
            outcome,
            tokens(s.totals.total_tokens),
            usd(s.totals.cost_usd) + if s.totals.unpriced_tokens > 0 { "*" } else { "" }
        )?;
    }
    footer(out, &rep.total, color)?;
    if rep.sessions.iter().any(|s| s.suggested_outcome.is_some() || s.idle_burn) {
        writeln!(
            out,
            "{}",
            dim("shipped? = untagged with commits (suggestion); idle! = heavy, no commits, no tag", color)
        )?;
    }
    Ok(())
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{:.1}%", x * 100.0))
}

fn review_lines(out: &mut impl Write, rows: &[ReviewRow]) -> std::io::Result<()> {
    for r in rows {
        let project =
            Path::new(&r.project).file_name().map_or(r.project.clone(), |n| n.to_string_lossy().into_owned());
        writeln!(
            out,
            "  {:<9}{:<12}{:<24}{:<17}{:>5}{:>11}",
            clip(&r.session_id, 8),
            clip(&r.source, 11),
            clip(&project, 23),
            r.end.get(..16).unwrap_or(&r.end).replace('T', " "),
            r.commits,
            usd(r.cost_usd) + if r.unpriced_tokens > 0 { "*" } else { "" }
        )?;
    }
    Ok(())
}

pub fn outcomes_table(out: &mut impl Write, rep: &OutcomesReport, color: bool) -> std::io::Result<()> {
    let line = format!("{:<14}{:>10}{:>10}{:>12}{:>12}", "Outcome", "Sessions", "Commits", "Cost", "Share");
    writeln!(out, "{}", bold(&line, color))?;
    writeln!(out, "{}", "─".repeat(58))?;
    let spent = rep.total.cost_usd;
    let share = |c: f64| pct((spent > 0.0).then(|| c / spent));
    for r in &rep.outcomes {
        writeln!(
            out,
            "{:<14}{:>10}{:>10}{:>12}{:>12}",
            r.outcome.to_string(),
            r.sessions,
            r.commits,
            usd(r.cost_usd),
            share(r.cost_usd)
        )?;
    }
    let u = &rep.untagged;
    writeln!(
        out,
        "{:<14}{:>10}{:>10}{:>12}{:>12}",
        "untagged",
        u.sessions,
        u.commits,
        usd(u.cost_usd),
        share(u.cost_usd)
    )?;
    writeln!(out, "{}", "─".repeat(58))?;
    let t = &rep.total;
    let total = format!(
        "{:<14}{:>10}{:>10}{:>12}{:>12}",
        "Total",
        t.sessions,
        t.commits,
        usd(t.cost_usd),
        share(t.cost_usd)
    );
    writeln!(out, "{}", bold(&total, color))?;
    let money = |x: Option<f64>| x.map_or("-".to_string(), usd);
    writeln!(
        out,
        "cost per shipped session {}, per commit {}",
        money(rep.cost_per_shipped_session),
        money(rep.cost_per_commit)
    )?;
    writeln!(
        out,
        "share of spend untagged {}, abandoned or wasted {}",
        pct(rep.untagged_share),
        pct(rep.wasted_share)
    )?;
    if !rep.review.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            bold("Most expensive untagged sessions (tokenworth tag <id> <outcome>):", color)
        )?;
        review_lines(out, &rep.review)?;
    }
    if !rep.idle_burn.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            bold(
                &format!(
                    "Idle burn (≥ {} or 1M unpriced tokens, no commits, no tag):",
                    usd(IDLE_BURN_COST_USD)
                ),
                color
            )
        )?;
        review_lines(out, &rep.idle_burn)?;
    }
    if t.unpriced_tokens > 0 {
        writeln!(
            out,
            "* tokens of models without a known price are not in the cost; see `tokenworth sources`."
        )?;
    }
    Ok(())
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
        let mut head = bold(s["id"].as_str().unwrap_or(""), color);
        if s["enabled"] == false {
            head.push_str(&dim("  (turned off in config.toml)", color));
        }
        writeln!(out, "{head}")?;
        if s["readable"] == false {
            let why = s["unreadable_reason"].as_str().unwrap_or("not readable");
            writeln!(out, "  {}", dim(why, color))?;
        }
        if let Some(d) = s["drift"].as_object() {
            writeln!(
                out,
                "  format may have changed: {} unreadable records, {} unknown files (since {})",
                d["unreadable_records"],
                d["unknown_files"],
                d["since"].as_str().unwrap_or("?")
            )?;
        }
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
