//! The data dir every shell shares: where the ledger and `config.toml` live, the price table with
//! the user's overrides, the time zone that splits days, and edits to `config.toml` that keep the
//! user's own formatting and comments.
//!
//! `config.toml`:
//! ```toml
//! timezone = "Europe/Berlin"          # optional; default: the system's
//! [pricing.models."my-local-model"]   # USD per million tokens
//! input = 1.0
//! output = 2.0
//! [sources.gemini-cli]                # per source, both optional
//! enabled = false                     # not scanned, not watched (its stored history stays)
//! paths = ["~/work/gemini-logs"]      # more folders of its logs, beside the default ones
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use tokenworth_pricing::PriceTable;

use crate::env::Env;
use crate::source::{self, Configured, Source};

/// The user's settings of the sources (`[sources.<id>]` in config.toml).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceSettings {
    /// Ids turned off with `enabled = false`.
    pub disabled: BTreeSet<String>,
    /// Extra log folders per id, `~` expanded.
    pub paths: BTreeMap<String, Vec<PathBuf>>,
}

impl SourceSettings {
    /// Every known source, with the user's extra folders.
    pub fn all(&self) -> Vec<Box<dyn Source>> {
        source::all()
            .into_iter()
            .map(|s| {
                let extra = self.paths.get(s.id()).cloned().unwrap_or_default();
                Box::new(Configured::new(s, extra)) as Box<dyn Source>
            })
            .collect()
    }

    /// The sources to scan and watch: every known one that is not turned off.
    pub fn enabled(&self) -> Vec<Box<dyn Source>> {
        self.all().into_iter().filter(|s| self.is_enabled(s.id())).collect()
    }

    pub fn is_enabled(&self, id: &str) -> bool {
        !self.disabled.contains(id)
    }
}

/// Price fields of an override, USD per million tokens (the `[pricing.models."…"]` keys).
/// One model's override: field name → USD per million tokens, in file order.
pub type PriceFields = Vec<(String, f64)>;

pub const PRICE_FIELDS: [&str; 5] = ["input", "output", "cache_write_5m", "cache_write_1h", "cache_read"];

