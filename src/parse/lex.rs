//! A byte-level tokenizer for the common subset of PostgreSQL SQL: words, quoted identifiers,
//! plain and dollar-quoted strings, integers and decimals, comments, punctuation and the usual
//! comparison operators. For that subset it yields exactly the tokens and line/column spans
//! sqlparser's tokenizer yields for `PostgreSqlDialect` with unescaping off, except that a run
//! of spaces, of tabs or of line breaks is one whitespace token, and sqlparser's parser builds
//! the same statements (or the same error) from either: `disagreement` checks both, and the
//! differential test and the `fallback` fuzz target run it. For anything else (escape strings,
//! bit and hex strings, exponents, custom operators, `COPY ... FROM STDIN` data, non-ASCII
//! outside strings and comments) it answers `None` and the caller runs sqlparser's tokenizer.
//!
//! Why it exists: sqlparser's tokenizer walks a `Peekable<Chars>` and builds every token char by
//! char; over real migration folders it was a quarter of migcheck's run time. This one finds
//! token ends with byte scans and copies each token's text once.

use std::ops::Range;
use std::sync::OnceLock;

use sqlparser::ast::DollarQuotedString;
use sqlparser::keywords::{ALL_KEYWORDS, ALL_KEYWORDS_INDEX, Keyword};
use sqlparser::tokenizer::{Location, Span, Token, TokenWithSpan, Whitespace, Word};

use crate::fasthash::FastMap;

type KeywordMap = FastMap<&'static [u8], Keyword>;

fn keywords() -> &'static (KeywordMap, usize) {
    static MAP: OnceLock<(KeywordMap, usize)> = OnceLock::new();
    MAP.get_or_init(|| {
        let map: KeywordMap = ALL_KEYWORDS
            .iter()
            .zip(ALL_KEYWORDS_INDEX)
            .map(|(s, k)| (s.as_bytes(), *k))
            .collect();
        let longest = ALL_KEYWORDS.iter().map(|s| s.len()).max().unwrap_or(0);
        (map, longest)
    })
}

/// The keyword an unquoted ASCII word is (sqlparser's case-insensitive lookup).
fn keyword(word: &[u8]) -> Keyword {
    let (map, longest) = keywords();
    if word.len() > *longest {
        return Keyword::NoKeyword;
    }
    let mut buf = [0u8; 64];
    let Some(upper) = buf.get_mut(..word.len()) else {
        return Keyword::NoKeyword;
    };
    for (u, w) in upper.iter_mut().zip(word) {
        *u = w.to_ascii_uppercase();
    }
    map.get(&*upper).copied().unwrap_or(Keyword::NoKeyword)
}

/// sqlparser's `is_custom_operator_part` for PostgreSQL.
fn operator_char(b: u8) -> bool {
    matches!(
        b,
        b'+' | b'-'
            | b'*'
            | b'/'
            | b'<'
            | b'>'
            | b'='
            | b'~'
            | b'!'
            | b'@'
            | b'#'
            | b'%'
            | b'^'
            | b'&'
            | b'|'
            | b'`'
            | b'?'
    )
}

/// ASCII letters and digits, `_` and `$` (a table: the word loop is the lexer's hottest).
static WORD_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
        b += 1;
    }
    t
};

fn word_char(b: u8) -> bool {
    WORD_CHAR[usize::from(b)]
}

/// Position as sqlparser counts it: 1-based line, column in chars.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
    col: u64,
    /// Whether to count lines and columns at all (see `lex_unlocated`).
    locate: bool,
}

impl Cursor<'_> {
    fn location(&self) -> Location {
        if !self.locate {
            return Location { line: 0, column: 0 };
        }
        Location {
            line: self.line,
            column: self.col,
        }
    }

    /// Moves to byte `end` over any text (newlines, multi-byte characters).
    fn advance_to(&mut self, end: usize) {
        if !self.locate {
            self.pos = end;
            return;
        }
        for &b in &self.bytes[self.pos..end] {
            if b == b'\n' {
                self.line += 1;
                self.col = 1;
            } else if b & 0xC0 != 0x80 {
                self.col += 1;
            }
        }
        self.pos = end;
    }

    /// Moves `n` bytes over ASCII text without a newline.
    fn advance_ascii(&mut self, n: usize) {
        self.pos += n;
        self.col += n as u64;
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = hay.get(from..)?;
    if needle.len() == 1 {
        return rest.iter().position(|b| *b == needle[0]).map(|p| p + from);
    }
    rest.windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The end (exclusive) of a quoted run starting at `start` (the opening quote), where a doubled
/// quote stands for one; `None` when unterminated.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    let mut i = start + 1;
    loop {
        let q = find(bytes, i, &[quote])?;
        if bytes.get(q + 1) == Some(&quote) {
            i = q + 2;
        } else {
            return Some(q + 1);
        }
    }
}

