//! Statement splitting and template masking.
//!
//! Splits SQL text the way psql does: single quotes, `E''` strings with backslash escapes,
//! double-quoted identifiers, dollar quoting with tags (`$$`, `$fn$`; `$1` is a parameter),
//! nested `/* */` comments, `--` comments, psql meta-commands (a backslash command runs to the
//! end of its line and is a statement of its own), `BEGIN ATOMIC ... END` routine bodies, and
//! goose `StatementBegin`/`StatementEnd` blocks.
//!
//! Template syntax (`{{ ... }}`, `${...}`, psql `:'var'`, `:"var"`, `:var`) is replaced in a
//! masked copy of the text by a placeholder identifier of the same byte length, so every span
//! stays exact and the statement still parses. Jinja `{% ... %}` and `{# ... #}` become spaces.

use std::borrow::Cow;

use crate::ir::Span;
use crate::source::layout::{starts_with_ignore_case, strip_prefix_ignore_case};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawKind {
    Sql,
    PsqlMeta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawStatement {
    /// From the first significant byte to the end of the last one (the `;` is excluded).
    pub span: Span,
    pub kind: RawKind,
    /// Template syntax was masked inside this statement.
    pub templated: bool,
}

/// Something the splitter could not close (a quote, a comment, a dollar quote, a template).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitProblem {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The text with templates masked; same byte length as the input (the input itself when
    /// it has no template).
    pub masked: Cow<'a, str>,
    pub statements: Vec<RawStatement>,
    pub problems: Vec<SplitProblem>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// Bytes that continue a word: ASCII letters and digits, `_`, `$`, and every byte of a
/// non-ASCII character. A table: the word loop is the splitter's hottest.
static IDENT_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
        b += 1;
    }
    t
};

fn is_ident_char(b: u8) -> bool {
    IDENT_CHAR[usize::from(b)]
}

struct Splitter<'a> {
    text: &'a str,
    b: &'a [u8],
    /// The masked copy, made at the first template (most files have none).
    masked: Option<Vec<u8>>,
    statements: Vec<RawStatement>,
    problems: Vec<SplitProblem>,
    start: Option<usize>,
    end: usize,
    templated: bool,
    /// The current statement's first word (lower case), when it is one the splitter needs.
    first_word: Option<FirstWord>,
    routine: bool,
    prev_word_begin: bool,
    atomic_depth: u32,
    /// Closing delimiters known to be absent from a position on: an unterminated template is
    /// searched for once, not once per opener (`{{ {{ {{ ...` was quadratic).
    absent: Vec<(&'static str, usize)>,
}

/// The first words of a statement that change how the splitter reads what follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstWord {
    Copy,
    Create,
    Other,
}

pub fn split(text: &str) -> Split<'_> {
    let mut s = Splitter {
        text,
        b: text.as_bytes(),
        masked: None,
        statements: Vec::new(),
        problems: Vec::new(),
        start: None,
        end: 0,
        templated: false,
        first_word: None,
        routine: false,
        prev_word_begin: false,
        atomic_depth: 0,
        absent: Vec::new(),
    };
    s.run();
    s.finish();
    // Masking only replaces whole constructs delimited by ASCII bytes with ASCII bytes, so the
    // result is valid UTF-8; fall back to the original text if that invariant were ever broken.
    let masked = match s.masked {
        Some(m) => String::from_utf8(m).map_or(Cow::Borrowed(text), Cow::Owned),
        None => Cow::Borrowed(text),
    };
    Split {
        masked,
        statements: s.statements,
        problems: s.problems,
    }
}

impl<'a> Splitter<'a> {
    fn token(&mut self, from: usize, to: usize) {
        if self.start.is_none() {
            self.start = Some(from);
        }
        self.end = to;
    }

    fn finish(&mut self) {
        if let Some(start) = self.start.take() {
            self.statements.push(RawStatement {
                span: Span::new(start, self.end),
                kind: RawKind::Sql,
                templated: self.templated,
            });
        }
        self.templated = false;
        self.first_word = None;
        self.routine = false;
        self.prev_word_begin = false;
        self.atomic_depth = 0;
    }

