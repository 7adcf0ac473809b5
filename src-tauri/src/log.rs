//! The app's diagnostic log: the libraries' `tracing` events go to `tokenworth-app.log` in the
//! data dir, rotated at its size (`tokenworth_core::logfile`). Warnings and errors by default;
//! `TOKENWORTH_LOG=debug` (or `tracing` directives) for more. Only what happened is logged, never
//! prompt text, notes, a board token or file contents: the libraries log counts, paths and
//! errors, and everything below Tokenworth's own crates stays at `warn`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use tokenworth_core::config::DataDir;
use tokenworth_core::logfile::{self, filter_directives, RotatingFile};
use tokenworth_core::Env;

/// The log's name in the data dir.
pub const FILE_NAME: &str = "tokenworth-app.log";

/// Installs the subscriber; returns the log's path, or None when it cannot be written (said on
/// stderr; the app runs without a log then).
pub fn install(data: &DataDir, env: &Env) -> Option<PathBuf> {
    let path = data.root.join(FILE_NAME);
    let file = match RotatingFile::open(&path, logfile::MAX_BYTES, logfile::KEEP) {
        Ok(f) => f,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "tokenworth-app: no log file {}: {e}", path.display());
            return None;
        }
    };
    let default = filter_directives("warn").unwrap_or_default();
    let asked = env.var("TOKENWORTH_LOG").filter(|v| !v.trim().is_empty());
    let directives = match asked.map(filter_directives) {
        Some(Some(d)) => d,
        Some(None) => {
            let _ = writeln!(
                std::io::stderr(),
                "tokenworth-app: TOKENWORTH_LOG is not a level; logging warnings"
            );
            default.clone()
        }
        None => default.clone(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&default));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_target(true)
        .try_init();
    if installed.is_err() {
        return None;
    }
    // A panic is written to the log too (its message and place, not the data it was handling).
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let at = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(at = %at, "panic: {}", panic_message(info));
        previous(info);
    }));
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %data.root.display(), "tokenworth-app started");
    Some(path)
}

fn panic_message(info: &std::panic::PanicHookInfo<'_>) -> String {
    if let Some(s) = info.payload().downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = info.payload().downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}