/// Tokens of `text` with sqlparser's spans and each token's byte range in `text`, or `None`
/// when `text` leaves the subset.
pub fn lex(text: &str) -> Option<(Vec<TokenWithSpan>, Vec<Range<usize>>)> {
    lex_with(text, true)
}

/// `lex` without sqlparser's locations (every span empty, line 0) and without the runs of
/// blanks sqlparser's parser skips (one is kept after `:`): the byte ranges are what the
/// pipeline uses, and sqlparser only formats locations into errors (a rejected statement is
/// tokenized again, located, for its message). Counting lines and columns was a fifth of lexing.
pub fn lex_unlocated(text: &str) -> Option<(Vec<TokenWithSpan>, Vec<Range<usize>>)> {
    lex_with(text, false)
}

fn lex_with(text: &str, locate: bool) -> Option<(Vec<TokenWithSpan>, Vec<Range<usize>>)> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    let mut cur = Cursor {
        bytes,
        pos: 0,
        line: 1,
        col: 1,
        locate,
    };
    // reserved up front, sparing the copies of a large statement's tokens as the vectors
    // grow: with blank runs (located) tokens are rarely shorter than two bytes; without them
    // a token is 7.2 bytes on average (real migrations and PostgreSQL's regression SQL) and
    // `len / 5 + 8` covers 95 % of statements (reserving `len / 2` there was over a third of
    // all the bytes a run over the corpora allocated)
    let cap = if locate { len / 2 + 8 } else { len / 5 + 8 };
    let mut out = Vec::with_capacity(cap);
    let mut ranges = Vec::with_capacity(cap);
    let mut first_word = true;
    while cur.pos < len {
        let start = cur.location();
        let pos = cur.pos;
        let c = bytes[pos];
        let next = bytes.get(pos + 1).copied();
        let token = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                // a run of the same whitespace is one token (sqlparser makes one per character,
                // and its parser skips them one by one on every peek); the kind is kept, as a
                // parse error can name the whitespace it found
                let newline = |b: u8| b == b'\n' || b == b'\r';
                let same = |b: u8| if newline(c) { newline(b) } else { b == c };
                let mut end = pos + 1;
                while end < len && same(bytes[end]) {
                    end += 1;
                }
                cur.advance_to(end);
                // without locations (the main path) a run is left out: sqlparser's parser
                // skips it. Kept: after `:` (a placeholder is `:` and a word with nothing
                // between), and on the located path (a message names what was found).
                // Comments are always kept (sqlparser's optimizer hints)
                if !locate && !after_colon(&out) {
                    continue;
                }
                Token::Whitespace(match c {
                    b' ' => Whitespace::Space,
                    b'\t' => Whitespace::Tab,
                    _ => Whitespace::Newline,
                })
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                // one-letter prefixes of special strings: E'..', B'..', N'..', X'..', U&'..'
                match (c.to_ascii_lowercase(), next) {
                    (b'e' | b'b' | b'n' | b'x', Some(b'\'')) | (b'b', Some(b'"')) => {
                        return None;
                    }
                    (b'u', Some(b'&')) => return None,
                    _ => {}
                }
                let mut end = pos + 1;
                while end < len && word_char(bytes[end]) {
                    end += 1;
                }
                if end < len && bytes[end] >= 0x80 {
                    return None;
                }
                let word = &bytes[pos..end];
                let kw = keyword(word);
                // `COPY ... FROM STDIN;` is followed by data sqlparser captures specially (its
                // tracker looks at the first token of each statement; any first word will do here)
                if std::mem::replace(&mut first_word, false) && kw == Keyword::COPY {
                    return None;
                }
                cur.advance_ascii(end - pos);
                Token::Word(Word {
                    value: text[pos..end].to_string(),
                    quote_style: None,
                    keyword: kw,
                })
            }
            b'0'..=b'9' => {
                let mut end = pos + 1;
                while end < len && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                if end < len && bytes[end] == b'.' {
                    end += 1;
                    while end < len && bytes[end].is_ascii_digit() {
                        end += 1;
                    }
                }
                // exponents, `1_000`, `0x1f`, `1L`, `1.2.3`, `1a`: sqlparser's own rules
                if end < len && (word_char(bytes[end]) || bytes[end] == b'.' || bytes[end] >= 0x80)
                {
                    return None;
                }
                cur.advance_ascii(end - pos);
                Token::Number(text[pos..end].to_string(), false)
            }
            b'.' => {
                if next.is_some_and(|n| n.is_ascii_digit() || n == b'_') {
                    return None;
                }
                cur.advance_ascii(1);
                Token::Period
            }
            b'\'' => {
                let end = quoted_end(bytes, pos, b'\'')?;
                cur.advance_to(end);
                Token::SingleQuotedString(text[pos + 1..end - 1].to_string())
            }
            b'"' => {
                let end = quoted_end(bytes, pos, b'"')?;
                cur.advance_to(end);
                Token::Word(Word {
                    value: text[pos + 1..end - 1].to_string(),
                    quote_style: Some('"'),
                    keyword: Keyword::NoKeyword,
                })
            }
            b'$' => {
                if next == Some(b'$') {
                    let close = find(bytes, pos + 2, b"$$")?;
                    cur.advance_to(close + 2);
                    Token::DollarQuotedString(DollarQuotedString {
                        value: text[pos + 2..close].to_string(),
                        tag: None,
                    })
                } else {
                    let mut tag_end = pos + 1;
                    while tag_end < len
                        && (bytes[tag_end].is_ascii_alphanumeric() || bytes[tag_end] == b'_')
                    {
                        tag_end += 1;
                    }
                    if tag_end < len && bytes[tag_end] >= 0x80 {
                        return None;
                    }
                    let tag = &text[pos + 1..tag_end];
                    if bytes.get(tag_end) == Some(&b'$') {
                        let delimiter = &bytes[pos..=tag_end];
                        let close = find(bytes, tag_end + 1, delimiter)?;
                        cur.advance_to(close + delimiter.len());
                        Token::DollarQuotedString(DollarQuotedString {
                            value: text[tag_end + 1..close].to_string(),
                            tag: Some(tag.to_string()),
                        })
                    } else {
                        cur.advance_ascii(tag_end - pos);
                        Token::Placeholder(format!("${tag}"))
                    }
                }
            }
            b'-' if next == Some(b'-') => {
                let end = bytes[pos + 2..]
                    .iter()
                    .position(|b| *b == b'\n' || *b == b'\r')
                    .map_or(len, |p| p + pos + 2);
                cur.advance_to(end);
                Token::Whitespace(Whitespace::SingleLineComment {
                    comment: text[pos + 2..end].to_string(),
                    prefix: "--".to_string(),
                })
            }
            b'/' if next == Some(b'*') => {
                let mut depth = 1u32;
                let mut i = pos + 2;
                loop {
                    let b = *bytes.get(i)?;
                    let n = bytes.get(i + 1).copied();
                    if b == b'/' && n == Some(b'*') {
                        depth += 1;
                        i += 2;
                    } else if b == b'*' && n == Some(b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                cur.advance_to(i);
                Token::Whitespace(Whitespace::MultiLineComment(
                    text[pos + 2..i - 2].to_string(),
                ))
            }
            b'(' | b')' | b',' | b';' | b'[' | b']' | b'{' | b'}' => {
                cur.advance_ascii(1);
                match c {
                    b'(' => Token::LParen,
                    b')' => Token::RParen,
                    b',' => Token::Comma,
                    b';' => Token::SemiColon,
                    b'[' => Token::LBracket,
                    b']' => Token::RBracket,
                    b'{' => Token::LBrace,
                    _ => Token::RBrace,
                }
            }
            b':' => match next {
                Some(b':') => {
                    cur.advance_ascii(2);
                    Token::DoubleColon
                }
                Some(b'=') => {
                    cur.advance_ascii(2);
                    Token::Assignment
                }
                _ => {
                    cur.advance_ascii(1);
                    Token::Colon
                }
            },
            c if operator_char(c) => {
                // a run of operator characters: only the common exact spellings here, the rest
                // (custom operators, `->>`, `@>`, `-- ` after `=`, ...) by sqlparser
                let mut end = pos + 1;
                while end < len && operator_char(bytes[end]) {
                    end += 1;
                }
                let token = match &bytes[pos..end] {
                    b"+" => Token::Plus,
                    b"-" => Token::Minus,
                    b"*" => Token::Mul,
                    b"/" => Token::Div,
                    b"=" => Token::Eq,
                    b"<" => Token::Lt,
                    b">" => Token::Gt,
                    b"<=" => Token::LtEq,
                    b">=" => Token::GtEq,
                    b"<>" | b"!=" => Token::Neq,
                    b"||" => Token::StringConcat,
                    b"=>" => Token::RArrow,
                    _ => return None,
                };
                cur.advance_ascii(end - pos);
                token
            }
            _ => return None,
        };
        // each statement of the text may be a `COPY`
        match token {
            Token::Word(_) => first_word = false,
            Token::SemiColon => first_word = true,
            _ => {}
        }
        out.push(TokenWithSpan {
            token,
            span: Span::new(start, cur.location()),
        });
        ranges.push(pos..cur.pos);
    }
    Some((out, ranges))
}

