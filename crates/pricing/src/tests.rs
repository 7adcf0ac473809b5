use super::*;

const EPS: f64 = 1e-12;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < EPS
}

fn embedded() -> &'static PriceTable {
    static TABLE: OnceLock<PriceTable> = OnceLock::new();
    TABLE.get_or_init(PriceTable::embedded)
}

// ---------------------------------------------------------------------------------
// Embedded snapshot

#[test]
fn embedded_parses_with_many_models() {
    let t = embedded();
    assert!(t.len() > 500, "only {} models", t.len());
    assert_eq!(t.version(), "litellm-1.109.1");
    assert!(compact::read(EMBEDDED_COMPACT).is_some());
}

#[test]
fn embedded_date_is_a_date_and_the_one_the_data_readme_gives() {
    let d = embedded_date();
    let parts: Vec<&str> = d.split('-').collect();
    assert_eq!(parts.len(), 3, "data/DATE is not YYYY-MM-DD: {d:?}");
    assert!(
        parts.iter().zip([4, 2, 2]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_digit())),
        "{d:?}"
    );
    let (y, m, day): (u32, u32, u32) =
        (parts[0].parse().unwrap(), parts[1].parse().unwrap(), parts[2].parse().unwrap());
    assert!((2020..2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&day), "{d:?}");
    let readme = include_str!("../data/README.md");
    assert!(
        readme.contains(&format!("uploaded {d}")),
        "data/README.md does not give {d} as the snapshot's date"
    );
}

#[test]
fn embedded_compact_matches_source_json() {
    // The compact form built by build.rs must carry exactly what the JSON says, and its
    // precomputed index must equal the one computed at run time.
    let json = include_str!("../data/litellm_prices.json");
    let from_json = PriceTable::from_json(json, "x").expect("shipped JSON parses");
    let (records, groups) = compact::read(EMBEDDED_COMPACT).expect("compact parses");
    assert_eq!(records, from_json.records);
    assert_eq!(groups, grouping::build(&from_json.records));
    // And the compact writer/reader round-trips.
    let text = compact::write(&records, &groups);
    assert_eq!(compact::read(&text), Some((records, groups)));
}

#[test]
fn price_table_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<PriceTable>();
}

// ---------------------------------------------------------------------------------
// Name resolution against the embedded snapshot

#[test]
fn resolves_known_names() {
    // (model as logged, expected table key, expected input USD per million tokens)
    let cases: &[(&str, &str, f64)] = &[
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", 3.0),
        ("claude-sonnet-4-5", "claude-sonnet-4-5", 3.0),
        ("Claude-Sonnet-4-5", "claude-sonnet-4-5", 3.0),
        ("claude-sonnet-4.5", "claude-sonnet-4-5", 3.0),
        ("claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-5-20250929", 3.0),
        ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5-20250929", 3.0),
        // Exact keys win even when a normalised sibling is cheaper.
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", 3.3),
        // Not in the snapshot under a first-party key: the Bedrock list price is used.
        ("anthropic/claude-opus-4-1", "anthropic.claude-opus-4-1-20250805-v1:0", 15.0),
        ("claude-3-5-haiku-20241022", "anthropic.claude-3-5-haiku-20241022-v1:0", 0.8),
        ("claude-opus-4-20250514", "anthropic.claude-opus-4-20250514-v1:0", 15.0),
        // The dated key with the same date is preferred over other snapshots.
        ("claude-3-7-sonnet-20250219", "anthropic.claude-3-7-sonnet-20250219-v1:0", 3.0),
        ("claude-haiku-4-5-20251001", "claude-haiku-4-5-20251001", 1.0),
        ("gpt-5", "gpt-5", 1.25),
        ("openai/gpt-5", "gpt-5", 1.25),
        ("acme-proxy/openai/gpt-5", "gpt-5", 1.25),
        ("gpt-5-codex", "gpt-5-codex", 1.25),
        ("gpt-5.1-codex", "gpt-5.1-codex", 1.25),
        ("gpt-5.2-codex", "gpt-5.2-codex", 1.75),
        // Containment: longest key at a boundary.
        ("gpt-5.3-codex-spark", "gpt-5.3-codex", 1.75),
        ("openrouter/openai/gpt-5-codex-high", "gpt-5-codex", 1.25),
        ("custom:Claude-Opus-4.5-Thinking-[Anthropic]-0", "claude-opus-4-5", 5.0),
    ];
    let t = embedded();
    for &(model, key, input) in cases {
        assert_eq!(t.resolve_key(model).as_deref(), Some(key), "resolve_key({model:?})");
        let p = t.resolve(model).unwrap_or_else(|| panic!("{model:?} unpriced"));
        assert!(close(p.input * 1e6, input), "{model:?}: input {} /Mtok", p.input * 1e6);
    }
}