#[derive(Debug)]
pub enum ConfigError {
    Io(PathBuf, std::io::Error),
    Invalid(PathBuf, String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
            ConfigError::Invalid(p, m) => write!(f, "{}: {m}", p.display()),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Name of the saved price table in the data dir.
const PRICES_FILE: &str = "prices.tsv";

/// The price table in use, and where it came from.
#[derive(Debug)]
pub struct LoadedPrices {
    pub table: PriceTable,
    /// The saved table it was read from; `None`: the shipped snapshot.
    pub file: Option<PathBuf>,
    /// Why a saved table is not used, if there is one that cannot be read.
    pub warning: Option<String>,
}

/// Reads and checks a LiteLLM `model_prices_and_context_window.json` that is to replace the
/// price table in use (see [`PriceTable::from_update_json`]). Its version id is
/// `litellm-<UTC date of the update>-<hash of the file>`.
pub fn read_price_update(file: &Path) -> Result<PriceTable, ConfigError> {
    let json = std::fs::read_to_string(file).map_err(|e| ConfigError::Io(file.to_path_buf(), e))?;
    let version = format!(
        "litellm-{}-{:08x}",
        chrono::Utc::now().format("%Y-%m-%d"),
        crate::hash::fnv1a(json.as_bytes()) >> 32
    );
    PriceTable::from_update_json(&json, &version)
        .map_err(|e| ConfigError::Invalid(file.to_path_buf(), e.to_string()))
}

/// Where one user's Tokenworth keeps its files.
#[derive(Debug, Clone)]
pub struct DataDir {
    pub root: PathBuf,
}

impl DataDir {
    /// `explicit` (from `--data-dir` / `TOKENWORTH_DATA_DIR`) or the OS convention.
    pub fn resolve(explicit: Option<PathBuf>, env: &Env) -> DataDir {
        DataDir { root: explicit.unwrap_or_else(|| env.default_data_dir()) }
    }
    pub fn db(&self) -> PathBuf {
        self.root.join("ledger.db")
    }
    pub fn config(&self) -> PathBuf {
        self.root.join("config.toml")
    }

    /// The text of config.toml, empty when there is none.
    pub fn config_text(&self) -> Result<String, ConfigError> {
        let path = self.config();
        match std::fs::read_to_string(&path) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(ConfigError::Io(path, e)),
        }
    }

    /// The price table `tokenworth prices update` saved, in the pricing crate's compact form.
    pub fn prices_file(&self) -> PathBuf {
        self.root.join(PRICES_FILE)
    }

    /// The price table in use with the user's overrides applied: the saved one
    /// ([`DataDir::prices_file`]), else the shipped snapshot (also when the saved one cannot be
    /// read; then with a warning).
    pub fn load_price_table(&self) -> Result<LoadedPrices, ConfigError> {
        let text = self.config_text()?;
        let mut loaded = self.base_price_table();
        loaded
            .table
            .apply_overrides(&text)
            .map_err(|e| ConfigError::Invalid(self.config(), e.to_string()))?;
        Ok(loaded)
    }

    /// [`DataDir::load_price_table`] without the warning.
    pub fn price_table(&self) -> Result<PriceTable, ConfigError> {
        self.load_price_table().map(|l| l.table)
    }

    /// The saved table, else the shipped one; no overrides.
    fn base_price_table(&self) -> LoadedPrices {
        let path = self.prices_file();
        let shipped =
            |warning: Option<String>| LoadedPrices { table: PriceTable::embedded(), file: None, warning };
        let why = match std::fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return shipped(None),
            Err(e) => e.to_string(),
            Ok(text) => match PriceTable::from_compact(&text, "litellm-saved") {
                Some(table) if !table.is_empty() => {
                    return LoadedPrices { table, file: Some(path), warning: None }
                }
                _ => "not a price table this version of Tokenworth can read".to_owned(),
            },
        };
        let table = PriceTable::embedded();
        let warning = format!(
            "the saved price table {} cannot be used ({why}); using the shipped one, {} \
             (`tokenworth prices update FILE` replaces it)",
            path.display(),
            table.version()
        );
        LoadedPrices { table, file: None, warning: Some(warning) }
    }

    /// Saves `table` (without overrides) as the one every later report uses, atomically (temp
    /// file + rename): a crash leaves the previous table or the new one, never a mix.
    pub fn save_price_table(&self, table: &PriceTable) -> Result<PathBuf, ConfigError> {
        use std::io::Write as _;
        std::fs::create_dir_all(&self.root).map_err(|e| ConfigError::Io(self.root.clone(), e))?;
        let path = self.prices_file();
        let tmp = self.root.join(format!(".{PRICES_FILE}.{}.tmp", std::process::id()));
        let written = std::fs::File::create(&tmp).and_then(|mut f| {
            f.write_all(table.to_compact().as_bytes())?;
            f.sync_all()
        });
        let renamed = written.and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(e) = renamed {
            let _ = std::fs::remove_file(&tmp);
            return Err(ConfigError::Io(path, e));
        }
        Ok(path)
    }

    /// The time zone set in config.toml, if any.
    pub fn configured_timezone(&self) -> Result<Option<Tz>, ConfigError> {
        let doc = self.parse()?;
        match doc.get("timezone") {
            None => Ok(None),
            Some(v) => {
                let s = v.as_str().ok_or_else(|| {
                    ConfigError::Invalid(self.config(), "`timezone` must be a string".into())
                })?;
                parse_tz(s).map(Some).map_err(|m| ConfigError::Invalid(self.config(), m))
            }
        }
    }

    /// Sets (or with `None` removes) `timezone` in config.toml.
    pub fn set_timezone(&self, tz: Option<Tz>) -> Result<(), ConfigError> {
        self.edit(|doc| {
            match tz {
                Some(tz) => doc["timezone"] = toml_edit::value(tz.name()),
                None => {
                    doc.remove("timezone");
                }
            }
            Ok(())
        })
    }

