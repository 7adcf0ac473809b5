//! Read-only questions to git about the repository a session ran in: where its work tree starts,
//! who the configured user is, and which commits were made since a time.
//!
//! Runs the `git` binary (found on the `PATH` of the [`Env`] it is given), never a shell. Nothing
//! here writes to a repository or runs a program a repository's config names:
//! - `--no-optional-locks` (and `GIT_OPTIONAL_LOCKS=0`): no index refresh written behind our back;
//! - `--no-pager`, `core.fsmonitor=false`, `log.showSignature=false`, `--no-ext-diff`,
//!   `--no-textconv`: no pager, fsmonitor hook, gpg, external diff or textconv program runs;
//! - the variables that point git at another repository or change what it runs (`GIT_DIR`,
//!   `GIT_WORK_TREE`, `GIT_EXTERNAL_DIFF`, …: every `GIT_*` but the config locations) are
//!   removed, so a caller running inside a git hook cannot redirect the questions;
//! - stdin is closed and `GIT_TERMINAL_PROMPT=0`, so nothing waits for input; every run has a
//!   time limit and an output cap.
//!
//! User config is otherwise honoured (`HOME`, `XDG_CONFIG_HOME`, `GIT_CONFIG_GLOBAL`, includes),
//! so `user.email` is the one git itself would use in that directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::env::Env;

/// Longest a single git run may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Most output read from one git run.
const MAX_OUTPUT: u64 = 256 << 20;

/// `GIT_*` variables passed on: where config lives. Every other `GIT_*` is removed.
const KEPT_GIT_VARS: &[&str] = &[
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_EXEC_PATH",
];

#[derive(Debug)]
pub enum GitError {
    /// No `git` binary on the PATH.
    Missing,
    /// git ran and failed, or could not be run, or took too long.
    Failed(String),
}

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GitError::Missing => f.write_str("git is not installed (not found on PATH)"),
            GitError::Failed(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for GitError {}

/// One commit, as `git log` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub hash: String,
    /// Author date, UTC ms.
    pub author_ms: i64,
    pub author_email: String,
    /// The subject line.
    pub message: String,
    pub files_changed: u64,
    pub lines_added: u64,
    pub lines_removed: u64,
}

/// A git runner bound to an environment.
pub struct Git {
    vars: Vec<(String, String)>,
    home: PathBuf,
}

impl Git {
    pub fn new(env: &Env) -> Git {
        let vars = env
            .vars
            .iter()
            .filter(|(k, _)| !k.starts_with("GIT_") || KEPT_GIT_VARS.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Git { vars, home: env.home.clone() }
    }

    /// Runs `git <safety flags> -C <dir> <args>`; `Ok(None)` when git exited non-zero.
    fn run(&self, dir: &Path, args: &[&str]) -> Result<Option<Vec<u8>>, GitError> {
        let mut cmd = Command::new("git");
        cmd.env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .env("HOME", &self.home)
            .env("GIT_OPTIONAL_LOCKS", "0")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_PAGER", "cat")
            .env("LC_ALL", "C")
            .args(["--no-pager", "--no-optional-locks"])
            .args([
                "-c",
                "core.fsmonitor=false",
                "-c",
                "log.showSignature=false",
                "-c",
                "core.quotePath=true",
            ])
            .arg("-C")
            .arg(dir)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(GitError::Missing),
            Err(e) => return Err(GitError::Failed(format!("cannot run git: {e}"))),
        };
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(GitError::Failed("git's output could not be read".into()));
        };
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let r = stdout.take(MAX_OUTPUT + 1).read_to_end(&mut buf);
            r.map(|_| buf)
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if started.elapsed() > TIMEOUT => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = reader.join();
                    return Err(GitError::Failed(format!(
                        "git in {} took longer than {}s and was stopped",
                        dir.display(),
                        TIMEOUT.as_secs()
                    )));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => return Err(GitError::Failed(format!("waiting for git: {e}"))),
            }
        };
        let out = match reader.join() {
            Ok(Ok(buf)) => buf,
            _ => return Err(GitError::Failed("git's output could not be read".into())),
        };
        if out.len() as u64 > MAX_OUTPUT {
            return Err(GitError::Failed(format!("git in {} printed too much", dir.display())));
        }
        Ok(status.success().then_some(out))
    }

    /// The top of the work tree `dir` is in; `None` when it is in none (not a repository, a
    /// bare one, or one git refuses, e.g. owned by another user).
    pub fn toplevel(&self, dir: &Path) -> Result<Option<PathBuf>, GitError> {
        let Some(out) = self.run(dir, &["rev-parse", "--show-toplevel"])? else { return Ok(None) };
        let s = String::from_utf8_lossy(&out);
        let top = s.trim_end_matches(['\n', '\r']);
        Ok((!top.is_empty()).then(|| PathBuf::from(top)))
    }

    /// `user.email` as git resolves it in `repo` (repository, global and system config).
    pub fn user_email(&self, repo: &Path) -> Result<Option<String>, GitError> {
        let Some(out) = self.run(repo, &["config", "--get", "user.email"])? else { return Ok(None) };
        let s = String::from_utf8_lossy(&out).trim().to_string();
        Ok((!s.is_empty()).then_some(s))
    }

    /// Non-merge commits on any local or remote-tracking branch committed since `since_s`
    /// (Unix seconds), newest first, with their line counts.
    pub fn commits_since(&self, repo: &Path, since_s: i64) -> Result<Vec<Commit>, GitError> {
        let since = format!("--since={since_s} +0000");
        let out = self.run(
            repo,
            &[
                "log",
                "--branches",
                "--remotes",
                "--no-merges",
                "--no-ext-diff",
                "--no-textconv",
                "--no-show-signature",
                "--no-color",
                &since,
                "--format=%x1e%H%x1f%at%x1f%ae%x1f%s",
                "--numstat",
            ],
        )?;
        match out {
            Some(out) => Ok(parse_log(&String::from_utf8_lossy(&out))),
            // An empty repository (no branch yet) or one git refuses: no commits.
            None => Ok(Vec::new()),
        }
    }
}