#[test]
fn unknown_names_are_unpriced() {
    let t = embedded();
    for model in ["totally-unknown-model", "<synthetic>", "", "   ", "gpt-5-9999", "claude", "gpt", "model"] {
        assert_eq!(t.resolve_key(model), None, "{model:?} should be unpriced");
        assert_eq!(t.resolve(model), None, "{model:?} should be unpriced");
    }
}

#[test]
fn repeated_resolution_is_stable() {
    let t = embedded();
    for _ in 0..3 {
        assert_eq!(t.resolve_key("gpt-5.3-codex-spark").as_deref(), Some("gpt-5.3-codex"));
        assert_eq!(t.resolve("totally-unknown-model"), None);
    }
}

// ---------------------------------------------------------------------------------
// Name resolution rules on a small table

const SMALL: &str = r#"{
    "claude-sonnet-4": {"input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5},
    "gpt-5": {"input_cost_per_token": 1.25e-6, "output_cost_per_token": 1e-5},
    "gpt-5-codex": {"input_cost_per_token": 2e-6, "output_cost_per_token": 2e-5},
    "vertex_ai/gemini-x": {"input_cost_per_token": 5e-6, "output_cost_per_token": 5e-6,
                           "litellm_provider": "vertex_ai-language-models"},
    "gemini/gemini-x": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
                        "litellm_provider": "gemini"},
    "ollama/local-x": {"input_cost_per_token": 0.0, "output_cost_per_token": 0.0,
                       "litellm_provider": "ollama"},
    "together_ai/local-x": {"input_cost_per_token": 1e-7, "output_cost_per_token": 1e-7,
                            "litellm_provider": "together_ai"}
}"#;

#[test]
fn version_suffix_blocks_containment() {
    let t = PriceTable::from_json(SMALL, "test").unwrap();
    // A 4-5 model must not be priced as claude-sonnet-4 when the table lacks 4-5.
    assert_eq!(t.resolve_key("claude-sonnet-4-5"), None);
    assert_eq!(t.resolve_key("claude-sonnet-4-5-20250929"), None);
    assert_eq!(t.resolve_key("gpt-5-9999"), None);
    assert_eq!(t.resolve_key("gpt-5.1"), None);
    // …but a date, or a non-numeric suffix, is fine.
    assert_eq!(t.resolve_key("claude-sonnet-4-20250514").as_deref(), Some("claude-sonnet-4"));
    assert_eq!(t.resolve_key("claude-sonnet-4-20250514-thinking").as_deref(), Some("claude-sonnet-4"));
    assert_eq!(t.resolve_key("gpt-5-2025-08-07").as_deref(), Some("gpt-5"));
    assert_eq!(t.resolve_key("gpt-5-mini-fast").as_deref(), Some("gpt-5"));
    // Longest key wins.
    assert_eq!(t.resolve_key("gpt-5-codex-high").as_deref(), Some("gpt-5-codex"));
    // Boundaries: no match inside a word.
    assert_eq!(t.resolve_key("chatgpt-5"), None);
    assert_eq!(t.resolve_key("gpt-50"), None);
}

#[test]
fn normalised_siblings_prefer_first_party_and_paid() {
    let t = PriceTable::from_json(SMALL, "test").unwrap();
    assert_eq!(t.resolve_key("gemini-x").as_deref(), Some("gemini/gemini-x"));
    assert_eq!(t.resolve_key("openrouter/google/gemini-x").as_deref(), Some("gemini/gemini-x"));
    // A $0 local-runner entry is only used when nothing else matches.
    assert_eq!(t.resolve_key("local-x").as_deref(), Some("together_ai/local-x"));
    // Exact keys still win.
    assert_eq!(t.resolve_key("ollama/local-x").as_deref(), Some("ollama/local-x"));
}

