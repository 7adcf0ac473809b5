//! config.toml as every reader of it takes it (time zone, price overrides, sources, backup, the
//! price table with overrides applied), the edits that rewrite it, and the saved price table.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenworth_core::config::DataDir;
use tokenworth_core::Env;
use tokenworth_pricing::PriceTable;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::Builder::new().prefix("tokenworth-fuzz-config-").tempdir().unwrap())
}

fuzz_target!(|bytes: &[u8]| {
    let root = dir().path();
    let data = DataDir { root: root.to_path_buf() };
    let env = Env::with_home(root.join("home"));
    tokenworth_fuzz::within_memory_limit(bytes.len(), || {
        let Ok(text) = std::str::from_utf8(bytes) else {
            // Not UTF-8: each reader must say so.
            std::fs::write(data.config(), bytes).unwrap();
            assert!(data.configured_timezone().is_err());
            return;
        };
        // The price table's own parser of the [pricing] section.
        let mut table = PriceTable::embedded();
        let applied = table.apply_overrides(text);
        if applied.is_ok() {
            let _ = table.resolve("claude-sonnet-4-5");
            let _ = table.resolve("my-local-model");
        }
        // The saved table's compact form (a file any program can write).
        if let Some(saved) = PriceTable::from_compact(text, "fuzz") {
            let _ = saved.resolve("gpt-5");
            let _ = saved.to_compact();
        }
        // Every reader of config.toml in the data dir.
        std::fs::write(data.config(), bytes).unwrap();
        let _ = data.configured_timezone();
        let _ = data.price_overrides();
        let _ = data.source_settings(&env);
        let _ = data.backup_settings(&env);
        let loaded = data.load_price_table();
        assert_eq!(loaded.is_ok(), applied.is_ok(), "the data dir and the table disagree on {text:?}");
        // Edits keep a file the price table accepts, or refuse.
        if data.set_price_override("fuzz-model", Some(&[("input".to_string(), 1.5)][..])).is_ok() {
            PriceTable::embedded()
                .apply_overrides(&std::fs::read_to_string(data.config()).unwrap())
                .expect("an edit wrote a config.toml the price table refuses");
        }
        std::fs::write(data.config(), bytes).unwrap();
        let _ = data.set_source("codex", false, &["~/x".into()]);
        std::fs::write(data.config(), bytes).unwrap();
        let _ = data.set_timezone(None);
        let _ = tokenworth_core::config::parse_tz(text);
    });
});