    /// Price overrides in config.toml: model → field → USD per million tokens.
    pub fn price_overrides(&self) -> Result<Vec<(String, PriceFields)>, ConfigError> {
        let doc = self.parse()?;
        let mut out = Vec::new();
        if let Some(models) = doc.get("pricing").and_then(|p| p.get("models")).and_then(|m| m.as_table_like())
        {
            for (name, v) in models.iter() {
                let mut fields = Vec::new();
                if let Some(t) = v.as_table_like() {
                    for (k, x) in t.iter() {
                        let n = x.as_float().or_else(|| x.as_integer().map(|i| i as f64));
                        if let Some(n) = n {
                            fields.push((k.to_string(), n));
                        }
                    }
                }
                out.push((name.to_string(), fields));
            }
        }
        Ok(out)
    }

    /// Sets the override of `model` (USD per million tokens per field), or removes it with `None`.
    /// The result is checked with the price table's own parser before it is written, so a file
    /// that the CLI would refuse is never written.
    pub fn set_price_override(
        &self,
        model: &str,
        fields: Option<&[(String, f64)]>,
    ) -> Result<(), ConfigError> {
        if model.trim().is_empty() {
            return Err(ConfigError::Invalid(self.config(), "a price override needs a model name".into()));
        }
        self.edit(|doc| {
            if !doc.contains_key("pricing") {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                doc["pricing"] = toml_edit::Item::Table(t);
            }
            let pricing = doc["pricing"].as_table_mut().ok_or("`pricing` must be a table")?;
            if !pricing.contains_key("models") {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                pricing["models"] = toml_edit::Item::Table(t);
            }
            let models = pricing["models"].as_table_mut().ok_or("`pricing.models` must be a table")?;
            match fields {
                None => {
                    models.remove(model);
                }
                Some(fields) => {
                    let mut t = toml_edit::Table::new();
                    for (k, v) in fields {
                        if !PRICE_FIELDS.contains(&k.as_str()) {
                            return Err(format!("unknown price field `{k}`"));
                        }
                        if !v.is_finite() || *v < 0.0 {
                            return Err(format!("price `{k}` must be a number ≥ 0"));
                        }
                        t[k.as_str()] = toml_edit::value(*v);
                    }
                    models[model] = toml_edit::Item::Table(t);
                }
            }
            Ok(())
        })
    }

    /// `[sources.<id>]`: which sources are off, and the extra folders of each. An unknown id
    /// or a value of the wrong type is an error naming it.
    pub fn source_settings(&self, env: &Env) -> Result<SourceSettings, ConfigError> {
        let doc = self.parse()?;
        let invalid = |m: String| ConfigError::Invalid(self.config(), m);
        let mut out = SourceSettings::default();
        let Some(item) = doc.get("sources") else { return Ok(out) };
        let table = item.as_table_like().ok_or_else(|| invalid("`sources` must be a table".into()))?;
        let known: Vec<&str> = source::all().iter().map(|s| s.id()).collect();
        for (id, v) in table.iter() {
            if !known.contains(&id) {
                return Err(invalid(format!(
                    "unknown source `{id}` in [sources] (known: {})",
                    known.join(", ")
                )));
            }
            let t = v.as_table_like().ok_or_else(|| invalid(format!("`sources.{id}` must be a table")))?;
            for (k, x) in t.iter() {
                match k {
                    "enabled" => {
                        let on = x.as_bool().ok_or_else(|| {
                            invalid(format!("`sources.{id}.enabled` must be true or false"))
                        })?;
                        if !on {
                            out.disabled.insert(id.to_string());
                        }
                    }
                    "paths" => {
                        let list = x.as_array().ok_or_else(|| {
                            invalid(format!("`sources.{id}.paths` must be a list of folders"))
                        })?;
                        let mut paths = Vec::new();
                        for p in list.iter() {
                            let p = p.as_str().ok_or_else(|| {
                                invalid(format!("`sources.{id}.paths` must be a list of folders"))
                            })?;
                            paths.push(expand_path(p, &env.home));
                        }
                        out.paths.insert(id.to_string(), paths);
                    }
                    _ => return Err(invalid(format!("unknown setting `sources.{id}.{k}` (enabled, paths)"))),
                }
            }
        }
        Ok(out)
    }

