//! Checks of a newer LiteLLM table before it replaces the one in use (`tokenworth prices
//! update`): [`PriceTable::from_json`] is lenient (a bad field is skipped), which is right for
//! the shipped snapshot but would let a damaged or foreign file silently unprice models.

use serde_json::Value;

use crate::PricingError;

/// A LiteLLM table prices thousands of chat models; fewer than this is not one.
pub const MIN_CHAT_MODELS: usize = 100;

/// Refuses `json` unless it is an object of model entries with at least [`MIN_CHAT_MODELS`]
/// chat models priced for input and output, and every price in it (a field whose name holds
/// `cost`, nested objects included) is a finite, non-negative number.
pub(crate) fn check(json: &str) -> Result<(), PricingError> {
    let root: Value = serde_json::from_str(json).map_err(PricingError::Json)?;
    let invalid = |m: String| PricingError::Invalid(m);
    let Value::Object(models) = root else {
        return Err(invalid(format!(
            "the top level is {}, not an object of models (LiteLLM's model_prices_and_context_window.json)",
            kind(&root)
        )));
    };
    let mut chat = 0usize;
    for (key, entry) in &models {
        if key == "sample_spec" {
            continue;
        }
        let Value::Object(fields) = entry else { continue };
        for (field, v) in fields {
            if field.contains("cost") {
                check_price(key, field, v)?;
            }
        }
        let priced = |f: &str| fields.get(f).and_then(price_of).is_some();
        if fields.get("mode").and_then(Value::as_str) == Some("chat")
            && priced("input_cost_per_token")
            && priced("output_cost_per_token")
        {
            chat += 1;
        }
    }
    if chat < MIN_CHAT_MODELS {
        return Err(invalid(format!(
            "only {chat} chat models with input and output prices (at least {MIN_CHAT_MODELS} expected): \
             not LiteLLM's model_prices_and_context_window.json"
        )));
    }
    Ok(())
}

/// A number, or a string holding one (the lenient parser reads both).
fn price_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn check_price(key: &str, path: &str, v: &Value) -> Result<(), PricingError> {
    if let Value::Object(inner) = v {
        for (k, v) in inner {
            check_price(key, &format!("{path}.{k}"), v)?;
        }
        return Ok(());
    }
    match price_of(v) {
        Some(p) if !p.is_finite() || p < 0.0 => Err(PricingError::Invalid(format!(
            "`{key}`: {path} is {v}: prices must be finite and not negative"
        ))),
        _ => Ok(()),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
