//! Source text as migcheck sees it: UTF-8, BOM removed, CRLF kept (spans stay exact), with a
//! line index for 1-based line/column positions.

use crate::ir::Span;

#[derive(Debug, Clone)]
pub struct SourceText {
    /// The file's text without a leading UTF-8 BOM.
    pub text: String,
    /// Whether a BOM was removed.
    pub had_bom: bool,
    line_starts: Vec<usize>,
    /// `(byte offset, characters before it)` at the character boundary at or before every
    /// `CHECKPOINT`-th byte: a column is counted from the nearest checkpoint, not from the line
    /// start (many findings on a megabyte-long line were quadratic).
    checkpoints: Vec<(usize, usize)>,
    /// Pure ASCII (nearly every migration): a column is a byte count.
    ascii: bool,
}

const CHECKPOINT: usize = 4096;

/// An OS string (a path, a file name) as text, invalid UTF-8 replaced: `to_string_lossy`,
/// with valid UTF-8 (nearly always) checked by the fast validator rather than the lossy
/// decoder's character loop (a few hundred instructions per path).
pub fn os_lossy(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, str> {
    s.to_str()
        .map_or_else(|| s.to_string_lossy(), std::borrow::Cow::Borrowed)
}

/// `lossy_text` of borrowed bytes, borrowing them when they are valid UTF-8 (nearly all).
pub fn lossy_text_ref(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s.strip_prefix('\u{feff}').unwrap_or(s)),
        Err(_) => std::borrow::Cow::Owned(lossy_text(bytes.to_vec())),
    }
}

/// Bytes as text for a quick look (layout detection, section markers): invalid UTF-8 replaced,
/// a leading BOM dropped. Valid input (nearly all) is validated once and not copied.
pub fn lossy_text(bytes: Vec<u8>) -> String {
    let mut s = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    if s.starts_with('\u{feff}') {
        s.drain(..'\u{feff}'.len_utf8());
    }
    s
}

/// Why bytes could not be used as SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// NUL bytes: a binary file, not SQL. Carries the byte offset of the first NUL.
    Binary { offset: usize },
    /// Not valid UTF-8; carries the offset of the first invalid byte and its line/column.
    InvalidUtf8 {
        offset: usize,
        line: usize,
        column: usize,
    },
}

impl SourceText {
    pub fn new(text: String) -> Self {
        let (text, had_bom) = match text.strip_prefix('\u{feff}') {
            Some(rest) => (rest.to_string(), true),
            None => (text, false),
        };
        // counted first (a vector grown by doubling copies itself and touches twice the memory)
        let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count();
        let mut line_starts = Vec::with_capacity(lines + 1);
        line_starts.push(0);
        line_starts.extend(memchr_newlines(text.as_bytes()));
        let ascii = text.is_ascii();
        let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
        let (mut at, mut chars) = (0, 0);
        for k in 0..=if ascii { 0 } else { text.len() / CHECKPOINT } {
            let mut b = k * CHECKPOINT;
            while !text.is_char_boundary(b) {
                b -= 1;
            }
            chars += text[at..b].chars().count();
            at = b;
            checkpoints.push((b, chars));
        }
        SourceText {
            text,
            had_bom,
            line_starts,
            checkpoints,
            ascii,
        }
    }

    /// Decodes file bytes. Binary content and invalid UTF-8 are errors with a location.
    pub fn from_bytes(mut bytes: Vec<u8>) -> Result<Self, DecodeError> {
        let had_bom = bytes.starts_with(b"\xEF\xBB\xBF");
        if had_bom {
            bytes.drain(..3);
        }
        if let Some(offset) = memchr::memchr(0, &bytes) {
            return Err(DecodeError::Binary { offset });
        }
        match String::from_utf8(bytes) {
            Ok(s) => {
                let mut src = SourceText::new(s);
                src.had_bom = had_bom;
                Ok(src)
            }
            Err(e) => {
                let offset = e.utf8_error().valid_up_to();
                let good = &e.as_bytes()[..offset];
                let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
                let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
                let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
                Err(DecodeError::InvalidUtf8 {
                    offset,
                    line,
                    column,
                })
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = if self.ascii {
            offset - start
        } else if self.text.is_char_boundary(offset) {
            self.chars_before(offset) - self.chars_before(start)
        } else {
            offset - start
        };
        (line + 1, col + 1)
    }

    /// Characters before a byte offset on a character boundary.
    fn chars_before(&self, offset: usize) -> usize {
        if self.ascii {
            return offset;
        }
        let (at, chars) = self.checkpoints[offset / CHECKPOINT];
        chars + self.text.get(at..offset).map_or(0, |s| s.chars().count())
    }

    /// The byte range of the line holding `offset`, without its line break.
    pub fn line_bounds(&self, offset: usize) -> Span {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next - 1);
        let end = if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Span::new(start, end)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn os_lossy_is_to_string_lossy() {
        use std::os::unix::ffi::OsStrExt;
        for b in [
            &b"a/b.sql"[..],
            "données.sql".as_bytes(),
            b"bad\xff\xfe.sql",
            b"",
        ] {
            let s = std::ffi::OsStr::from_bytes(b);
            assert_eq!(os_lossy(s), s.to_string_lossy());
        }
    }

    #[test]
    fn bom_and_crlf() {
        let s = SourceText::from_bytes(b"\xEF\xBB\xBFselect 1;\r\nselect 2;".to_vec()).expect("ok");
        assert!(s.had_bom);
        assert_eq!(s.text, "select 1;\r\nselect 2;");
        assert_eq!(s.line_col(0), (1, 1));
        assert_eq!(s.line_col(11), (2, 1));
        assert_eq!(s.line_col(18), (2, 8));
    }

    #[test]
    fn columns_count_characters() {
        let s = SourceText::new("-- é\nx".to_string());
        assert_eq!(s.line_col(5), (1, 5));
        assert_eq!(s.line_col(6), (2, 1));
    }

    #[test]
    fn binary_and_invalid_utf8() {
        assert_eq!(
            SourceText::from_bytes(b"ab\0c".to_vec()).err(),
            Some(DecodeError::Binary { offset: 2 })
        );
        assert_eq!(
            SourceText::from_bytes(b"ok;\nab\xffc".to_vec()).err(),
            Some(DecodeError::InvalidUtf8 {
                offset: 6,
                line: 2,
                column: 3
            })
        );
    }
}