// ---------------------------------------------------------------------------------
// Table parsing and defaults

#[test]
fn from_json_fields_and_defaults() {
    let json = r#"{
        "sample_spec": {"input_cost_per_token": 1.0, "output_cost_per_token": 1.0},
        "basic": {"input_cost_per_token": 2e-6, "output_cost_per_token": 8e-6,
                  "mode": "chat", "supports_vision": true, "tiers": [{"a": 1}]},
        "full": {
            "input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5,
            "cache_creation_input_token_cost": 3.75e-6,
            "cache_creation_input_token_cost_above_1hr": 6e-6,
            "cache_read_input_token_cost": 3e-7,
            "input_cost_per_token_above_200k_tokens": 6e-6,
            "output_cost_per_token_above_200k_tokens": 2.25e-5,
            "cache_creation_input_token_cost_above_200k_tokens": 7.5e-6,
            "cache_creation_input_token_cost_above_1hr_above_200k_tokens": 1.3e-5,
            "cache_read_input_token_cost_above_200k_tokens": 6e-7
        },
        "long-input-only": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                            "input_cost_per_token_above_200k_tokens": 2e-6},
        "odd-types": {"input_cost_per_token": "1e-6", "output_cost_per_token": 2,
                      "cache_read_input_token_cost": null,
                      "cache_creation_input_token_cost": {"nested": [1, 2]}},
        "duplicate-field": {"input_cost_per_token": 9, "input_cost_per_token": 4e-6,
                            "output_cost_per_token": 1e-5},
        "no-output": {"input_cost_per_token": 1e-6},
        "no-input": {"output_cost_per_token": 1e-6},
        "negative": {"input_cost_per_token": -1e-6, "output_cost_per_token": 1e-6},
        "not-an-object": 42,
        "a-list": [1, 2]
    }"#;
    let t = PriceTable::from_json(json, "tiny").unwrap();
    assert_eq!(t.version(), "tiny");
    assert_eq!(t.len(), 5);
    for missing in ["sample_spec", "no-output", "no-input", "negative", "not-an-object", "a-list"] {
        assert_eq!(t.resolve(missing), None, "{missing}");
    }

    let b = t.resolve("basic").unwrap();
    assert!(close(b.input, 2e-6) && close(b.output, 8e-6));
    assert!(close(b.cache_write_5m, 2e-6 * 1.25), "5m write defaults to input × 1.25");
    assert!(close(b.cache_write_1h, 4e-6), "1h write defaults to input × 2");
    assert!(close(b.cache_read, 2e-7), "cache read defaults to input × 0.1");
    assert!(!b.has_long_context_prices());

    let f = t.resolve("full").unwrap();
    let want = ModelPrice {
        input: 3e-6,
        output: 1.5e-5,
        cache_write_5m: 3.75e-6,
        cache_write_1h: 6e-6,
        cache_read: 3e-7,
        input_long: Some(6e-6),
        output_long: Some(2.25e-5),
        cache_write_5m_long: Some(7.5e-6),
        cache_write_1h_long: Some(1.3e-5),
        cache_read_long: Some(6e-7),
    };
    assert_eq!(f, want);

    let l = t.resolve("long-input-only").unwrap();
    assert_eq!(l.input_long, Some(2e-6));
    assert_eq!(l.cache_write_1h_long, Some(4e-6), "1h long defaults to 2 × input_long");
    assert_eq!((l.output_long, l.cache_write_5m_long, l.cache_read_long), (None, None, None));

    let o = t.resolve("odd-types").unwrap();
    assert!(close(o.input, 1e-6) && close(o.output, 2.0));
    assert!(close(o.cache_read, 1e-7) && close(o.cache_write_5m, 1.25e-6));

    assert!(close(t.resolve("duplicate-field").unwrap().input, 4e-6), "last value wins");
}

#[test]
fn from_json_rejects_malformed_json() {
    for bad in ["", "{", "[1, 2]", r#"{"a": {"input_cost_per_token": 1,}}"#] {
        let err = PriceTable::from_json(bad, "x").unwrap_err();
        assert!(matches!(err, PricingError::Json(_)), "{bad:?}: {err:?}");
        assert!(err.to_string().starts_with("invalid price table JSON"), "{err}");
    }
}

