//! `tokenworth-corpus --out DIR [--size 1GB] [--seed N] [--start YYYY-MM-DD] [--days N] [--max-turns N] [--without TRAP,...]`

use std::{path::PathBuf, process::ExitCode, time::Instant};

use anyhow::{bail, Context as _, Result};
use chrono::NaiveDate;
use tokenworth_corpus::{generate, parse_size, Config, Traps, CLAUDE, CODEX};

const USAGE: &str = "usage: tokenworth-corpus --out DIR [--size 1GB|50MB|...] [--seed N] \
[--start YYYY-MM-DD] [--days N] [--max-turns N] [--without TRAP,...|all]

Writes a fake $HOME with Claude Code and Codex logs under DIR and the true
totals to DIR/expected.json. Traps (all on by default):";

fn parse_args() -> Result<Option<(Config, PathBuf)>> {
    let mut cfg = Config::default();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if key == "-h" || key == "--help" {
            println!("{USAGE}\n  {}", Traps::NAMES.join("\n  "));
            return Ok(None);
        }
        let mut value = || -> Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().with_context(|| format!("{key} needs a value")),
            }
        };
        match key.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--size" => cfg.size_bytes = parse_size(&value()?)?,
            "--seed" => cfg.seed = value()?.parse().context("--seed")?,
            "--start" => cfg.start = NaiveDate::parse_from_str(&value()?, "%Y-%m-%d").context("--start")?,
            "--days" => cfg.days = value()?.parse().context("--days")?,
            "--max-turns" => cfg.max_turns = Some(value()?.parse().context("--max-turns")?),
            "--without" => {
                for name in value()?.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    if name == "all" {
                        cfg.traps = Traps::none();
                    } else {
                        cfg.traps.set(name, false)?;
                    }
                }
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let Some(out) = out else {
        bail!("--out is required\n{USAGE}");
    };
    Ok(Some((cfg, out)))
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokenworth-corpus: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let Some((cfg, out)) = parse_args()? else {
        return Ok(());
    };
    let started = Instant::now();
    let exp = generate(&cfg, &out)?;
    println!(
        "wrote {:.1} MB in {} files to {} in {:.1}s (seed {}, {} days from {}): \
claude-code {} events, codex {} events, {} broken lines; truth in {}",
        exp.generator.bytes_written as f64 / 1e6,
        exp.generator.files,
        out.display(),
        started.elapsed().as_secs_f64(),
        cfg.seed,
        cfg.days,
        cfg.start,
        exp.events[CLAUDE],
        exp.events[CODEX],
        exp.skipped_lines.values().sum::<u64>(),
        out.join("expected.json").display()
    );
    Ok(())
}