/// Parses the records of `git log --format=%x1e%H%x1f%at%x1f%ae%x1f%s --numstat`. A record that
/// does not look right is skipped, never guessed at.
pub fn parse_log(out: &str) -> Vec<Commit> {
    let mut commits = Vec::new();
    for rec in out.split('\x1e').skip(1) {
        let mut lines = rec.lines();
        let Some(head) = lines.next() else { continue };
        let f: Vec<&str> = head.splitn(4, '\x1f').collect();
        if f.len() != 4 {
            continue;
        }
        let hash = f[0];
        if !(hash.len() == 40 || hash.len() == 64) || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(at) = f[1].parse::<i64>() else { continue };
        let mut c = Commit {
            hash: hash.to_ascii_lowercase(),
            author_ms: at.saturating_mul(1000),
            author_email: f[2].to_string(),
            message: f[3].to_string(),
            files_changed: 0,
            lines_added: 0,
            lines_removed: 0,
        };
        for l in lines {
            let mut parts = l.splitn(3, '\t');
            let (Some(a), Some(d), Some(_path)) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            // Binary files show `-` for both counts: a changed file without lines.
            let count = |s: &str| if s == "-" { Some(0) } else { s.parse::<u64>().ok() };
            let (Some(a), Some(d)) = (count(a), count(d)) else { continue };
            c.files_changed += 1;
            c.lines_added += a;
            c.lines_removed += d;
        }
        commits.push(c);
    }
    commits
}

#[cfg(test)]
mod tests {
    use super::parse_log;

    #[test]
    fn log_records() {
        let h1 = "a".repeat(40);
        let h2 = "B".repeat(40);
        let out = format!(
            "\x1e{h1}\x1f1772446531\x1fme@x.org\x1fAdd: a\x1fb\n\n3\t1\tsrc/a.rs\n-\t-\timg.png\n10\t0\tsrc/{{x => y}}.rs\n\
             \x1e{h2}\x1f1772446000\x1fyou@x.org\x1fsubject\n\x1enot-a-hash\x1f1\x1fa\x1fb\n\x1e{h1}\x1fNaN\x1fa\x1fb\n"
        );
        let c = parse_log(&out);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].hash, h1);
        assert_eq!(c[0].message, "Add: a\x1fb");
        assert_eq!((c[0].files_changed, c[0].lines_added, c[0].lines_removed), (3, 13, 1));
        assert_eq!(c[0].author_ms, 1_772_446_531_000);
        assert_eq!(c[1].hash, "b".repeat(40));
        assert_eq!((c[1].files_changed, c[1].lines_added), (0, 0));
        assert!(parse_log("").is_empty());
        assert!(parse_log("garbage\n").is_empty());
    }
}