/// Where `lex` answers and sqlparser's tokenizer does not give the same tokens, spans and a
/// tiling of the text: what differs (`None` when they agree or `lex` declines). For the
/// differential tests and the `lex` fuzz target.
pub fn disagreement(text: &str) -> Option<String> {
    let (fast, ranges) = lex(text)?;
    let mut at = 0;
    for r in &ranges {
        if r.start != at || r.end <= r.start {
            return Some(format!(
                "{text:?}: byte ranges {ranges:?} do not tile the text"
            ));
        }
        at = r.end;
    }
    if at != text.len() {
        return Some(format!("{text:?}: byte ranges end at {at}"));
    }
    let dialect = sqlparser::dialect::PostgreSqlDialect {};
    let slow = match sqlparser::tokenizer::Tokenizer::new(&dialect, text)
        .with_unescape(false)
        .tokenize_with_location()
    {
        Err(e) => return Some(format!("{text:?}: sqlparser fails ({e}) where lex answers")),
        Ok(slow) => slow,
    };
    let merged = merge_whitespace_runs(slow.clone());
    // `PartialEq` of `TokenWithSpan` ignores spans: compare them too
    if fast != merged || fast.iter().zip(&merged).any(|(a, b)| a.span != b.span) {
        return Some(format!(
            "{text:?}\nlex:       {fast:?}\nsqlparser: {merged:?}"
        ));
    }
    let parse = |tokens: Vec<TokenWithSpan>| {
        sqlparser::parser::Parser::new(&dialect)
            .with_tokens_with_locations(tokens)
            .parse_statements()
            .map_err(|e| e.to_string())
    };
    // the main path's tokens: no locations, no runs of blanks
    let unlocated = lex_unlocated(text).map(|(t, _)| t);
    let (a, b) = (parse(fast), parse(slow));
    if a != b {
        return Some(format!(
            "{text:?}\nparsed from lex: {a:?}\nfrom sqlparser's tokens: {b:?}"
        ));
    }
    // (a rejected statement is parsed again, located, for its message: only the statements
    // and whether it parses must agree)
    let c = unlocated.map(parse);
    (c.as_ref().map(|r| r.as_ref().ok()) != Some(b.as_ref().ok())).then(|| {
        format!("{text:?}\nparsed from lex without blanks: {c:?}\nfrom sqlparser's tokens: {b:?}")
    })
}

