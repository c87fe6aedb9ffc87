//! sqlparser's tokenizer, with every token's position as a byte span of the source file.

use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::ir::Span;

/// Maps sqlparser's 1-based (line, column-in-chars) locations inside one statement's text to
/// byte offsets in the file.
pub struct LineMap<'a> {
    text: &'a str,
    base: usize,
    line_starts: Vec<usize>,
    /// Per line: `None` when it is ASCII (column = byte), else the byte offset of each char.
    /// Precomputed so a lookup is O(1) even on a megabyte-long line.
    char_offsets: Vec<Option<Vec<usize>>>,
}

impl<'a> LineMap<'a> {
    pub fn new(text: &'a str, base: usize) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let char_offsets = line_starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = line_starts.get(i + 1).copied().unwrap_or(text.len());
                let line = text.get(start..end).unwrap_or("");
                (!line.is_ascii()).then(|| line.char_indices().map(|(o, _)| o).collect())
            })
            .collect();
        LineMap {
            text,
            base,
            line_starts,
            char_offsets,
        }
    }

    /// Byte offset in the file of a sqlparser location; `None` for the empty location.
    pub fn offset(&self, line: u64, column: u64) -> Option<usize> {
        if line == 0 || column == 0 {
            return None;
        }
        let index = usize::try_from(line - 1).ok()?;
        let start = *self.line_starts.get(index)?;
        let col = usize::try_from(column - 1).ok()?;
        let line_len = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.text.len())
            - start;
        let off = match self.char_offsets.get(index)? {
            None => col.min(line_len),
            Some(chars) => chars.get(col).copied().unwrap_or(line_len),
        };
        Some(self.base + start + off)
    }

    pub fn span(&self, s: sqlparser::tokenizer::Span) -> Option<Span> {
        let a = self.offset(s.start.line, s.start.column)?;
        let b = self.offset(s.end.line, s.end.column)?;
        Some(Span::new(a, b))
    }
}

/// An unquoted word equal (case-insensitively) to `kw`.
pub fn is_word(token: &Token, kw: &str) -> bool {
    matches!(token, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(kw))
}

#[derive(Debug, Clone)]
pub struct Tok {
    pub token: Token,
    pub span: Span,
}

impl Tok {
    /// An unquoted word equal (case-insensitively) to `kw`.
    pub fn is_word(&self, kw: &str) -> bool {
        is_word(&self.token, kw)
    }

    pub fn keyword(&self) -> Option<Keyword> {
        match &self.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
            _ => None,
        }
    }

    /// An identifier-like word (quoted or not), normalised like PostgreSQL does.
    pub fn ident(&self) -> Option<String> {
        match &self.token {
            Token::Word(w) => Some(match w.quote_style {
                Some(_) => w.value.clone(),
                None => w.value.to_ascii_lowercase(),
            }),
            _ => None,
        }
    }
}

/// A statement's tokens as sqlparser's parser takes them, with each token's byte span in the
/// file. The significant ones (`toks`, whitespace and comments dropped) are moved out of the
/// same vector after parsing (`Parser::into_tokens`), so no token is ever copied.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    pub raw: Vec<TokenWithSpan>,
    /// Byte span in the file of each token of `raw`.
    pub spans: Vec<Span>,
}

impl Tokens {
    /// The significant tokens, in file order.
    pub fn toks(self) -> Vec<Tok> {
        significant(self.raw, &self.spans)
    }
}

/// The tokens of `raw` that are not whitespace or comments, each with its byte span from `spans`
/// (same length and order as `raw`), in file order.
pub fn significant(raw: Vec<TokenWithSpan>, spans: &[Span]) -> Vec<Tok> {
    let mut toks: Vec<Tok> = raw
        .into_iter()
        .zip(spans)
        .filter(|(t, _)| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|(t, span)| Tok {
            token: t.token,
            span: *span,
        })
        .collect();
    // sqlparser emits `COPY ... FROM STDIN;` data before the `;`: keep `toks` in file order
    // (`index_at` relies on it)
    if !toks.is_sorted_by_key(|t| t.span.start) {
        toks.sort_by_key(|t| t.span.start);
    }
    toks
}

#[derive(Debug)]
pub struct TokenizeError {
    pub message: String,
    pub at: Option<usize>,
}

/// Tokenizes one statement's text located at byte `base` of its file: the fast byte-level lexer
/// when the text is in its subset, else sqlparser's tokenizer (the same significant tokens and
/// the same parse either way; see `lex`). The byte spans (`spans`) are exact; sqlparser's own
/// locations in `raw` are left empty by the fast lexer (see `tokenize_located`).
pub fn tokenize(stmt_text: &str, base: usize) -> Result<Tokens, TokenizeError> {
    tokenize_with(stmt_text, base, false)
}

/// `tokenize` with sqlparser's locations in `raw` too (line and column: for the position of a
/// parse error).
pub fn tokenize_located(stmt_text: &str, base: usize) -> Result<Tokens, TokenizeError> {
    tokenize_with(stmt_text, base, true)
}

fn tokenize_with(stmt_text: &str, base: usize, locate: bool) -> Result<Tokens, TokenizeError> {
    let lexed = if locate {
        super::lex::lex(stmt_text)
    } else {
        super::lex::lex_unlocated(stmt_text)
    };
    if let Some((raw, ranges)) = lexed {
        let spans = ranges
            .into_iter()
            .map(|r| Span::new(base + r.start, base + r.end))
            .collect();
        return Ok(Tokens { raw, spans });
    }
    let map = LineMap::new(stmt_text, base);
    let dialect = PostgreSqlDialect {};
    let raw = Tokenizer::new(&dialect, stmt_text)
        .with_unescape(false)
        .tokenize_with_location()
        .map_err(|e| TokenizeError {
            message: e.message.clone(),
            at: map.offset(e.location.line, e.location.column),
        })?;
    let spans = raw
        .iter()
        .map(|t| map.span(t.span).unwrap_or(Span::new(base, base)))
        .collect();
    Ok(Tokens { raw, spans })
}

/// Helpers over a token slice.
pub trait TokSlice {
    fn find_word(&self, from: usize, kw: &str) -> Option<usize>;
    fn span_of(&self, from: usize, to: usize) -> Option<Span>;
}

impl TokSlice for [Tok] {
    fn find_word(&self, from: usize, kw: &str) -> Option<usize> {
        self.iter()
            .skip(from)
            .position(|t| t.is_word(kw))
            .map(|p| p + from)
    }

    /// Span from token `from` to token `to` (inclusive).
    fn span_of(&self, from: usize, to: usize) -> Option<Span> {
        let a = self.get(from)?;
        let b = self.get(to.min(self.len().saturating_sub(1)))?;
        Some(a.span.cover(b.span))
    }
}

/// Index of the first token whose span starts at or after `offset`.
pub fn index_at(toks: &[Tok], offset: usize) -> usize {
    toks.partition_point(|t| t.span.start < offset)
}

#[cfg(test)]
mod line_map_tests {
    use super::LineMap;

    #[test]
    fn maps_char_columns_to_bytes_on_ascii_and_non_ascii_lines() {
        let text = "SELECT 1;\nSELECT 'é—x', y;\n";
        let m = LineMap::new(text, 100);
        assert_eq!(m.offset(1, 8), Some(107));
        // column 15 of line 2 is `y`: 'é' and '—' are 2 and 3 bytes
        let y = text.find('y').expect("y");
        assert_eq!(m.offset(2, 15), Some(100 + y));
        assert_eq!(m.offset(0, 1), None);
        assert_eq!(m.offset(9, 1), None);
    }
}
