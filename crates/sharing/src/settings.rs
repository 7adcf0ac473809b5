//! What this machine remembers of its membership, in `<data dir>/sharing.json` (no token: that is
//! in the OS keyring or `sharing-token`). The file exists only while joined; it is written to a
//! temporary file and renamed, so a crash leaves the old settings or the new ones.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::payload::Fields;
use crate::Error;

pub const SETTINGS_FILE: &str = "sharing.json";
pub const TOKEN_FILE: &str = "sharing-token";
pub const LOG_FILE: &str = "sharing-log.jsonl";

/// Where the token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenStore {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// `<data dir>/sharing-token`, mode 0600.
    File,
}

impl TokenStore {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenStore::Keyring => "keyring",
            TokenStore::File => "file",
        }
    }
}

/// The last send, as status shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastSend {
    /// UTC, ISO 8601.
    pub time: String,
    /// `ok`, or why it failed.
    pub status: String,
    /// Days sent by it.
    pub days: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The board's address (checked by `check_board_url`, no trailing slash).
    pub board: String,
    pub team: String,
    pub member_id: String,
    pub device_id: String,
    pub alias: String,
    pub token_store: TokenStore,
    pub fields: Fields,
    #[serde(default)]
    pub excluded_projects: Vec<String>,
    /// Daily auto-send by the tray app.
    #[serde(default)]
    pub auto: bool,
    /// The team's window as last seen (days the board accepts).
    pub window_days: u64,
    /// Per local day sent (`YYYY-MM-DD`), the fingerprint of the payload sent for it.
    #[serde(default)]
    pub sent: BTreeMap<String, String>,
    #[serde(default)]
    pub last_send: Option<LastSend>,
    /// When this machine joined, UTC.
    pub joined: String,
}

pub fn settings_path(dir: &Path) -> PathBuf {
    dir.join(SETTINGS_FILE)
}

/// The settings, or None when this machine has not joined a board.
pub fn load(dir: &Path) -> Result<Option<Settings>, Error> {
    let path = settings_path(dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Local(format!("{} cannot be read: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Local(format!("{} cannot be read: {e}", path.display()))),
    }
}

pub fn save(dir: &Path, s: &Settings) -> Result<(), Error> {
    let mut bytes = serde_json::to_vec_pretty(s).map_err(|e| Error::Local(e.to_string()))?;
    bytes.push(b'\n');
    write_atomic(&settings_path(dir), &bytes)
}

pub fn remove(dir: &Path) -> Result<(), Error> {
    let path = settings_path(dir);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Local(format!("cannot remove {}: {e}", path.display()))),
    }
}

/// Writes `bytes` to a temporary file beside `path` (mode 0600), syncs it and renames it over
/// `path`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let local = |e: std::io::Error| Error::Local(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(local)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = private_file(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(local)
}

/// Creates (truncating) a file only its owner may read and write.
pub fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}
