//! User price overrides from the `[pricing.models."<name>"]` tables of `config.toml`.

use crate::{ModelPrice, PricingError};

const PER_MILLION: f64 = 1_000_000.0;

const FIELDS: [&str; 10] = [
    "input",
    "output",
    "cache_write_5m",
    "cache_write_1h",
    "cache_read",
    "input_above_200k",
    "output_above_200k",
    "cache_write_5m_above_200k",
    "cache_write_1h_above_200k",
    "cache_read_above_200k",
];

/// Parse the override section of a config file. Returns `(model name, price)` pairs in
/// file order. Everything outside `[pricing.models]` is ignored.
pub(crate) fn parse_overrides(config_toml: &str) -> Result<Vec<(String, ModelPrice)>, PricingError> {
    let root: toml::Table = toml::from_str(config_toml).map_err(PricingError::Toml)?;
    let Some(pricing) = root.get("pricing") else {
        return Ok(Vec::new());
    };
    let pricing = pricing.as_table().ok_or_else(|| PricingError::Override {
        path: "pricing".into(),
        message: format!("must be a table, found {}", pricing.type_str()),
    })?;
    let Some(models) = pricing.get("models") else {
        return Ok(Vec::new());
    };
    let models = models.as_table().ok_or_else(|| PricingError::Override {
        path: "pricing.models".into(),
        message: format!("must be a table, found {}", models.type_str()),
    })?;
    let mut out = Vec::with_capacity(models.len());
    for (name, value) in models {
        let path = format!("pricing.models.{}", quote_key(name));
        if name.trim().is_empty() {
            return Err(PricingError::Override { path, message: "model name must not be empty".into() });
        }
        let table = value.as_table().ok_or_else(|| PricingError::Override {
            path: path.clone(),
            message: format!(
                "must be a table like `input = 3.0` / `output = 15.0`, found {}",
                value.type_str()
            ),
        })?;
        out.push((name.clone(), parse_model(&path, table)?));
    }
    Ok(out)
}

fn parse_model(path: &str, t: &toml::Table) -> Result<ModelPrice, PricingError> {
    for key in t.keys() {
        if !FIELDS.contains(&key.as_str()) {
            return Err(PricingError::Override {
                path: format!("{path}.{}", quote_key(key)),
                message: format!("unknown field; expected one of: {}", FIELDS.join(", ")),
            });
        }
    }
    let get = |field: &str| -> Result<Option<f64>, PricingError> {
        let Some(v) = t.get(field) else {
            return Ok(None);
        };
        let err = |message: String| PricingError::Override { path: format!("{path}.{field}"), message };
        let x = match v {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            other => {
                return Err(err(format!(
                    "must be a number (USD per million tokens), found {}",
                    other.type_str()
                )))
            }
        };
        if !x.is_finite() || x < 0.0 {
            return Err(err(format!(
                "must be a finite, non-negative number (USD per million tokens), found {x}"
            )));
        }
        Ok(Some(x / PER_MILLION))
    };
    let required = |field: &str| -> Result<f64, PricingError> {
        get(field)?.ok_or_else(|| PricingError::Override {
            path: format!("{path}.{field}"),
            message: "is required (USD per million tokens)".into(),
        })
    };
    let input = required("input")?;
    let output = required("output")?;
    let input_long = get("input_above_200k")?;
    Ok(ModelPrice {
        input,
        output,
        cache_write_5m: get("cache_write_5m")?.unwrap_or(input * 1.25),
        cache_write_1h: get("cache_write_1h")?.unwrap_or(input * 2.0),
        cache_read: get("cache_read")?.unwrap_or(input * 0.1),
        input_long,
        output_long: get("output_above_200k")?,
        cache_write_5m_long: get("cache_write_5m_above_200k")?.or(input_long.map(|p| p * 1.25)),
        cache_write_1h_long: get("cache_write_1h_above_200k")?.or(input_long.map(|p| p * 2.0)),
        cache_read_long: get("cache_read_above_200k")?.or(input_long.map(|p| p * 0.1)),
    })
}

/// Render a TOML key the way a user would write it in the path of an error message.
fn quote_key(key: &str) -> String {
    let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}
