//! Inline suppressions for `warning` and `info` findings:
//! `-- migcheck:ignore <rule> -- <reason>` (the next statement, or the statement on the same
//! line) and `-- migcheck:ignore-file <rule> -- <reason>` (the whole file). A reason is required;
//! danger and error findings need a DBA sign-off instead.

use crate::ir::Span;

#[derive(Debug, Clone)]
pub struct Ignore {
    /// Rule id or name as written.
    pub rule: String,
    pub reason: String,
    pub whole_file: bool,
    /// The comment's span.
    pub span: Span,
}

/// Finds the markers in `text` (only in `--` comments).
pub fn markers(text: &str) -> Vec<Ignore> {
    let mut out = Vec::new();
    // almost no file has one: one substring search instead of a pass per line
    if memchr::memmem::find(text.as_bytes(), b"migcheck:ignore").is_none() {
        return out;
    }
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let Some(at) = line.find("migcheck:ignore") else {
            continue;
        };
        let Some(dash) = line[..at].rfind("--") else {
            continue;
        };
        if !line[dash + 2..at].trim().is_empty() {
            continue;
        }
        let rest = &line[at + "migcheck:ignore".len()..];
        let (whole_file, rest) = match rest.strip_prefix("-file") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let rest = rest.trim_end_matches(['\n', '\r']);
        let (rule, reason) = match rest.split_once("--") {
            Some((r, why)) => (r.trim(), why.trim()),
            None => (rest.trim(), ""),
        };
        let end = start + line.trim_end_matches(['\n', '\r']).len();
        out.push(Ignore {
            rule: rule.to_string(),
            reason: reason.to_string(),
            whole_file,
            span: Span::new(start + dash, end),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_markers() {
        let m = markers(
            "SELECT 1; -- migcheck:ignore MC032 -- reviewed\n-- migcheck:ignore-file missing-lock-timeout -- role has one\n-- migcheck:ignore MC014\n",
        );
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].rule.as_str(), m[0].reason.as_str(), m[0].whole_file),
            ("MC032", "reviewed", false)
        );
        assert!(m[1].whole_file);
        assert_eq!(m[2].reason, "");
    }
}