// ---------------------------------------------------------------------------------
// Cost

fn sonnet_45_with_long() -> ModelPrice {
    ModelPrice {
        input: 3e-6,
        output: 15e-6,
        cache_write_5m: 3.75e-6,
        cache_write_1h: 6e-6,
        cache_read: 0.3e-6,
        input_long: Some(6e-6),
        output_long: Some(22.5e-6),
        cache_write_5m_long: Some(7.5e-6),
        cache_write_1h_long: Some(12e-6),
        cache_read_long: Some(0.6e-6),
    }
}

#[test]
fn sonnet_45_cost_by_hand() {
    // The Claude Code example request of log-formats §2.
    let small =
        Tokens { input: 12, cache_write_5m: 1_000, cache_write_1h: 2_000, cache_read: 45_000, output: 480 };
    // 12×3 + 1000×3.75 + 2000×6 + 45000×0.3 + 480×15 = 36486 USD per million tokens.
    let want = 0.036_486;
    let embedded_price = embedded().resolve("claude-sonnet-4-5-20250929").unwrap();
    assert!(close(embedded_price.cost(&small, false), want), "{}", embedded_price.cost(&small, false));
    assert!(!is_long_context(&small));
    assert!(close(embedded_price.request_cost(&small), want));

    let p = sonnet_45_with_long();
    let big = Tokens {
        input: 50_000,
        cache_write_5m: 20_000,
        cache_write_1h: 10_000,
        cache_read: 150_000,
        output: 2_000,
    };
    assert!(is_long_context(&big));
    // 50000×3 + 20000×3.75 + 10000×6 + 150000×0.3 + 2000×15 = 360000 /M
    assert!(close(p.cost(&big, false), 0.36), "{}", p.cost(&big, false));
    // 50000×6 + 20000×7.5 + 10000×12 + 150000×0.6 + 2000×22.5 = 705000 /M
    assert!(close(p.cost(&big, true), 0.705), "{}", p.cost(&big, true));
    assert!(close(p.request_cost(&big), 0.705));

    // The embedded Vertex entry carries Anthropic's long-context prices.
    let vertex = embedded().resolve("vertex_ai/claude-sonnet-4-5").unwrap();
    assert_eq!(vertex, p);
}

#[test]
fn long_context_falls_back_to_base_per_field() {
    let mut p = sonnet_45_with_long();
    p.output_long = None;
    p.cache_read_long = None;
    let t = Tokens { input: 1, cache_write_5m: 1, cache_write_1h: 1, cache_read: 1, output: 1 };
    let want = 6e-6 + 7.5e-6 + 12e-6 + 0.3e-6 + 15e-6;
    assert!(close(p.cost(&t, true), want));
}

#[test]
fn long_context_threshold_is_per_prompt() {
    let at = Tokens {
        input: 100_000,
        cache_write_5m: 50_000,
        cache_write_1h: 25_000,
        cache_read: 25_000,
        output: 1_000_000,
    };
    assert!(!is_long_context(&at), "exactly 200k is not above the threshold");
    assert!(is_long_context(&Tokens { input: 100_001, ..at }));
    assert!(is_long_context(&Tokens { cache_read: 200_001, ..Tokens::default() }));
    assert!(!is_long_context(&Tokens { output: 900_000, ..Tokens::default() }));
}

#[test]
fn tokens_add() {
    let a = Tokens { input: 1, cache_write_5m: 2, cache_write_1h: 3, cache_read: 4, output: 5 };
    let mut b = a + a;
    assert_eq!(b, Tokens { input: 2, cache_write_5m: 4, cache_write_1h: 6, cache_read: 8, output: 10 });
    b += Tokens { input: u64::MAX, ..Tokens::default() };
    assert_eq!(b.input, u64::MAX, "saturates");
}

// ---------------------------------------------------------------------------------
// Overrides

const OVERRIDES: &str = r#"
# other settings of config.toml are ignored
[general]
data_dir = "/tmp/x"

[pricing]
mode = "auto"

[pricing.models."my-local-model"]
input = 3.0
output = 15
cache_write_5m = 3.75
cache_write_1h = 6.0
cache_read = 0.3
input_above_200k = 6.0
output_above_200k = 22.5
cache_write_5m_above_200k = 7.5
cache_write_1h_above_200k = 12
cache_read_above_200k = 0.6