    /// `[backup]`: where snapshots go (`dir`, default `<data dir>/snapshots`) and how many are kept
    /// (`keep_daily`, default 7; `keep_weekly`, default 4).
    pub fn backup_settings(&self, env: &Env) -> Result<crate::backup::BackupSettings, ConfigError> {
        let doc = self.parse()?;
        let invalid = |m: String| ConfigError::Invalid(self.config(), m);
        let mut out =
            crate::backup::BackupSettings { dir: self.root.join("snapshots"), keep_daily: 7, keep_weekly: 4 };
        let Some(item) = doc.get("backup") else { return Ok(out) };
        let t = item.as_table_like().ok_or_else(|| invalid("`backup` must be a table".into()))?;
        for (k, x) in t.iter() {
            let count = || -> Result<u32, ConfigError> {
                x.as_integer()
                    .filter(|n| (0..=10_000).contains(n))
                    .map(|n| n as u32)
                    .ok_or_else(|| invalid(format!("`backup.{k}` must be a whole number from 0 to 10000")))
            };
            match k {
                "dir" => {
                    let p = x.as_str().ok_or_else(|| invalid("`backup.dir` must be a folder".into()))?;
                    out.dir = expand_path(p, &env.home);
                }
                "keep_daily" => out.keep_daily = count()?,
                "keep_weekly" => out.keep_weekly = count()?,
                _ => {
                    return Err(invalid(format!(
                        "unknown setting `backup.{k}` (dir, keep_daily, keep_weekly)"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Sets one source's `enabled` and `paths` in config.toml (an enabled source without paths
    /// loses its table), keeping everything else.
    pub fn set_source(&self, id: &str, enabled: bool, paths: &[String]) -> Result<(), ConfigError> {
        if !source::all().iter().any(|s| s.id() == id) {
            return Err(ConfigError::Invalid(self.config(), format!("unknown source `{id}`")));
        }
        let paths: Vec<&str> = paths.iter().map(|p| p.trim()).filter(|p| !p.is_empty()).collect();
        self.edit(|doc| {
            if !doc.contains_key("sources") {
                let mut t = toml_edit::Table::new();
                t.set_implicit(true);
                doc["sources"] = toml_edit::Item::Table(t);
            }
            let sources = doc["sources"].as_table_mut().ok_or("`sources` must be a table")?;
            if enabled && paths.is_empty() {
                sources.remove(id);
                return Ok(());
            }
            if !sources.contains_key(id) {
                sources[id] = toml_edit::Item::Table(toml_edit::Table::new());
            }
            let t = sources[id].as_table_mut().ok_or_else(|| format!("`sources.{id}` must be a table"))?;
            if enabled {
                t.remove("enabled");
            } else {
                t["enabled"] = toml_edit::value(false);
            }
            if paths.is_empty() {
                t.remove("paths");
            } else {
                let mut a = toml_edit::Array::new();
                for p in &paths {
                    a.push(*p);
                }
                t["paths"] = toml_edit::value(a);
            }
            Ok(())
        })
    }

    fn parse(&self) -> Result<toml_edit::DocumentMut, ConfigError> {
        let text = self.config_text()?;
        // Checked by the `toml` parser first: toml_edit 0.23 panics ("all items have spans") on
        // some malformed documents instead of returning its error (found by the config fuzz
        // target: crates/core/tests/data/toml_edit_panics_on_this.toml). A document `toml`
        // refuses never reaches it.
        text.parse::<toml::Table>().map_err(|e| ConfigError::Invalid(self.config(), e.to_string()))?;
        text.parse::<toml_edit::DocumentMut>().map_err(|e| ConfigError::Invalid(self.config(), e.to_string()))
    }

    /// Applies `f` to config.toml and writes it back atomically (temp file + rename), after
    /// checking the price table still accepts it.
    pub(crate) fn edit(
        &self,
        f: impl FnOnce(&mut toml_edit::DocumentMut) -> Result<(), String>,
    ) -> Result<(), ConfigError> {
        let mut doc = self.parse()?;
        f(&mut doc).map_err(|m| ConfigError::Invalid(self.config(), m))?;
        let text = doc.to_string();
        PriceTable::embedded()
            .apply_overrides(&text)
            .map_err(|e| ConfigError::Invalid(self.config(), e.to_string()))?;
        std::fs::create_dir_all(&self.root).map_err(|e| ConfigError::Io(self.root.clone(), e))?;
        let tmp = self.root.join(".config.toml.tmp");
        std::fs::write(&tmp, text).map_err(|e| ConfigError::Io(tmp.clone(), e))?;
        std::fs::rename(&tmp, self.config()).map_err(|e| ConfigError::Io(self.config(), e))
    }
}

fn expand_path(p: &str, home: &Path) -> PathBuf {
    let p = p.trim();
    if p == "~" {
        home.to_path_buf()
    } else if let Some(rest) = p.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(p)
    }
}

/// An IANA zone, or a POSIX fixed-offset form (`UTC+3`, `<+0530>-5`, `EST5`; POSIX counts hours
/// west of Greenwich, so `UTC+3` is three hours behind UTC) as the `Etc/GMT±N` zone it is.
pub fn parse_tz(s: &str) -> Result<Tz, String> {
    let t = s.trim().trim_start_matches(':');
    t.parse::<Tz>().ok().or_else(|| posix_fixed(t)).ok_or_else(|| {
        format!("'{s}' is not an IANA time zone (for example Europe/Berlin or UTC) or a POSIX offset (UTC+3)")
    })
}

/// `NAME[+|-]H[:00]` (NAME: 3+ letters or `<…>`), with no daylight-saving part, as `Etc/GMT±H`.
fn posix_fixed(s: &str) -> Option<Tz> {
    let rest = if let Some(r) = s.strip_prefix('<') {
        r.split_once('>')?.1
    } else {
        let n = s.find(|c: char| !c.is_ascii_alphabetic())?;
        if n < 3 {
            return None;
        }
        &s[n..]
    };
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => ('+', &rest[1..]),
        b'-' => ('-', &rest[1..]),
        _ => ('+', rest),
    };
    let (h, m) = digits.split_once(':').unwrap_or((digits, "0"));
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|b| b.is_ascii_digit()) || m.parse::<u32>().ok()? != 0 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    if h == 0 {
        return Some(Tz::UTC);
    }
    // Etc/GMT+N is N hours west, as in POSIX; the zone database has -14 to +12.
    if (sign == '+' && h > 12) || h > 14 {
        return None;
    }
    format!("Etc/GMT{sign}{h}").parse().ok()
}

/// The system's time zone: `TZ` from `env`, else what the OS says, else UTC.
pub fn system_tz(env: &Env) -> Tz {
    system_tz_checked(env).0
}

/// [`system_tz`], with a warning when `TZ` is set to something that is neither an IANA zone
/// nor a POSIX fixed offset (then the OS's zone is used, not UTC).
pub fn system_tz_checked(env: &Env) -> (Tz, Option<String>) {
    let os = || iana_time_zone::get_timezone().ok().and_then(|s| s.parse::<Tz>().ok()).unwrap_or(Tz::UTC);
    match env.var("TZ").filter(|s| !s.trim().is_empty()) {
        None => (os(), None),
        Some(s) => match parse_tz(s) {
            Ok(tz) => (tz, None),
            Err(_) => {
                let tz = os();
                (tz, Some(format!("TZ='{s}' is not a time zone Tokenworth knows; using the system's, {tz}")))
            }
        },
    }
}

/// The zone reports use: an explicit choice, else config.toml's, else the system's.
pub fn effective_tz(explicit: Option<Tz>, data: &DataDir, env: &Env) -> Result<Tz, ConfigError> {
    Ok(effective_tz_checked(explicit, data, env)?.0)
}

/// [`effective_tz`], with the warning of [`system_tz_checked`] when the system's zone is used.
pub fn effective_tz_checked(
    explicit: Option<Tz>,
    data: &DataDir,
    env: &Env,
) -> Result<(Tz, Option<String>), ConfigError> {
    if let Some(tz) = explicit {
        return Ok((tz, None));
    }
    Ok(match data.configured_timezone()? {
        Some(tz) => (tz, None),
        None => system_tz_checked(env),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> (tempfile::TempDir, DataDir) {
        let t = tempfile::tempdir().unwrap();
        let d = DataDir { root: t.path().join("data") };
        (t, d)
    }

    #[test]
    fn a_saved_price_table_is_used_with_overrides_and_a_bad_one_falls_back() {
        let (_t, d) = dir();
        let shipped = PriceTable::embedded();
        let loaded = d.load_price_table().unwrap();
        assert_eq!((loaded.file, loaded.warning, loaded.table.version()), (None, None, shipped.version()));

        let json = r#"{"only-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}"#;
        let path = d.save_price_table(&PriceTable::from_json(json, "saved-1").unwrap()).unwrap();
        std::fs::write(d.config(), "[pricing.models.\"mine\"]\ninput = 1.0\noutput = 2.0\n").unwrap();
        let loaded = d.load_price_table().unwrap();
        assert_eq!((loaded.file.as_deref(), loaded.warning), (Some(path.as_path()), None));
        assert_eq!((loaded.table.version(), loaded.table.len()), ("saved-1", 1));
        assert!(loaded.table.resolve("mine").is_some() && loaded.table.resolve("only-model").is_some());
        assert!(
            loaded.table.resolve("claude-sonnet-4-5").is_none(),
            "the saved table replaces the shipped one"
        );
        // No temp file is left beside it.
        let names: Vec<_> = std::fs::read_dir(&d.root).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");

        std::fs::write(&path, "tokenworth-prices 2\nE\tbroken\n").unwrap();
        let loaded = d.load_price_table().unwrap();
        assert_eq!((loaded.file, loaded.table.version()), (None, shipped.version()));
        let w = loaded.warning.expect("a warning");
        assert!(w.contains(&*path.to_string_lossy()) && w.contains(shipped.version()), "{w}");
        assert!(loaded.table.resolve("mine").is_some(), "overrides still apply");
    }

    #[test]
    fn posix_fixed_offsets_are_zones_and_anything_else_is_refused() {
        assert_eq!(parse_tz("UTC+3").unwrap().name(), "Etc/GMT+3");
        assert_eq!(parse_tz("<+0530>-5").unwrap().name(), "Etc/GMT-5");
        assert_eq!(parse_tz("EST5").unwrap().name(), "Etc/GMT+5");
        assert_eq!(parse_tz(":UTC0").unwrap(), Tz::UTC);
        assert_eq!(parse_tz("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        for bad in ["Mars/Olympus", "IST-5:30", "CET-1CEST,M3.5.0,M10.5.0/3", "UT+3", "UTC+13", ""] {
            assert!(parse_tz(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_document_toml_edit_panics_on_is_an_error_for_every_reader_and_edit() {
        // Found by the config fuzz target: toml_edit 0.23 panicked on it.
        let bytes = include_bytes!("../tests/data/toml_edit_panics_on_this.toml");
        let (_t, d) = dir();
        std::fs::create_dir_all(&d.root).unwrap();
        std::fs::write(d.config(), bytes).unwrap();
        assert!(matches!(d.configured_timezone(), Err(ConfigError::Invalid(..))));
        assert!(d.price_overrides().is_err());
        assert!(d.set_timezone(Some(Tz::Europe__Berlin)).is_err());
        assert!(d.set_price_override("b", Some(&[("input".into(), 1.0)])).is_err());
        assert_eq!(std::fs::read(d.config()).unwrap(), bytes, "config.toml left as it was");
    }

    #[test]
    fn edits_keep_comments_and_round_trip() {
        let (_t, d) = dir();
        std::fs::create_dir_all(&d.root).unwrap();
        std::fs::write(d.config(), "# mine\n[pricing.models.\"a\"]\ninput = 1.0 # note\noutput = 2.0\n")
            .unwrap();
        d.set_timezone(Some(Tz::Europe__Berlin)).unwrap();
        d.set_price_override("b", Some(&[("input".into(), 2.5), ("output".into(), 10.0)])).unwrap();
        let text = d.config_text().unwrap();
        assert!(text.contains("# mine") && text.contains("# note"), "{text}");
        assert_eq!(d.configured_timezone().unwrap(), Some(Tz::Europe__Berlin));
        let o = d.price_overrides().unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[1], ("b".to_string(), vec![("input".into(), 2.5), ("output".into(), 10.0)]));
        assert!(d.price_table().unwrap().resolve("b").is_some());
        d.set_price_override("a", None).unwrap();
        d.set_timezone(None).unwrap();
        assert_eq!(d.price_overrides().unwrap().len(), 1);
        assert_eq!(d.configured_timezone().unwrap(), None);
    }

    #[test]
    fn sources_are_turned_off_and_given_folders() {
        let (t, d) = dir();
        let env = Env::with_home(t.path());
        assert_eq!(d.source_settings(&env).unwrap(), SourceSettings::default());
        std::fs::create_dir_all(&d.root).unwrap();
        std::fs::write(d.config(), "# keep me\ntimezone = \"UTC\"\n").unwrap();
        d.set_source("codex", false, &["~/more".into(), " ".into()]).unwrap();
        let s = d.source_settings(&env).unwrap();
        assert!(!s.is_enabled("codex") && s.is_enabled("claude-code"));
        assert_eq!(s.paths["codex"], vec![t.path().join("more")]);
        assert!(s.enabled().iter().all(|x| x.id() != "codex"));
        let codex = s.all().into_iter().find(|x| x.id() == "codex").unwrap();
        assert!(codex.roots(&env).contains(&t.path().join("more")));
        assert!(d.config_text().unwrap().contains("# keep me"));
        d.set_source("codex", true, &[]).unwrap();
        assert_eq!(d.source_settings(&env).unwrap(), SourceSettings::default());
        assert!(d.set_source("nope", false, &[]).is_err());
        for bad in [
            "[sources.nope]\nenabled = false\n",
            "[sources.codex]\nenabled = \"no\"\n",
            "[sources.codex]\npaths = \"/x\"\n",
            "[sources.codex]\nenable = false\n",
        ] {
            std::fs::write(d.config(), bad).unwrap();
            let e = d.source_settings(&env).unwrap_err().to_string();
            assert!(e.contains("sources"), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_edits_write_nothing() {
        let (_t, d) = dir();
        assert!(d.set_price_override("x", Some(&[("inptu".into(), 1.0)])).is_err());
        assert!(d.set_price_override("x", Some(&[("input".into(), -1.0)])).is_err());
        assert!(d.set_price_override(" ", Some(&[("input".into(), 1.0)])).is_err());
        assert!(!d.config().exists());
        std::fs::create_dir_all(&d.root).unwrap();
        std::fs::write(d.config(), "timezone = \"Mars/Olympus\"\n").unwrap();
        assert!(d.configured_timezone().is_err());
        std::fs::write(d.config(), "not toml [").unwrap();
        assert!(d.set_timezone(None).is_err());
        assert_eq!(std::fs::read_to_string(d.config()).unwrap(), "not toml [");
    }
}
