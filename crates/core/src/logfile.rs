//! A size-rotated log file, for the tray app's diagnostic log (the binaries install the `tracing`
//! subscriber; this is only where its lines go). When a write would take the file past
//! `max_bytes`, the file becomes `<name>.1` (`.1` becomes `.2`, … up to `keep`; the oldest is
//! dropped) and a new one is started, so the log never holds more than about
//! `(keep + 1) × max_bytes`. A line is never split across two files.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The app's log: 1 MiB a file, the current one and three older ones.
pub const MAX_BYTES: u64 = 1 << 20;
pub const KEEP: u32 = 3;

/// Tokenworth's own crates, as `tracing` names their targets.
pub const CRATES: &[&str] =
    &["tokenworth_core", "tokenworth_sources", "tokenworth_watch", "tokenworth_app", "tokenworth"];

/// The subscriber's filter for `TOKENWORTH_LOG` (or `-v`): a plain level (`debug`) applies to
/// Tokenworth's own crates, while everything below them (Tauri, the D-Bus client under the
/// keyring, …) stays at `warn`, since they may log what they carry. Anything with `=` or `,` is
/// taken as `tracing` directives as written. `None`: not a level.
pub fn filter_directives(value: &str) -> Option<String> {
    let v = value.trim();
    if v.contains('=') || v.contains(',') {
        return Some(v.to_owned());
    }
    let level = v.to_ascii_lowercase();
    if !["off", "error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
        return None;
    }
    let rest = if matches!(level.as_str(), "off" | "error") { level.as_str() } else { "warn" };
    let mut out = rest.to_owned();
    for c in CRATES {
        out.push_str(&format!(",{c}={level}"));
    }
    Some(out)
}

pub struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: u32,
    file: Option<File>,
    size: u64,
    /// The start of a line whose end has not been written yet (a formatter may write a line in
    /// pieces): held back so a rotation never falls inside it.
    partial: Vec<u8>,
}

/// `<path>.<n>`.
pub fn rotated(path: &Path, n: u32) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(format!(".{n}"));
    PathBuf::from(s)
}

fn open_append(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

impl RotatingFile {
    /// Opens (creating) the log at `path`, appending to what is there. `keep`: how many older
    /// files are kept (0: the file is started again when full).
    pub fn open(path: &Path, max_bytes: u64, keep: u32) -> io::Result<RotatingFile> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(RotatingFile {
            path: path.to_path_buf(),
            max_bytes: max_bytes.max(1),
            keep,
            file: Some(file),
            size,
            partial: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file = None;
        if self.keep == 0 {
            std::fs::remove_file(&self.path).or_else(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
        } else {
            let _ = std::fs::remove_file(rotated(&self.path, self.keep));
            for n in (1..self.keep).rev() {
                let from = rotated(&self.path, n);
                if from.exists() {
                    std::fs::rename(&from, rotated(&self.path, n + 1))?;
                }
            }
            std::fs::rename(&self.path, rotated(&self.path, 1))?;
        }
        self.file = Some(open_append(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

impl RotatingFile {
    /// Writes one whole line (or what is left at the end), rotating first when it would not fit.
    /// A line longer than `max_bytes` gets a file of its own.
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        if self.size > 0 && self.size + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        if self.file.is_none() {
            self.file = Some(open_append(&self.path)?);
            self.size = std::fs::metadata(&self.path).map_or(0, |m| m.len());
        }
        let f = self.file.as_mut().ok_or_else(|| io::Error::other("log file not open"))?;
        f.write_all(line)?;
        self.size += line.len() as u64;
        Ok(())
    }
}

impl Write for RotatingFile {
    /// Takes all of `buf`; complete lines are written at once, each to the file it fits in.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (line, after) = rest.split_at(i + 1);
            if self.partial.is_empty() {
                self.write_line(line)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.write_line(&whole)?;
            }
            rest = after;
        }
        self.partial.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match self.file.as_mut() {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for RotatingFile {
    fn drop(&mut self) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            let _ = self.write_line(&rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p).map(|s| s.lines().map(str::to_owned).collect()).unwrap_or_default()
    }

    #[test]
    fn rotates_at_its_size_keeps_the_newest_files_and_never_splits_a_line() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("logs/app.log");
        let mut f = RotatingFile::open(&path, 100, 2).unwrap();
        // 20 lines of 23 bytes, each written in pieces (as `writeln!` does): 4 a file.
        for i in 0..20 {
            writeln!(f, "line {i:02} of the log....").unwrap();
        }
        f.flush().unwrap();
        for p in [&path, &rotated(&path, 1), &rotated(&path, 2)] {
            let len = std::fs::metadata(p).unwrap().len();
            assert!(len <= 100 && len > 0, "{p:?} is {len} bytes");
            assert!(lines(p).iter().all(|l| l.len() == 22), "{p:?}: {:?}", lines(p));
        }
        assert!(!rotated(&path, 3).exists(), "only two older files are kept");
        // The newest lines, in order, across the kept files.
        let all: Vec<String> =
            [rotated(&path, 2), rotated(&path, 1), path.clone()].iter().flat_map(|p| lines(p)).collect();
        let want: Vec<String> = (8..20).map(|i| format!("line {i:02} of the log....")).collect();
        assert_eq!(all, want);
    }

    #[test]
    fn a_reopened_log_appends_and_counts_what_it_holds() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("app.log");
        std::fs::write(&path, "x".repeat(90) + "\n").unwrap();
        let mut f = RotatingFile::open(&path, 100, 1).unwrap();
        f.write_all(b"short\n").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 97, "appended, not rotated yet");
        f.write_all(b"this one does not fit\n").unwrap();
        assert_eq!(lines(&path), vec!["this one does not fit"]);
        assert_eq!(std::fs::metadata(rotated(&path, 1)).unwrap().len(), 97);
        // keep = 0: the file starts again.
        let mut g = RotatingFile::open(&tmp.path().join("b.log"), 10, 0).unwrap();
        g.write_all(b"123456789\n").unwrap();
        g.write_all(b"abc\n").unwrap();
        assert_eq!(lines(&tmp.path().join("b.log")), vec!["abc"]);
        assert!(!rotated(&tmp.path().join("b.log"), 1).exists());
    }

    #[test]
    fn a_level_applies_to_tokenworth_only() {
        let d = filter_directives("DEBUG").unwrap();
        assert!(
            d.starts_with("warn,") && d.contains(",tokenworth_core=debug") && d.contains(",tokenworth=debug"),
            "{d}"
        );
        assert!(filter_directives("error").unwrap().starts_with("error,"));
        assert_eq!(filter_directives("zbus=trace").as_deref(), Some("zbus=trace"));
        assert_eq!(filter_directives("loud"), None);
        assert_eq!(filter_directives(""), None);
    }

    #[test]
    fn an_unwritable_place_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        assert!(RotatingFile::open(&file.join("app.log"), 100, 1).is_err());
    }
}