[pricing.models.claude-sonnet-4-5]
input = 1.0
output = 2.0

[pricing.models."cheap-long"]
input = 1.0
output = 2.0
input_above_200k = 4.0
"#;

#[test]
fn overrides_parse_and_defaults() {
    let mut t = PriceTable::from_json(SMALL, "test").unwrap();
    t.apply_overrides(OVERRIDES).unwrap();
    assert_eq!(t.resolve("my-local-model"), Some(sonnet_45_with_long()));
    assert_eq!(t.resolve_key("my-local-model").as_deref(), Some("my-local-model"));

    let s = t.resolve("claude-sonnet-4-5").unwrap();
    assert!(close(s.input, 1e-6) && close(s.output, 2e-6));
    assert!(close(s.cache_write_5m, 1.25e-6) && close(s.cache_write_1h, 2e-6));
    assert!(close(s.cache_read, 1e-7));
    assert!(!s.has_long_context_prices());

    let c = t.resolve("cheap-long").unwrap();
    assert_eq!(c.input_long, Some(4e-6));
    assert_eq!(c.output_long, None);
    assert!(close(c.cache_write_5m_long.unwrap(), 5e-6));
    assert!(close(c.cache_write_1h_long.unwrap(), 8e-6));
    assert!(close(c.cache_read_long.unwrap(), 4e-7));
}

#[test]
fn overrides_win_over_table() {
    let mut t = PriceTable::embedded();
    // Cached before the override is applied: the cache must not hide the override.
    assert!(close(t.resolve("claude-sonnet-4-5-20250929").unwrap().input, 3e-6));
    t.apply_overrides(OVERRIDES).unwrap();
    for model in [
        "claude-sonnet-4-5",
        "claude-sonnet-4-5-20250929",
        "anthropic/claude-sonnet-4-5",
        "claude-sonnet-4.5",
        "claude-sonnet-4-5-20250929-thinking",
    ] {
        assert_eq!(t.resolve_key(model).as_deref(), Some("claude-sonnet-4-5"), "{model}");
        assert!(close(t.resolve(model).unwrap().input, 1e-6), "{model}");
    }
    assert_eq!(t.resolve_key("openrouter/acme/my-local-model").as_deref(), Some("my-local-model"));
    // Unrelated models still come from the table.
    assert_eq!(t.resolve_key("gpt-5").as_deref(), Some("gpt-5"));
    // Later calls win for the same name.
    t.apply_overrides("[pricing.models.gpt-5]\ninput = 9\noutput = 9\n").unwrap();
    assert!(close(t.resolve("gpt-5").unwrap().input, 9e-6));
    assert!(close(t.resolve("my-local-model").unwrap().input, 3e-6));
}

#[test]
fn overrides_without_pricing_section_are_a_no_op() {
    let mut t = PriceTable::from_json(SMALL, "test").unwrap();
    t.apply_overrides("").unwrap();
    t.apply_overrides("[general]\nx = 1\n[pricing]\nmode = \"calculate\"\n").unwrap();
    assert_eq!(t.resolve_key("gpt-5").as_deref(), Some("gpt-5"));
}

