//! Model names as tools write them, mapped to the names of the price table: provider prefixes
//! (`anthropic/…`, `openrouter/anthropic/…`) are left to the price table's matching, but
//! tool-specific decorations are removed here (`custom:Claude-Opus-4.5-Thinking-[Anthropic]-0`
//! → `claude-opus-4-5`).

/// Normalises a tool-specific model name: strips `custom:`, a bracketed provider (`[Anthropic]`)
/// and a trailing instance number (`-0`), a `-thinking` variant marker, lowercases, turns spaces
/// into `-` (Droid's transcript writes `Claude Opus 4.5 Thinking [Anthropic]`), and turns
/// `.` between digits into `-` (`4.5` → `4-5`), as Anthropic's API ids are written.
pub fn normalize(raw: &str) -> String {
    let mut s = raw.trim();
    if let Some(rest) = s.strip_prefix("custom:") {
        s = rest;
    }
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 && c.is_whitespace() => out.push('-'),
            _ if depth == 0 => out.push(c.to_ascii_lowercase()),
            _ => {}
        }
    }
    // A trailing instance number after a removed bracket: `…-[anthropic]-0` → `…--0`.
    let mut s = out.trim_matches('-').to_string();
    if let Some(i) = s.rfind("--") {
        if s[i + 2..].chars().all(|c| c.is_ascii_digit()) {
            s.truncate(i);
        }
    }
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    for marker in ["-thinking", "-think"] {
        if let Some(i) = s.find(marker) {
            if s[i + marker.len()..].is_empty() || s[i + marker.len()..].starts_with('-') {
                s.replace_range(i..i + marker.len(), "");
            }
        }
    }
    let bytes: Vec<char> = s.chars().collect();
    let mut res = String::with_capacity(s.len());
    for (i, &c) in bytes.iter().enumerate() {
        let between_digits =
            i > 0 && i + 1 < bytes.len() && bytes[i - 1].is_ascii_digit() && bytes[i + 1].is_ascii_digit();
        if c == '.' && between_digits && s.starts_with("claude") {
            res.push('-');
        } else {
            res.push(c);
        }
    }
    res.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn tool_specific_names_map_to_price_table_names() {
        assert_eq!(normalize("custom:Claude-Opus-4.5-Thinking-[Anthropic]-0"), "claude-opus-4-5");
        assert_eq!(normalize("claude-sonnet-4.5"), "claude-sonnet-4-5");
        assert_eq!(normalize("claude-sonnet-4-5-20250929"), "claude-sonnet-4-5-20250929");
        assert_eq!(normalize("gpt-5.1-codex"), "gpt-5.1-codex");
        assert_eq!(normalize("gemini-2.5-pro"), "gemini-2.5-pro");
        assert_eq!(normalize("claude-opus-4-5-thinking"), "claude-opus-4-5");
        assert_eq!(normalize("GLM-4.6"), "glm-4.6");
        assert_eq!(normalize("Claude Opus 4.5 Thinking [Anthropic]"), "claude-opus-4-5");
        assert_eq!(normalize("Claude-Sonnet-4-[Anthropic]"), "claude-sonnet-4");
    }
}