/// Whether the last token is a `:` (a blank run after it is kept: see `lex_with`).
fn after_colon(out: &[TokenWithSpan]) -> bool {
    matches!(
        out.last(),
        Some(TokenWithSpan {
            token: Token::Colon,
            ..
        })
    )
}

/// sqlparser's tokens with each run of equal space, tab or newline tokens made one token, as
/// `lex` makes it.
fn merge_whitespace_runs(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let blank = |t: &Token| {
        matches!(
            t,
            Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)
        )
    };
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    for t in tokens {
        if let Some(last) = out.last_mut()
            && blank(&t.token)
            && last.token == t.token
        {
            last.span = Span::new(last.span.start, t.span.end);
            continue;
        }
        out.push(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use sqlparser::tokenizer::{Token, Whitespace};

    use super::lex;

    /// A run of spaces, tabs or line breaks (not a comment).
    fn is_blank(t: &Token) -> bool {
        matches!(
            t,
            Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)
        )
    }

    fn agrees(text: &str) -> bool {
        match super::disagreement(text) {
            None => true,
            Some(why) => {
                eprintln!("{why}");
                false
            }
        }
    }

    #[test]
    fn agrees_with_sqlparser_on_the_subset_and_declines_the_rest() {
        let answered = [
            "CREATE TABLE \"Users\" (id bigint PRIMARY KEY, name text NOT NULL DEFAULT 'a''b');",
            "ALTER TABLE t ADD COLUMN c numeric(10,2) DEFAULT 0.5 CHECK (c >= 0 AND c <> 1.);",
            "SELECT a.b, x::text, y || 'é—x' FROM s.t WHERE a != 1 AND b <= 2 OR c > 3 -- ünï\r\nx",
            "CREATE FUNCTION f() RETURNS trigger AS $body$ BEGIN\n  NEW.x := 1; RETURN NEW;\nEND $body$ LANGUAGE plpgsql;",
            "DO $$ BEGIN PERFORM 1; END $$;/* a /* nested */ comment ü */\n\tSELECT $1, $$$$, $$a$$$",
            "SELECT f(a => 1), arr[1], '{}'::jsonb, \"a\"\"b\", 1 + 2 - 3 * 4 / 5;",
            "SELECT '\n\n', \"x\ny\", foo$bar, _x, a.\"B\".c;",
            "\r\r\n  \t",
            // a parse error names the whitespace it found: runs keep their kind
            "SELECT\t\t\t:\t\t1",
            "SELECT  :\n\n1 \t \r\n\r\n",
            "",
        ];
        for text in answered {
            assert!(lex(text).is_some(), "{text:?} is in the subset");
            assert!(agrees(text), "{text:?}");
            // without locations: the same tokens and byte ranges but the runs of blanks (kept
            // after `:`), every span empty
            let (located, ranges) = lex(text).expect("lexed");
            let (bare, bare_ranges) = super::lex_unlocated(text).expect("lexed");
            let kept: Vec<usize> = (0..located.len())
                .filter(|&i| {
                    !is_blank(&located[i].token)
                        || (i > 0 && located[i - 1].token == super::Token::Colon)
                })
                .collect();
            let want: Vec<_> = kept.iter().map(|&i| ranges[i].clone()).collect();
            assert_eq!(want, bare_ranges, "{text:?}");
            let tokens =
                |v: &[super::TokenWithSpan]| v.iter().map(|t| t.token.clone()).collect::<Vec<_>>();
            let want: Vec<_> = kept.iter().map(|&i| located[i].token.clone()).collect();
            assert_eq!(want, tokens(&bare), "{text:?}");
            assert!(
                bare.iter().all(|t| t.span == super::Span::empty()),
                "{text:?}"
            );
        }
        let declined = [
            "SELECT E'a\\nb'",
            "SELECT B'101', X'ff', N'x', U&'d\\0061t'",
            "SELECT 1e5, 1_000, 0x1f, .5, 1.2.3",
            "SELECT a->>'b', c @> d, e ~ f, g #> h",
            "COPY t FROM STDIN;\n1\n\\.\n",
            "SELECT 1; copy t from stdin;\n1\n",
            "SELECT ünïcode",
            "SELECT 'unterminated",
            "SELECT $$unterminated",
            "SELECT /* unterminated",
            "SELECT a=-1",
            "SELECT \u{a0}1",
        ];
        for text in declined {
            assert!(lex(text).is_none(), "{text:?} leaves the subset");
        }
    }
}