#[test]
fn override_errors_are_clear() {
    // (config, expected text in the message, whether a valid override may precede it)
    let cases: &[(&str, &str, bool)] = &[
        ("[pricing.models.x]\ninput = \n", "invalid TOML", true),
        ("[pricing.models.x]\ninput = -1.0\noutput = 1.0\n", "pricing.models.x.input", true),
        ("[pricing.models.x]\ninput = nan\noutput = 1.0\n", "finite, non-negative", true),
        ("[pricing.models.x]\ninput = 1.0\noutput = inf\n", "pricing.models.x.output", true),
        ("[pricing.models.x]\ninput = 1.0\n", "pricing.models.x.output`: is required", true),
        ("[pricing.models.x]\noutput = 1.0\n", "pricing.models.x.input`: is required", true),
        ("[pricing.models.x]\ninput = \"3\"\noutput = 1.0\n", "must be a number", true),
        (
            "[pricing.models.\"a/b\"]\ninput = 1\noutput = 1\ninptu = 2\n",
            "pricing.models.\"a/b\".inptu",
            true,
        ),
        ("[pricing.models]\nx = 3\n", "`pricing.models.x`: must be a table", false),
        ("[pricing]\nmodels = 3\n", "`pricing.models`: must be a table", false),
        ("pricing = \"yes\"\n", "`pricing`: must be a table", false),
    ];
    for &(toml, needle, prefixed) in cases {
        let mut t = PriceTable::from_json(SMALL, "test").unwrap();
        let config = if prefixed {
            format!("[pricing.models.gpt-5]\ninput = 7\noutput = 7\n{toml}")
        } else {
            toml.to_owned()
        };
        let err = t.apply_overrides(&config).expect_err(toml);
        let msg = err.to_string();
        assert!(msg.contains(needle), "{toml:?}: {msg:?} lacks {needle:?}");
        // Nothing is applied on error.
        assert!(close(t.resolve("gpt-5").unwrap().input, 1.25e-6), "{toml:?}");
    }
    let mut t = PriceTable::from_json(SMALL, "test").unwrap();
    let err = t.apply_overrides("[pricing.models.x]\ninput = \n").unwrap_err();
    assert!(matches!(err, PricingError::Toml(_)));
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

// ---------------------------------------------------------------------------------
// Fast mode

const FAST: &str = r#"{
    "claude-opus-x": {"input_cost_per_token": 5e-6, "output_cost_per_token": 2.5e-5,
                      "input_cost_per_token_above_200k_tokens": 1e-5,
                      "provider_specific_entry": {"us": 1.1, "fast": 2}},
    "claude-plain-x": {"input_cost_per_token": 3e-6, "output_cost_per_token": 1.5e-5,
                       "provider_specific_entry": {"us": 1.1}},
    "odd-a": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
              "provider_specific_entry": {"fast": "3"}},
    "odd-b": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
              "provider_specific_entry": {"fast": -2}},
    "odd-c": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
              "provider_specific_entry": [1, 2]},
    "odd-d": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6,
              "provider_specific_entry": {"fast": {"x": 1}, "nested": {"fast": 9}}},
    "grok-x": {"input_cost_per_token": 2e-6, "output_cost_per_token": 1e-5,
               "provider_specific_entry": {"fast": 4}},
    "grok-x-fast": {"input_cost_per_token": 2e-7, "output_cost_per_token": 5e-7}
}"#;

fn fast_table() -> PriceTable {
    PriceTable::from_json(FAST, "fast-test").expect("parses")
}

#[test]
fn fast_multiplier_is_read_leniently() {
    let t = fast_table();
    let fast = |key: &str| t.records[t.exact[key]].fast;
    assert_eq!(fast("claude-opus-x"), Some(2.0));
    assert_eq!(fast("claude-plain-x"), None);
    assert_eq!(fast("odd-a"), Some(3.0));
    assert_eq!(fast("odd-b"), None, "a negative multiplier is no multiplier");
    assert_eq!(fast("odd-c"), None);
    assert_eq!(fast("odd-d"), None, "only the entry's own `fast` counts");
}

#[test]
fn embedded_table_carries_fast_multipliers() {
    let t = embedded();
    let opus5 = t.resolve("claude-opus-5").expect("claude-opus-5 priced");
    let fast = t.resolve("claude-opus-5-fast").expect("claude-opus-5-fast priced");
    assert!(close(fast.input, opus5.input * 2.0), "{} vs {}", fast.input, opus5.input);
    assert!(close(fast.output, opus5.output * 2.0));
    assert!(close(fast.cache_read, opus5.cache_read * 2.0));
    assert!(close(fast.cache_write_5m, opus5.cache_write_5m * 2.0));
    assert_eq!(t.resolve_key("claude-opus-5-fast").as_deref(), Some("claude-opus-5-fast (x2)"));
    // No multiplier in this snapshot for Opus 4.6: base price, never an invented one.
    assert_eq!(t.resolve("claude-opus-4-6-fast"), t.resolve("claude-opus-4-6"));
    assert!(t.resolve("claude-opus-4-6").is_some());
}

