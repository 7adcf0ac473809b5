//! Typed, lenient deserialisation of LiteLLM's `model_prices_and_context_window.json`.
//!
//! Only the handful of fields we need are read; serde skips everything else without
//! building values. A field of an unexpected type (string, object, null…) is treated as
//! absent instead of failing the whole table, and a non-object top-level value is skipped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::grouping::{provider_tier, Record};
use crate::ModelPrice;

#[derive(Default)]
struct RawEntry {
    input_cost_per_token: Option<f64>,
    output_cost_per_token: Option<f64>,
    cache_creation_input_token_cost: Option<f64>,
    cache_creation_input_token_cost_above_1hr: Option<f64>,
    cache_read_input_token_cost: Option<f64>,
    input_cost_per_token_above_200k_tokens: Option<f64>,
    output_cost_per_token_above_200k_tokens: Option<f64>,
    cache_creation_input_token_cost_above_200k_tokens: Option<f64>,
    cache_creation_input_token_cost_above_1hr_above_200k_tokens: Option<f64>,
    cache_read_input_token_cost_above_200k_tokens: Option<f64>,
    litellm_provider: Option<String>,
    /// `provider_specific_entry.fast`: the fast-mode multiplier on the whole price.
    fast: Option<f64>,
}

/// Field names we read; everything else is `Other` and skipped.
enum Field {
    Input,
    Output,
    CacheWrite,
    CacheWrite1h,
    CacheRead,
    InputLong,
    OutputLong,
    CacheWriteLong,
    CacheWrite1hLong,
    CacheReadLong,
    Provider,
    ProviderSpecific,
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, v: &str) -> Result<Field, E> {
                Ok(match v {
                    "input_cost_per_token" => Field::Input,
                    "output_cost_per_token" => Field::Output,
                    "cache_creation_input_token_cost" => Field::CacheWrite,
                    "cache_creation_input_token_cost_above_1hr" => Field::CacheWrite1h,
                    "cache_read_input_token_cost" => Field::CacheRead,
                    "input_cost_per_token_above_200k_tokens" => Field::InputLong,
                    "output_cost_per_token_above_200k_tokens" => Field::OutputLong,
                    "cache_creation_input_token_cost_above_200k_tokens" => Field::CacheWriteLong,
                    "cache_creation_input_token_cost_above_1hr_above_200k_tokens" => Field::CacheWrite1hLong,
                    "cache_read_input_token_cost_above_200k_tokens" => Field::CacheReadLong,
                    "litellm_provider" => Field::Provider,
                    "provider_specific_entry" => Field::ProviderSpecific,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

/// Reads an entry object; a repeated field keeps its last value (as Python's `json` does).
fn read_entry<'de, A: MapAccess<'de>>(mut map: A) -> Result<RawEntry, A::Error> {
    let mut e = RawEntry::default();
    while let Some(field) = map.next_key::<Field>()? {
        let slot = match field {
            Field::Input => &mut e.input_cost_per_token,
            Field::Output => &mut e.output_cost_per_token,
            Field::CacheWrite => &mut e.cache_creation_input_token_cost,
            Field::CacheWrite1h => &mut e.cache_creation_input_token_cost_above_1hr,
            Field::CacheRead => &mut e.cache_read_input_token_cost,
            Field::InputLong => &mut e.input_cost_per_token_above_200k_tokens,
            Field::OutputLong => &mut e.output_cost_per_token_above_200k_tokens,
            Field::CacheWriteLong => &mut e.cache_creation_input_token_cost_above_200k_tokens,
            Field::CacheWrite1hLong => &mut e.cache_creation_input_token_cost_above_1hr_above_200k_tokens,
            Field::CacheReadLong => &mut e.cache_read_input_token_cost_above_200k_tokens,
            Field::Provider => {
                e.litellm_provider = map.next_value::<LenientString>()?.0;
                continue;
            }
            Field::ProviderSpecific => {
                e.fast = map.next_value::<ProviderSpecific>()?.fast;
                continue;
            }
            Field::Other => {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
        };
        *slot = map.next_value::<LenientF64>()?.0;
    }
    Ok(e)
}

/// Parse the table JSON into priced records, sorted by key. Entries without both an
/// input and an output price, and `sample_spec`, are skipped.
pub(crate) fn parse_table(json: &str) -> Result<Vec<Record>, serde_json::Error> {
    let raw: HashMap<String, MaybeEntry> = serde_json::from_str(json)?;
    let mut out = Vec::with_capacity(raw.len());
    for (key, entry) in raw {
        if key == "sample_spec" {
            continue;
        }
        let Some(e) = entry.0 else { continue };
        if let Some(price) = to_price(&e) {
            let tier = provider_tier(e.litellm_provider.as_deref().unwrap_or(""));
            out.push(Record { key: key.into(), price, tier, fast: valid_multiplier(e.fast) });
        }
    }
    out.sort_unstable_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

/// A usable price: finite and non-negative.
fn valid(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite() && *v >= 0.0)
}

/// A usable multiplier: finite and positive.
pub(crate) fn valid_multiplier(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite() && *v > 0.0)
}

fn to_price(e: &RawEntry) -> Option<ModelPrice> {
    let input = valid(e.input_cost_per_token)?;
    let output = valid(e.output_cost_per_token)?;
    let input_long = valid(e.input_cost_per_token_above_200k_tokens);
    Some(ModelPrice {
        input,
        output,
        cache_write_5m: valid(e.cache_creation_input_token_cost).unwrap_or(input * 1.25),
        cache_write_1h: valid(e.cache_creation_input_token_cost_above_1hr).unwrap_or(input * 2.0),
        cache_read: valid(e.cache_read_input_token_cost).unwrap_or(input * 0.1),
        input_long,
        output_long: valid(e.output_cost_per_token_above_200k_tokens),
        cache_write_5m_long: valid(e.cache_creation_input_token_cost_above_200k_tokens),
        cache_write_1h_long: valid(e.cache_creation_input_token_cost_above_1hr_above_200k_tokens)
            .or(input_long.map(|p| p * 2.0)),
        cache_read_long: valid(e.cache_read_input_token_cost_above_200k_tokens),
    })
}

/// Top-level value: an entry object, or anything else (ignored).
struct MaybeEntry(Option<RawEntry>);

impl<'de> Deserialize<'de> for MaybeEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MaybeEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a model entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MaybeEntry, A::Error> {
                read_entry(map).map(|e| MaybeEntry(Some(e)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeEntry, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(MaybeEntry(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<MaybeEntry, E> {
                Ok(MaybeEntry(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<MaybeEntry, E> {
                Ok(MaybeEntry(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<MaybeEntry, E> {
                Ok(MaybeEntry(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<MaybeEntry, E> {
                Ok(MaybeEntry(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<MaybeEntry, E> {
                Ok(MaybeEntry(None))
            }
            fn visit_unit<E>(self) -> Result<MaybeEntry, E> {
                Ok(MaybeEntry(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `provider_specific_entry`: only its `fast` multiplier is read; a value that is not an
/// object, or a `fast` that is not a number, is absent.
#[derive(Default)]
struct ProviderSpecific {
    fast: Option<f64>,
}

impl<'de> Deserialize<'de> for ProviderSpecific {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ProviderSpecific;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("provider-specific settings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProviderSpecific, A::Error> {
                let mut p = ProviderSpecific::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if key == "fast" {
                        p.fast = map.next_value::<LenientF64>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(p)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ProviderSpecific, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ProviderSpecific::default())
            }
            fn visit_bool<E>(self, _: bool) -> Result<ProviderSpecific, E> {
                Ok(ProviderSpecific::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<ProviderSpecific, E> {
                Ok(ProviderSpecific::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<ProviderSpecific, E> {
                Ok(ProviderSpecific::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<ProviderSpecific, E> {
                Ok(ProviderSpecific::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<ProviderSpecific, E> {
                Ok(ProviderSpecific::default())
            }
            fn visit_unit<E>(self) -> Result<ProviderSpecific, E> {
                Ok(ProviderSpecific::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// A number (or a numeric string); anything else becomes `None`.
struct LenientF64(Option<f64>);

impl<'de> Deserialize<'de> for LenientF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_f64(d).map(LenientF64)
    }
}

/// A string; anything else becomes `None`.
struct LenientString(Option<String>);

impl<'de> Deserialize<'de> for LenientString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_string(d).map(LenientString)
    }
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a price")
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().parse().ok())
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}