    fn problem(&mut self, from: usize, to: usize, message: impl Into<String>) {
        self.problems.push(SplitProblem {
            span: Span::new(from, to),
            message: message.into(),
        });
    }

    fn masked(&mut self) -> &mut Vec<u8> {
        self.masked.get_or_insert_with(|| self.b.to_vec())
    }

    fn mask_ident(&mut self, from: usize, to: usize) {
        for (k, byte) in self.masked()[from..to].iter_mut().enumerate() {
            *byte = if k == 0 { b'x' } else { b'_' };
        }
        self.templated = true;
    }

    fn mask_blank(&mut self, from: usize, to: usize) {
        for byte in self.masked()[from..to].iter_mut() {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b' ';
            }
        }
        self.templated = true;
    }

    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', &self.b[from..]).map_or(self.b.len(), |p| from + p)
    }

    fn find(&self, from: usize, needle: &str) -> Option<usize> {
        memchr::memmem::find(self.b.get(from..)?, needle.as_bytes()).map(|p| from + p)
    }

    fn run(&mut self) {
        let n = self.b.len();
        let mut i = 0;
        while i < n {
            let c = self.b[i];
            let next = self.b.get(i + 1).copied().unwrap_or(0);
            match c {
                b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
                    // a run at once (indentation, blank lines)
                    i += 1;
                    while i < n && matches!(self.b[i], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
                        i += 1;
                    }
                }
                b'-' if next == b'-' => {
                    let e = self.line_end(i);
                    self.line_comment(i, e);
                    i = e;
                }
                b'/' if next == b'*' => i = self.block_comment(i),
                b'\'' => i = self.quoted(i, i + 1, b'\'', false),
                b'"' => i = self.quoted(i, i + 1, b'"', false),
                b'$' => i = self.dollar(i),
                b'\\' => {
                    // psql meta-command: ends the current statement and runs to end of line
                    self.finish();
                    let mut e = self.line_end(i);
                    let stmt_end = if e > i && self.b[e - 1] == b'\r' {
                        e - 1
                    } else {
                        e
                    };
                    self.statements.push(RawStatement {
                        span: Span::new(i, stmt_end.max(i + 1)),
                        kind: RawKind::PsqlMeta,
                        templated: false,
                    });
                    if e < n {
                        e += 1;
                    }
                    i = e;
                }
                b';' => {
                    if self.atomic_depth > 0 {
                        self.token(i, i + 1);
                        i += 1;
                    } else {
                        let copy_data = self.is_copy_from_stdin();
                        self.finish();
                        i += 1;
                        if copy_data {
                            i = self.skip_copy_data(i);
                        }
                    }
                }
                b'{' if next == b'{' => i = self.template(i, "}}", true),
                b'{' if next == b'%' => i = self.template(i, "%}", false),
                b'{' if next == b'#' => i = self.template(i, "#}", false),
                // `:'var'` / `:"var"`, but not a cast to a quoted type name (`x::"MyEnum"`)
                b':' if (next == b'\'' || next == b'"') && (i == 0 || self.b[i - 1] != b':') => {
                    let close = next;
                    match self.b[i + 2..]
                        .iter()
                        .position(|&x| x == close || x == b'\n')
                        .map(|p| i + 2 + p)
                    {
                        Some(e) if self.b[e] == close => {
                            self.mask_ident(i, e + 1);
                            self.token(i, e + 1);
                            i = e + 1;
                        }
                        _ => {
                            self.token(i, i + 1);
                            i += 1;
                        }
                    }
                }
                b':' if is_ident_start(next)
                    && (i == 0 || (self.b[i - 1] != b':' && !is_ident_char(self.b[i - 1]))) =>
                {
                    let mut e = i + 1;
                    while e < n && (self.b[e].is_ascii_alphanumeric() || self.b[e] == b'_') {
                        e += 1;
                    }
                    self.mask_ident(i, e);
                    self.token(i, e);
                    i = e;
                }
                _ if is_ident_start(c) => i = self.word(i),
                b'0'..=b'9' => {
                    let mut e = i + 1;
                    while e < n && (self.b[e].is_ascii_alphanumeric() || self.b[e] == b'.') {
                        e += 1;
                    }
                    self.token(i, e);
                    i = e;
                }
                _ => {
                    // any other punctuation; step over a whole UTF-8 character
                    let mut e = i + 1;
                    while e < n && (self.b[e] & 0xC0) == 0x80 {
                        e += 1;
                    }
                    self.token(i, e);
                    i = e;
                }
            }
        }
    }

    /// `COPY ... FROM STDIN;` is followed by data lines up to `\.` (psql).
    fn is_copy_from_stdin(&self) -> bool {
        let Some(start) = self.start else {
            return false;
        };
        if self.first_word != Some(FirstWord::Copy) {
            return false;
        }
        let stmt = self
            .text
            .get(start..self.end)
            .unwrap_or("")
            .to_ascii_lowercase();
        stmt.split_whitespace()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0] == "from" && w[1] == "stdin")
    }

    fn skip_copy_data(&mut self, from: usize) -> usize {
        let n = self.b.len();
        // data starts on the next line
        let mut line = self.line_end(from).min(n);
        if line < n {
            line += 1;
        }
        while line < n {
            let e = self.line_end(line);
            let l = self.text.get(line..e).unwrap_or("").trim_end_matches('\r');
            if l == "\\." {
                return e;
            }
            line = e + 1;
        }
        self.problem(
            from,
            from,
            "`COPY ... FROM stdin` data has no terminating `\\.` line",
        );
        n
    }

    fn line_comment(&mut self, from: usize, to: usize) {
        let body = self.text.get(from + 2..to).unwrap_or("").trim();
        if let Some(rest) = strip_prefix_ignore_case(body, "+goose") {
            // a goose block's bounds and section markers end whatever statement is open (goose
            // sends a StatementBegin/End block as one string, but its statements are still
            // split here: rules look at each one)
            let rest = rest.trim();
            if rest.eq_ignore_ascii_case("statementbegin")
                || rest.eq_ignore_ascii_case("statementend")
                || starts_with_ignore_case(rest, "up")
                || starts_with_ignore_case(rest, "down")
            {
                self.finish();
            }
        } else if starts_with_ignore_case(body, "migrate:up")
            || starts_with_ignore_case(body, "migrate:down")
        {
            self.finish();
        }
    }

    fn block_comment(&mut self, from: usize) -> usize {
        let n = self.b.len();
        let mut depth = 0usize;
        let mut i = from;
        while i < n {
            // to the next `/` or `*` at once
            match memchr::memchr2(b'/', b'*', &self.b[i..]) {
                Some(p) => i += p,
                None => break,
            }
            if self.b[i] == b'/' && self.b.get(i + 1) == Some(&b'*') {
                depth += 1;
                i += 2;
            } else if self.b[i] == b'*' && self.b.get(i + 1) == Some(&b'/') {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            } else {
                i += 1;
            }
        }
        self.problem(
            from,
            from + 2,
            "unterminated `/*` comment runs to the end of the file",
        );
        n
    }

    /// A quoted string or identifier starting at `from`; content begins at `content`.
    fn quoted(&mut self, from: usize, content: usize, quote: u8, backslash: bool) -> usize {
        let n = self.b.len();
        let mut i = content;
        while i < n {
            // the next quote (or backslash) at once: string literals run long in migrations
            let rest = &self.b[i..];
            let next = if backslash {
                memchr::memchr2(quote, b'\\', rest)
            } else {
                memchr::memchr(quote, rest)
            };
            let Some(p) = next else {
                break;
            };
            i += p;
            if backslash && self.b[i] == b'\\' {
                i += 2;
                continue;
            }
            if self.b.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            self.token(from, i + 1);
            return i + 1;
        }
        let what = if quote == b'"' {
            "quoted identifier"
        } else {
            "string literal"
        };
        self.problem(
            from,
            content,
            format!("unterminated {what} runs to the end of the file"),
        );
        self.token(from, n);
        n
    }

    fn dollar(&mut self, from: usize) -> usize {
        let n = self.b.len();
        let next = self.b.get(from + 1).copied().unwrap_or(0);
        if next.is_ascii_digit() {
            // positional parameter $1
            let mut e = from + 1;
            while e < n && self.b[e].is_ascii_digit() {
                e += 1;
            }
            self.token(from, e);
            return e;
        }
        if next == b'{' {
            // ${placeholder} (Flyway, shell, JS templates)
            return self.template(from, "}", true);
        }
        let mut e = from + 1;
        while e < n && is_ident_char(self.b[e]) && self.b[e] != b'$' {
            e += 1;
        }
        if e < n && self.b[e] == b'$' {
            let tag_end = e + 1;
            let tag = &self.text[from..tag_end];
            match self.find(tag_end, tag) {
                Some(close) => {
                    let end = close + tag.len();
                    self.token(from, end);
                    end
                }
                None => {
                    self.problem(
                        from,
                        tag_end,
                        format!(
                            "unterminated dollar-quoted string `{tag}` runs to the end of the file"
                        ),
                    );
                    self.token(from, n);
                    n
                }
            }
        } else {
            self.token(from, from + 1);
            from + 1
        }
    }

    fn template(&mut self, from: usize, close: &'static str, ident: bool) -> usize {
        let open_len = 2; // `{{`, `{%`, `{#` and `${` are all two bytes
        let at = from + open_len;
        let found = if self.absent.iter().any(|&(c, p)| c == close && p <= at) {
            None
        } else {
            let found = self.find(at, close);
            if found.is_none() {
                self.absent.push((close, at));
            }
            found
        };
        match found {
            Some(c) => {
                let end = c + close.len();
                if ident {
                    self.mask_ident(from, end);
                    self.token(from, end);
                } else {
                    self.mask_blank(from, end);
                }
                end
            }
            None => {
                let opener = self.text.get(from..from + open_len).unwrap_or("{");
                self.problem(
                    from,
                    from + open_len,
                    format!("unterminated template `{opener}`"),
                );
                self.token(from, from + 1);
                from + 1
            }
        }
    }

    fn word(&mut self, from: usize) -> usize {
        let n = self.b.len();
        let e = from
            + 1
            + self.b[from + 1..]
                .iter()
                .position(|&b| !is_ident_char(b))
                .unwrap_or(n - from - 1);
        // E'...' escape string (also e'...')
        if e - from == 1 && (self.b[from] | 0x20) == b'e' && self.b.get(e) == Some(&b'\'') {
            return self.quoted(from, e + 1, b'\'', true);
        }
        let word = &self.text[from..e];
        self.token(from, e);
        if self.first_word.is_none() {
            self.first_word = Some(if word.eq_ignore_ascii_case("copy") {
                FirstWord::Copy
            } else if word.eq_ignore_ascii_case("create") {
                FirstWord::Create
            } else {
                FirstWord::Other
            });
        } else if self.first_word == Some(FirstWord::Create)
            && (word.eq_ignore_ascii_case("function") || word.eq_ignore_ascii_case("procedure"))
        {
            self.routine = true;
        }
        if self.routine {
            if self.atomic_depth == 0 && self.prev_word_begin && word.eq_ignore_ascii_case("atomic")
            {
                self.atomic_depth = 1;
            } else if self.atomic_depth > 0 {
                if word.eq_ignore_ascii_case("case") {
                    self.atomic_depth += 1;
                } else if word.eq_ignore_ascii_case("end") {
                    self.atomic_depth -= 1;
                }
            }
            self.prev_word_begin = word.eq_ignore_ascii_case("begin");
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        let s = split(sql);
        s.statements
            .iter()
            .map(|st| sql[st.span.start..st.span.end].to_string())
            .collect()
    }

    #[test]
    fn basic_and_quotes() {
        assert_eq!(texts("select 1; select 2"), ["select 1", "select 2"]);
        assert_eq!(
            texts("select ';'; select \"a;b\""),
            ["select ';'", "select \"a;b\""]
        );
        assert_eq!(texts("select 'it''s;'; x"), ["select 'it''s;'", "x"]);
        assert_eq!(texts("select E'a\\';b'; y"), ["select E'a\\';b'", "y"]);
        assert_eq!(texts("select e'\\\\'; y"), ["select e'\\\\'", "y"]);
        assert_eq!(texts(";;  ;"), Vec::<String>::new());
    }

    #[test]
    fn dollar_quotes_and_params() {
        let sql =
            "create function f() returns int as $fn$ select 1; $$ $fn$ language sql; select $1;";
        assert_eq!(
            texts(sql),
            [
                "create function f() returns int as $fn$ select 1; $$ $fn$ language sql",
                "select $1"
            ]
        );
        assert_eq!(
            texts("do $$ begin; end $$; x"),
            ["do $$ begin; end $$", "x"]
        );
        assert_eq!(texts("select a$b; x"), ["select a$b", "x"]);
    }

    #[test]
    fn comments() {
        assert_eq!(
            texts("-- a; b\nselect 1; /* c; /* d; */ e; */ select 2;"),
            ["select 1", "select 2"]
        );
        let s = split("select 1; /* open");
        assert_eq!(s.problems.len(), 1);
        assert_eq!(s.statements.len(), 1);
    }

    #[test]
    fn psql_meta_commands() {
        assert_eq!(
            texts("\\set ON_ERROR_STOP on\r\nselect 1;\n\\i other.sql\nselect 2;"),
            [
                "\\set ON_ERROR_STOP on",
                "select 1",
                "\\i other.sql",
                "select 2"
            ]
        );
        let s = split("\\set x 1\nselect 1;");
        assert_eq!(s.statements[0].kind, RawKind::PsqlMeta);
        assert_eq!(s.statements[1].kind, RawKind::Sql);
    }

    #[test]
    fn begin_atomic_bodies() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 1 END; END; SELECT 2;";
        assert_eq!(texts(sql).len(), 2);
        // a transaction BEGIN is not a routine body
        assert_eq!(texts("BEGIN; SELECT 1; END;"), ["BEGIN", "SELECT 1", "END"]);
    }

    #[test]
    fn goose_blocks() {
        let sql = "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() AS 'a; b'; SELECT 1;\n-- +goose StatementEnd\nselect 2;";
        assert_eq!(
            texts(sql),
            ["CREATE FUNCTION f() AS 'a; b'", "SELECT 1", "select 2"]
        );
    }

    #[test]
    fn copy_from_stdin_data_is_skipped() {
        let sql = "COPY t (a, b) FROM stdin;\n1\t$2b$x';\n2\tq\n\\.\nselect 1;";
        assert_eq!(texts(sql), ["COPY t (a, b) FROM stdin", "select 1"]);
        assert!(split(sql).problems.is_empty());
    }

    #[test]
    fn templates_are_masked_with_same_length() {
        let sql = "ALTER TABLE {{ schema }}.users ADD COLUMN a int; SELECT ${flyway:user}, :'v', :\"s\".t, :n, a::int;";
        let s = split(sql);
        assert_eq!(s.masked.len(), sql.len());
        assert_eq!(
            s.masked,
            "ALTER TABLE x___________.users ADD COLUMN a int; SELECT x_____________, x___, x___.t, x_, a::int;"
        );
        assert!(s.statements.iter().all(|st| st.templated));
        // a cast to a quoted type is not a psql variable
        let cast = "ALTER TABLE t ALTER COLUMN s TYPE \"S_new\" USING (s::text::\"S_new\");";
        let c = split(cast);
        assert_eq!(c.masked, cast);
        assert!(!c.statements[0].templated);
        let j = split("{% if x %}\nselect 1;\n{% endif %}");
        assert_eq!(j.masked, "          \nselect 1;\n           ");
    }

    #[test]
    fn unterminated_constructs_are_problems() {
        for sql in [
            "select 'abc",
            "select \"abc",
            "select $$abc",
            "select $x$abc$$",
            "x {{ y",
        ] {
            let s = split(sql);
            assert_eq!(s.problems.len(), 1, "{sql}");
            assert_eq!(s.statements.len(), 1, "{sql}");
        }
    }
}