#[test]
fn fast_requests_cost_the_multiplier_on_every_kind_and_tier() {
    let t = fast_table();
    let base = t.resolve("claude-opus-x").expect("priced");
    let fast = t.resolve("claude-opus-x-fast").expect("priced");
    let short =
        Tokens { input: 1000, cache_write_5m: 200, cache_write_1h: 300, cache_read: 4000, output: 500 };
    let long = Tokens { input: 150_000, cache_read: 60_000, output: 10, ..Tokens::default() };
    for tok in [short, long] {
        let (b, f) = (base.request_cost(&tok), fast.request_cost(&tok));
        assert!(b > 0.0);
        assert!(close(f, 2.0 * b), "{f} != 2 x {b}");
    }
    // The long-context price composes with the multiplier: 1e-5 x 2 per input token.
    assert!(close(fast.request_cost(&long), 2.0 * (150_000.0 * 1e-5 + 60_000.0 * 5e-7 + 10.0 * 2.5e-5)));
    // Spellings that reach the same entry get the same multiplier.
    for name in ["claude-opus-x-FAST", "anthropic/claude-opus-x-fast", "claude-opus-x-20260101-fast"] {
        assert_eq!(t.resolve(name), Some(fast), "{name}");
    }
}

#[test]
fn fast_falls_back_and_yields_to_real_keys() {
    let t = fast_table();
    // No multiplier: base price under the base key.
    assert_eq!(t.resolve("claude-plain-x-fast"), t.resolve("claude-plain-x"));
    assert_eq!(t.resolve_key("claude-plain-x-fast").as_deref(), Some("claude-plain-x"));
    // A key spelled with `-fast` is a model of its own, priced as the table says.
    assert_eq!(t.resolve_key("grok-x-fast").as_deref(), Some("grok-x-fast"));
    assert_eq!(t.resolve_key("xai/grok-x-fast").as_deref(), Some("grok-x-fast"));
    // Unknown stays unknown; a bare suffix is not a model.
    assert_eq!(t.resolve("nothing-fast"), None);
    assert_eq!(t.resolve("-fast"), None);
    assert_eq!(t.resolve("fast"), None);
    // An override is priced as written, with or without the suffix.
    let mut t = fast_table();
    t.apply_overrides("[pricing.models.\"claude-opus-x\"]\ninput = 1.0\noutput = 2.0\n").unwrap();
    assert_eq!(t.resolve("claude-opus-x-fast"), t.resolve("claude-opus-x"));
    t.apply_overrides("[pricing.models.\"claude-opus-x-fast\"]\ninput = 7.0\noutput = 8.0\n").unwrap();
    assert!(close(t.resolve("claude-opus-x-fast").map_or(0.0, |p| p.input), 7e-6));
}

#[test]
fn compact_round_trip_keeps_version_and_multipliers() {
    let t = fast_table();
    let text = t.to_compact();
    assert!(text.starts_with("tokenworth-prices 2\nV\tfast-test\n"), "{}", &text[..40.min(text.len())]);
    let back = PriceTable::from_compact(&text, "other").expect("reads back");
    assert_eq!(back.version(), "fast-test");
    assert_eq!(back.records, t.records);
    for name in ["claude-opus-x-fast", "grok-x-fast", "anthropic/claude-plain-x", "odd-a-fast"] {
        assert_eq!(back.resolve(name), t.resolve(name), "{name}");
        assert_eq!(back.resolve_key(name), t.resolve_key(name), "{name}");
    }
    // Damaged or older texts are refused, never half-read.
    assert!(PriceTable::from_compact(&text[..text.len() / 2], "x").is_none_or(|p| p.len() < t.len()));
    assert!(PriceTable::from_compact(&text.replace("prices 2", "prices 1"), "x").is_none());
    assert!(PriceTable::from_compact(&text.replace("\t2\t", "\tx\t"), "x").is_none());
    assert!(PriceTable::from_compact("", "x").is_none());
    // The embedded text has no version line; the shipped VERSION names it.
    assert_eq!(
        PriceTable::from_compact(EMBEDDED_COMPACT, "v").map(|p| p.version().to_owned()),
        Some("v".into())
    );
}

// ---------------------------------------------------------------------------------
// Checks of a table that is to replace the one in use

/// The shipped JSON with `edit` applied to its object.
fn shipped_with(edit: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(include_str!("../data/litellm_prices.json")).expect("shipped JSON");
    edit(v.as_object_mut().expect("an object"));
    v.to_string()
}

