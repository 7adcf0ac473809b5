//! The environment discovery runs in: the home directory, the variables the tools read, and the
//! operating system. Passed in, so tests point discovery at a fake home.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    pub fn current() -> Os {
        if cfg!(target_os = "macos") {
            Os::MacOs
        } else if cfg!(windows) {
            Os::Windows
        } else {
            Os::Linux
        }
    }
}

#[derive(Debug, Clone)]
pub struct Env {
    pub home: PathBuf,
    pub vars: HashMap<String, String>,
    pub os: Os,
}

impl Env {
    /// An environment with this home and no variables, on the current OS.
    pub fn with_home(home: impl Into<PathBuf>) -> Env {
        Env { home: home.into(), vars: HashMap::new(), os: Os::current() }
    }

    /// The process environment. Only the shells (CLI, app) call this.
    pub fn from_process() -> Env {
        let vars: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let os = Os::current();
        let home_var = if os == Os::Windows { "USERPROFILE" } else { "HOME" };
        let home = vars
            .get(home_var)
            .or_else(|| vars.get("HOME"))
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        Env { home, vars, os }
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|s| s.as_str()).filter(|s| !s.trim().is_empty())
    }

    pub fn set(mut self, name: &str, value: impl Into<String>) -> Env {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    /// `~/.config` or `$XDG_CONFIG_HOME`.
    pub fn xdg_config_home(&self) -> PathBuf {
        match self.var("XDG_CONFIG_HOME") {
            Some(p) if Path::new(p).is_absolute() => PathBuf::from(p),
            _ => self.home.join(".config"),
        }
    }

    /// `~/.local/share` or `$XDG_DATA_HOME` (an absolute one).
    pub fn xdg_data_home(&self) -> PathBuf {
        match self.var("XDG_DATA_HOME") {
            Some(p) if Path::new(p).is_absolute() => PathBuf::from(p),
            _ => self.home.join(".local/share"),
        }
    }

    /// Where desktop applications keep their per-user data: `~/.config` (or `$XDG_CONFIG_HOME`)
    /// on Linux, `~/Library/Application Support` on macOS, `%APPDATA%` on Windows. VS Code and
    /// its forks keep `User/globalStorage` here.
    pub fn app_data_dir(&self) -> PathBuf {
        match self.os {
            Os::Linux => self.xdg_config_home(),
            Os::MacOs => self.home.join("Library/Application Support"),
            Os::Windows => match self.var("APPDATA") {
                Some(p) => PathBuf::from(p),
                None => self.home.join("AppData").join("Roaming"),
            },
        }
    }

    /// A variable naming one directory (`~` expanded), if set.
    pub fn dir_var(&self, name: &str) -> Option<PathBuf> {
        self.var(name).map(|v| expand_tilde(v.trim(), &self.home))
    }

    /// The default data directory, per OS convention.
    pub fn default_data_dir(&self) -> PathBuf {
        match self.os {
            Os::Linux => match self.var("XDG_DATA_HOME") {
                Some(p) if Path::new(p).is_absolute() => PathBuf::from(p).join("tokenworth"),
                _ => self.home.join(".local/share/tokenworth"),
            },
            Os::MacOs => self.home.join("Library/Application Support/tokenworth"),
            Os::Windows => match self.var("APPDATA") {
                Some(p) => PathBuf::from(p).join("tokenworth"),
                None => self.home.join("AppData").join("Roaming").join("tokenworth"),
            },
        }
    }

    /// A comma- (or OS path-list-) separated list variable, split into paths.
    pub fn path_list(&self, name: &str) -> Vec<PathBuf> {
        let Some(v) = self.var(name) else { return Vec::new() };
        let sep = if self.os == Os::Windows { ';' } else { ':' };
        v.split([',', sep])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| expand_tilde(s, &self.home))
            .collect()
    }
}

pub(crate) fn expand_tilde(s: &str, home: &Path) -> PathBuf {
    if s == "~" {
        home.to_path_buf()
    } else if let Some(rest) = s.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(s)
    }
}