#[test]
fn update_accepts_the_shipped_table() {
    let json = include_str!("../data/litellm_prices.json");
    let t = PriceTable::from_update_json(json, "new").expect("the shipped table is valid");
    assert_eq!(t.records, PriceTable::from_json(json, "x").unwrap().records);
    assert_eq!(t.version(), "new");
}

#[test]
fn update_refuses_what_is_not_a_litellm_table() {
    let invalid = |json: &str| match PriceTable::from_update_json(json, "x") {
        Err(PricingError::Invalid(m)) => m,
        other => panic!("{json:.60}: {other:?}"),
    };
    assert!(matches!(PriceTable::from_update_json("{\"a\": ", "x"), Err(PricingError::Json(_))));
    assert!(matches!(PriceTable::from_update_json("", "x"), Err(PricingError::Json(_))));
    assert!(invalid("[1, 2]").contains("an array"));
    assert!(invalid("{}").contains("only 0 chat models"));
    let few = (0..MIN_CHAT_MODELS - 1)
        .map(|i| format!("\"m{i}\": {{\"mode\": \"chat\", \"input_cost_per_token\": 1e-6, \"output_cost_per_token\": 2e-6}}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(invalid(&format!("{{{few}}}")).contains(&format!("only {} chat", MIN_CHAT_MODELS - 1)));
    let enough = format!("{{{few}, \"last\": {{\"mode\": \"chat\", \"input_cost_per_token\": 1, \"output_cost_per_token\": 1}}}}");
    assert_eq!(PriceTable::from_update_json(&enough, "x").map(|t| t.len()).ok(), Some(MIN_CHAT_MODELS));
}

#[test]
fn update_refuses_negative_prices_anywhere() {
    let set = |key: &'static str, field: &'static str, v: serde_json::Value| {
        shipped_with(move |m| {
            m[key].as_object_mut().unwrap().insert(field.into(), v);
        })
    };
    for (json, names) in [
        (set("gpt-5", "output_cost_per_token", (-1e-5).into()), "`gpt-5`: output_cost_per_token is -0.00001"),
        (set("gpt-5", "input_cost_per_token_flex", "-0.1".into()), "input_cost_per_token_flex"),
        (
            set("claude-sonnet-4-5", "search_context_cost_per_query", serde_json::json!({"low": -1})),
            "search_context_cost_per_query.low",
        ),
    ] {
        match PriceTable::from_update_json(&json, "x") {
            Err(e @ PricingError::Invalid(_)) => assert!(e.to_string().contains(names), "{e}"),
            other => panic!("{names}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------
// The static embedded data against a table parsed from the JSON at run time

#[test]
fn static_embedded_table_resolves_like_the_json() {
    let json = include_str!("../data/litellm_prices.json");
    let t = PriceTable::embedded();
    let from_json = PriceTable::from_json(json, t.version()).expect("shipped JSON parses");
    // The same records and the same name indexes…
    assert_eq!(t.records, from_json.records);
    assert_eq!(t.to_compact(), from_json.to_compact());
    // …so every key of the JSON (priced or not), and names reaching the table by the
    // normalised, dated, containment and fast-mode paths, resolve alike.
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).expect("an object");
    let mut names: Vec<String> = [
        "claude-sonnet-4-5-20250929[1m]",
        "anthropic/claude-opus-4-1-thinking",
        "claude-opus-4-1",
        "gpt-5.3-codex-spark",
        "gemini-2.5-pro",
        "custom:Claude-Opus-4.5-Thinking-[Anthropic]-0",
        "claude-opus-5-fast",
        "totally-unknown-model",
        "gpt-5-9999",
    ]
    .map(String::from)
    .to_vec();
    for key in object.keys() {
        names.extend([
            key.clone(),
            key.to_uppercase(),
            format!("{key}-20250101"),
            format!("acme/{}-2025-08-07", key.replace('-', ".")),
            format!("openrouter/x/{key}-thinking"),
            format!("{key}-fast"),
        ]);
    }
    let mut priced = 0;
    for name in &names {
        assert_eq!(t.resolve_key(name), from_json.resolve_key(name), "resolve_key({name:?})");
        let price = t.resolve(name);
        assert_eq!(price, from_json.resolve(name), "resolve({name:?})");
        priced += usize::from(price.is_some());
    }
    assert!(priced > names.len() / 2, "only {priced} of {} names priced", names.len());
}
