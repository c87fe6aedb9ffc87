//! The most frequent simple statements recognised from their tokens, without sqlparser's
//! parser: `CREATE [UNIQUE] INDEX` on plain columns, `DROP TABLE/INDEX/VIEW/TYPE` of plain
//! names, `ALTER TABLE` with plain column, type, constraint, owner, trigger and rename actions,
//! `CREATE TABLE`, `INSERT ... VALUES`, `UPDATE`, `DELETE` and FROM-less `SELECT` with simple
//! expressions, and `SET name = value[, value]*`.
//! Together they are about 60 % of the statements of real migration folders, and sqlparser's
//! parser was a fifth of a run.
//!
//! The grammar here is deliberately narrow: only forms sqlparser's parser accepts as exactly
//! one statement of the same kind and flags, so the operations (which `lower` derives from the
//! tokens) are the same either way. Anything else — a keyword used as a name, an expression
//! beyond the simple ones of `expr`, an unlisted type or clause — returns `None` and takes the
//! full path. `disagreement` checks that claim statement by statement (tests/lex_differential.rs
//! over the fixtures, the PostgreSQL regression SQL and the corpora; the `fallback` fuzz target).

use sqlparser::ast::ObjectType;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// What a recognised statement is, with the flags `lower` takes from sqlparser's AST.
#[derive(Debug, Clone, PartialEq)]
pub enum Quick {
    CreateIndex {
        concurrently: bool,
        unique: bool,
        if_not_exists: bool,
    },
    Drop {
        object_type: ObjectType,
        if_exists: bool,
        cascade: bool,
    },
    AlterTable,
    CreateTable {
        if_not_exists: bool,
    },
    /// `INSERT INTO t [(cols)] VALUES (...), ...`, `UPDATE t SET ... [WHERE ...]`,
    /// `DELETE FROM t [WHERE ...]` with the simple expressions of `expr`; the verb.
    Dml(&'static str),
    /// `SELECT expr, ...` without FROM (`SELECT setval('s', 1)`).
    Select,
    /// `SET [LOCAL|SESSION] name = value[, value]*`.
    Set,
}

/// Recognises `raw` (a statement's tokens, whitespace and comments included) when it is one of
/// the narrow forms above.
pub fn recognise(raw: &[TokenWithSpan]) -> Option<Quick> {
    let insignificant = |t: &Token| matches!(t, Token::Whitespace(_) | Token::EOF);
    // the main path's tokens hold no blanks: the significant tokens are read in place unless
    // there are comments (or blanks) to leave out
    let filtered: Vec<&Token>;
    let toks = if raw.iter().any(|t| insignificant(&t.token)) {
        filtered = raw
            .iter()
            .map(|t| &t.token)
            .filter(|t| !insignificant(t))
            .collect();
        Toks::Refs(&filtered)
    } else {
        Toks::Raw(raw)
    };
    let mut c = Cursor {
        toks,
        at: 0,
        in_list: true,
    };
    let q = if c.kw(Keyword::CREATE) {
        if c.kw(Keyword::TABLE) {
            create_table(&mut c)?
        } else {
            create_index(&mut c)?
        }
    } else if c.kw(Keyword::DROP) {
        drop(&mut c)?
    } else if c.kw(Keyword::ALTER) && c.kw(Keyword::TABLE) {
        alter_table(&mut c)?
    } else if c.kw(Keyword::INSERT) {
        insert(&mut c)?
    } else if c.kw(Keyword::UPDATE) {
        update(&mut c)?
    } else if c.kws(&[Keyword::DELETE, Keyword::FROM]) {
        delete(&mut c)?
    } else if c.kw(Keyword::SELECT) {
        if !expr_list(&mut c, 0) {
            return None;
        }
        Quick::Select
    } else if c.kw(Keyword::SET) {
        set(&mut c)?
    } else {
        return None;
    };
    c.token(&Token::SemiColon);
    c.done().then_some(q)
}

/// Keywords of sqlparser's accepted as names by the quick path (see `Cursor::ident`): words
/// common as table, column and function names that sqlparser reads as names in every name
/// position of this grammar (`tests::name_keywords_are_names_to_sqlparser_too` checks each in
/// every position; `tests::name_keyword_candidates` lists the keywords that would pass). Words
/// of SQL's own structure (operators, clauses) stay out even when they pass.
const NAME_KEYWORDS: &[Keyword] = &[
    Keyword::ACTION,
    Keyword::ADMIN,
    Keyword::AFTER,
    Keyword::AGGREGATE,
    Keyword::ALGORITHM,
    Keyword::ALIAS,
    Keyword::ARCHIVE,
    Keyword::AUDIT,
    Keyword::AUTHENTICATION,
    Keyword::AVG,
    Keyword::BACKUP,
    Keyword::BEFORE,
    Keyword::BLOCK,
    Keyword::BUCKET,
    Keyword::CACHE,
    Keyword::CATALOG,
    Keyword::CATEGORY,
    Keyword::CHANGES,
    Keyword::CHANNEL,
    Keyword::CHECKSUM,
    Keyword::CLASS,
    Keyword::CLUSTER,
    Keyword::COLLECTION,
    Keyword::COLUMNS,
    Keyword::COMMENT,
    Keyword::COMPRESSION,
    Keyword::CONDITION,
    Keyword::CONFIGURATION,
    Keyword::CONNECTION,
    Keyword::CONNECTOR,
    Keyword::CONTACT,
    Keyword::COST,
    Keyword::COUNT,
    Keyword::CREDENTIALS,
    Keyword::DATA,
    Keyword::DATABASE,
    Keyword::DAY,
    Keyword::DAYS,
    Keyword::DELAY,
    Keyword::DELIMITER,
    Keyword::DETAIL,
    Keyword::DICTIONARY,
    Keyword::DOMAIN,
    Keyword::ELEMENT,
    Keyword::ELEMENTS,
    Keyword::EMPTY,
    Keyword::ENCODING,
    Keyword::ENDPOINT,
    Keyword::ENGINE,
    Keyword::EPOCH,
    Keyword::ERROR,
    Keyword::EVENT,
    Keyword::EXCEPTION,
    Keyword::EXPORT,
    Keyword::EXTENSION,
    Keyword::FAMILY,
    Keyword::FIELDS,
    Keyword::FILE,
    Keyword::FILES,
    Keyword::FIRST,
    Keyword::FORMAT,
    Keyword::FUNCTION,
    Keyword::FUNCTIONS,
    Keyword::GENERAL,
    Keyword::GRANTED,
    Keyword::GRANTS,
    Keyword::HASH,
    Keyword::HEADER,
    Keyword::HISTORY,
    Keyword::HOSTS,
    Keyword::HOUR,
    Keyword::HOURS,
    Keyword::ID,
    Keyword::IMPORT,
    Keyword::INCREMENT,
    Keyword::INDICATOR,
    Keyword::INPUT,
    Keyword::INTEGRATION,
    Keyword::ITEMS,
    Keyword::KEY,
    Keyword::KEYS,
    Keyword::LANGUAGE,
    Keyword::LAST,
    Keyword::LEVEL,
    Keyword::LINE,
    Keyword::LINES,
    Keyword::LIST,
    Keyword::LISTING,
    Keyword::LOCATION,
    Keyword::LOCKED,
    Keyword::LOG,
    Keyword::LOGIN,
    Keyword::LOGS,
    Keyword::LONG,
    Keyword::LOWER,
    Keyword::MAIN,
    Keyword::MANIFEST,
    Keyword::MAP,
    Keyword::MAPPING,
    Keyword::MAX,
    Keyword::MEMBER,
    Keyword::MESSAGE,
    Keyword::METADATA,
    Keyword::METHOD,
    Keyword::METRIC,
    Keyword::METRICS,
    Keyword::MIN,
    Keyword::MINUTE,
    Keyword::MINUTES,
    Keyword::MODE,
    Keyword::MODULE,
    Keyword::MONITOR,
    Keyword::MONTH,
    Keyword::MONTHS,
    Keyword::NAME,
    Keyword::NETWORK,
    Keyword::NEW,
    Keyword::NEXT,
    Keyword::NONE,
    Keyword::NUMBER,
    Keyword::OBJECT,
    Keyword::OBJECTS,
    Keyword::OLD,
    Keyword::OPTION,
    Keyword::OPTIONS,
    Keyword::OUTPUT,
    Keyword::OWNER,
    Keyword::PACKAGE,
    Keyword::PACKAGES,
    Keyword::PARAMETER,
    Keyword::PART,
    Keyword::PASSWORD,
    Keyword::PATH,
    Keyword::PATTERN,
    Keyword::PERCENT,
    Keyword::PERIOD,
    Keyword::PLAN,
    Keyword::PLANS,
    Keyword::POINT,
    Keyword::POLICY,
    Keyword::POOL,
    Keyword::POSITION,
    Keyword::PRIVILEGES,
    Keyword::PROFILE,
    Keyword::PROGRAM,
    Keyword::PROJECTION,
    Keyword::PUBLIC,
    Keyword::PURCHASE,
    Keyword::QUARTER,
    Keyword::QUERIES,
    Keyword::QUERY,
    Keyword::RANK,
    Keyword::RAW,
    Keyword::READ,
    Keyword::REGION,
    Keyword::RELEASE,
    Keyword::RELEASES,
    Keyword::REMOTE,
    Keyword::REPLICA,
    Keyword::RESOURCE,
    Keyword::RESULT,
    Keyword::ROLES,
    Keyword::ROOT,
    Keyword::ROUTINE,
    Keyword::RULE,
    Keyword::SAMPLE,
    Keyword::SCHEMA,
    Keyword::SCHEMAS,
    Keyword::SCOPE,
    Keyword::SECOND,
    Keyword::SECONDS,
    Keyword::SECRET,
    Keyword::SEQUENCE,
    Keyword::SERVER,
    Keyword::SERVICE,
    Keyword::SETTINGS,
    Keyword::SIZE,
    Keyword::SNAPSHOT,
    Keyword::SORT,
    Keyword::SOURCE,
    Keyword::STAGE,
    Keyword::START,
    Keyword::STATEMENT,
    Keyword::STATISTICS,
    Keyword::STATUS,
    Keyword::STORAGE,
    Keyword::STREAM,
    Keyword::SUM,
    Keyword::SUPPORT,
    Keyword::SYSTEM,
    Keyword::TAG,
    Keyword::TARGET,
    Keyword::TASK,
    Keyword::TEMPLATE,
    Keyword::TIMEZONE,
    Keyword::TOTALS,
    Keyword::TREE,
    Keyword::TYPE,
    Keyword::TYPES,
    Keyword::UNKNOWN,
    Keyword::UPPER,
    Keyword::URL,
    Keyword::USAGE,
    Keyword::VALUE,
    Keyword::VARIABLE,
    Keyword::VARIABLES,
    Keyword::VERSION,
    Keyword::VERSIONS,
    Keyword::VIEWS,
    Keyword::VOLUME,
    Keyword::WAREHOUSE,
    Keyword::WEEK,
    Keyword::WEEKS,
    Keyword::WORK,
    Keyword::YEAR,
    Keyword::YEARS,
    Keyword::ZONE,
];

/// `NAME_KEYWORDS` as a table indexed by keyword (a lookup per word of every statement).
static IS_NAME_KEYWORD: [bool; KEYWORD_SLOTS] = {
    let mut t = [false; KEYWORD_SLOTS];
    let mut i = 0;
    while i < NAME_KEYWORDS.len() {
        t[NAME_KEYWORDS[i] as usize] = true;
        i += 1;
    }
    t
};

/// More than sqlparser's keywords (checked by a test).
const KEYWORD_SLOTS: usize = 2048;

fn is_name_keyword(k: Keyword) -> bool {
    IS_NAME_KEYWORD.get(k as usize).copied().unwrap_or(false)
}

/// A keyword a test tries as a name (see `tests::name_keyword_candidates`).
#[cfg(test)]
fn candidate(k: Keyword) -> bool {
    tests::CANDIDATE.with(|c| c.get() == Some(k))
}

#[cfg(not(test))]
fn candidate(_: Keyword) -> bool {
    false
}

/// A statement's significant tokens.
#[derive(Clone, Copy)]
enum Toks<'a> {
    /// All of the tokens (none is whitespace or a comment).
    Raw(&'a [TokenWithSpan]),
    Refs(&'a [&'a Token]),
}

impl<'a> Toks<'a> {
    fn get(self, i: usize) -> Option<&'a Token> {
        match self {
            Toks::Raw(t) => t.get(i).map(|t| &t.token),
            Toks::Refs(t) => t.get(i).copied(),
        }
    }

    fn len(self) -> usize {
        match self {
            Toks::Raw(t) => t.len(),
            Toks::Refs(t) => t.len(),
        }
    }
}

struct Cursor<'a> {
    toks: Toks<'a>,
    at: usize,
    /// Whether expressions may hold `[NOT] IN (...)` and `[NOT] LIKE|ILIKE` (not in `CREATE
    /// INDEX`: sqlparser rejects an index's `WHERE b IN (1, 2)`).
    in_list: bool,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn done(&self) -> bool {
        self.at == self.toks.len()
    }

    /// An unquoted keyword.
    fn is_kw(&self, k: Keyword) -> bool {
        self.is_kw_at(0, k)
    }

    /// An unquoted keyword `n` tokens ahead.
    fn is_kw_at(&self, n: usize, k: Keyword) -> bool {
        matches!(self.toks.get(self.at + n), Some(Token::Word(w)) if w.quote_style.is_none() && w.keyword == k)
    }

    fn kw(&mut self, k: Keyword) -> bool {
        let yes = self.is_kw(k);
        self.at += usize::from(yes);
        yes
    }

    /// `k` or `NOT k`.
    fn kw_after_not(&mut self, k: Keyword) -> bool {
        if self.kw(k) {
            return true;
        }
        let yes = self.is_kw_at(0, Keyword::NOT) && self.is_kw_at(1, k);
        self.at += 2 * usize::from(yes);
        yes
    }

    fn kws(&mut self, ks: &[Keyword]) -> bool {
        let start = self.at;
        if ks.iter().all(|k| self.kw(*k)) {
            return true;
        }
        self.at = start;
        false
    }

    fn token(&mut self, t: &Token) -> bool {
        let yes = self.peek() == Some(t);
        self.at += usize::from(yes);
        yes
    }

    /// A name: a double-quoted identifier, an unquoted word that is no keyword of sqlparser's,
    /// or one of the keywords common as column names that no grammar here or in sqlparser's
    /// statements reads as anything else (`NAME_KEYWORDS`; each is checked against sqlparser in
    /// every name position by a test). Other keywords take the full path.
    fn ident(&mut self) -> bool {
        let yes = match self.peek() {
            Some(Token::Word(w)) => match w.quote_style {
                None => {
                    w.keyword == Keyword::NoKeyword
                        || is_name_keyword(w.keyword)
                        || candidate(w.keyword)
                }
                Some(q) => q == '"',
            },
            _ => false,
        };
        self.at += usize::from(yes);
        yes
    }

    /// `name` or `schema.name`.
    fn name(&mut self) -> bool {
        if !self.ident() {
            return false;
        }
        if self.token(&Token::Period) {
            return self.ident();
        }
        true
    }

    /// `( name [, name]* )`
    fn name_list(&mut self) -> bool {
        if !self.token(&Token::LParen) {
            return false;
        }
        loop {
            if !self.ident() {
                return false;
            }
            if self.token(&Token::RParen) {
                return true;
            }
            if !self.token(&Token::Comma) {
                return false;
            }
        }
    }
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] [IF NOT EXISTS] [name] ON table [USING method]
/// (column [ASC|DESC] [NULLS FIRST|LAST], ...)`
fn create_index(c: &mut Cursor<'_>) -> Option<Quick> {
    c.in_list = false;
    let unique = c.kw(Keyword::UNIQUE);
    if !c.kw(Keyword::INDEX) {
        return None;
    }
    let concurrently = c.kw(Keyword::CONCURRENTLY);
    let if_not_exists = c.kws(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    if !c.kw(Keyword::ON) {
        if !c.ident() || !c.kw(Keyword::ON) {
            return None;
        }
    } else if if_not_exists {
        // `IF NOT EXISTS ON`: sqlparser takes ON as the index name
        return None;
    }
    if !c.name() {
        return None;
    }
    if c.kw(Keyword::USING) {
        let method = [
            Keyword::BTREE,
            Keyword::HASH,
            Keyword::GIN,
            Keyword::GIST,
            Keyword::SPGIST,
            Keyword::BRIN,
            Keyword::BLOOM,
        ]
        .into_iter()
        .any(|k| c.kw(k));
        if !method && !c.ident() {
            return None;
        }
    }
    if !c.token(&Token::LParen) {
        return None;
    }
    loop {
        if !expr(c, 0) {
            return None;
        }
        let _ = c.kw(Keyword::ASC) || c.kw(Keyword::DESC);
        if c.kw(Keyword::NULLS) && !(c.kw(Keyword::FIRST) || c.kw(Keyword::LAST)) {
            return None;
        }
        if c.token(&Token::RParen) {
            break;
        }
        if !c.token(&Token::Comma) {
            return None;
        }
    }
    if c.kw(Keyword::WHERE) && !expr(c, 0) {
        return None;
    }
    Some(Quick::CreateIndex {
        concurrently,
        unique,
        if_not_exists,
    })
}

/// `CREATE TABLE [IF NOT EXISTS] name (element, ...) [PARTITION BY RANGE|LIST|HASH (cols)]`,
/// each element a column (name, type, options) or a table constraint (`[CONSTRAINT name]` and
/// one of `table_constraint`'s).
fn create_table(c: &mut Cursor<'_>) -> Option<Quick> {
    let if_not_exists = c.kws(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    if !c.name() || !c.token(&Token::LParen) {
        return None;
    }
    loop {
        let ok = if c.kw(Keyword::CONSTRAINT) {
            c.ident() && table_constraint(c)
        } else if c.is_kw(Keyword::PRIMARY)
            || c.is_kw(Keyword::UNIQUE)
            || c.is_kw(Keyword::FOREIGN)
            || c.is_kw(Keyword::CHECK)
        {
            table_constraint(c)
        } else {
            c.ident() && data_type(c) && column_options(c)
        };
        if !ok {
            return None;
        }
        if c.token(&Token::RParen) {
            if c.kws(&[Keyword::PARTITION, Keyword::BY]) {
                let method = c.kw(Keyword::RANGE) || c.kw(Keyword::LIST) || c.kw(Keyword::HASH);
                if !method || !c.name_list() {
                    return None;
                }
            }
            return Some(Quick::CreateTable { if_not_exists });
        }
        if !c.token(&Token::Comma) {
            return None;
        }
    }
}

/// `DROP TABLE|INDEX|VIEW|MATERIALIZED VIEW|TYPE [IF EXISTS] name [, name]* [CASCADE|RESTRICT]`
fn drop(c: &mut Cursor<'_>) -> Option<Quick> {
    let object_type = if c.kw(Keyword::TABLE) {
        ObjectType::Table
    } else if c.kw(Keyword::INDEX) {
        ObjectType::Index
    } else if c.kw(Keyword::VIEW) {
        ObjectType::View
    } else if c.kws(&[Keyword::MATERIALIZED, Keyword::VIEW]) {
        ObjectType::MaterializedView
    } else if c.kw(Keyword::TYPE) {
        ObjectType::Type
    } else {
        return None;
    };
    let if_exists = c.kws(&[Keyword::IF, Keyword::EXISTS]);
    loop {
        if !c.name() {
            return None;
        }
        if !c.token(&Token::Comma) {
            break;
        }
    }
    let cascade = c.kw(Keyword::CASCADE);
    if !cascade {
        c.kw(Keyword::RESTRICT);
    }
    Some(Quick::Drop {
        object_type,
        if_exists,
        cascade,
    })
}

/// `ALTER TABLE [IF EXISTS] [ONLY] name action [, action]*`
fn alter_table(c: &mut Cursor<'_>) -> Option<Quick> {
    c.kws(&[Keyword::IF, Keyword::EXISTS]);
    c.kw(Keyword::ONLY);
    if !c.name() {
        return None;
    }
    loop {
        if !action(c) {
            return None;
        }
        if !c.token(&Token::Comma) {
            return Some(Quick::AlterTable);
        }
    }
}

fn action(c: &mut Cursor<'_>) -> bool {
    if c.kw(Keyword::ADD) {
        if c.kw(Keyword::CONSTRAINT) {
            return c.ident() && table_constraint(c);
        }
        if c.is_kw(Keyword::PRIMARY)
            || c.is_kw(Keyword::UNIQUE)
            || c.is_kw(Keyword::FOREIGN)
            || c.is_kw(Keyword::CHECK)
        {
            return table_constraint(c);
        }
        c.kw(Keyword::COLUMN);
        c.kws(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
        return c.ident() && data_type(c) && column_options(c);
    }
    if c.kw(Keyword::DROP) {
        if c.kw(Keyword::CONSTRAINT) {
            c.kws(&[Keyword::IF, Keyword::EXISTS]);
            if !c.ident() {
                return false;
            }
        } else {
            c.kw(Keyword::COLUMN);
            c.kws(&[Keyword::IF, Keyword::EXISTS]);
            if !c.ident() {
                return false;
            }
        }
        let _ = c.kw(Keyword::CASCADE) || c.kw(Keyword::RESTRICT);
        return true;
    }
    if c.kw(Keyword::RENAME) {
        if c.kw(Keyword::TO) {
            return c.ident();
        }
        if !c.kw(Keyword::CONSTRAINT) {
            c.kw(Keyword::COLUMN);
        }
        return c.ident() && c.kw(Keyword::TO) && c.ident();
    }
    if c.kw(Keyword::ALTER) {
        c.kw(Keyword::COLUMN);
        if !c.ident() {
            return false;
        }
        if c.kws(&[Keyword::SET, Keyword::NOT, Keyword::NULL])
            || c.kws(&[Keyword::DROP, Keyword::NOT, Keyword::NULL])
            || c.kws(&[Keyword::DROP, Keyword::DEFAULT])
        {
            return true;
        }
        if c.kws(&[Keyword::SET, Keyword::DEFAULT]) {
            return default_value(c);
        }
        if c.kw(Keyword::TYPE) || c.kws(&[Keyword::SET, Keyword::DATA, Keyword::TYPE]) {
            return data_type(c) && (!c.kw(Keyword::USING) || expr(c, 0));
        }
        return false;
    }
    if c.kws(&[Keyword::OWNER, Keyword::TO]) {
        return c.ident();
    }
    if c.kw(Keyword::ENABLE) || c.kw(Keyword::DISABLE) {
        return c.kw(Keyword::TRIGGER) && (c.kw(Keyword::ALL) || c.ident());
    }
    false
}

/// A table constraint after its optional `CONSTRAINT name`: `UNIQUE (cols)`, `PRIMARY KEY
/// (cols)`, or `CHECK (expr)` / `FOREIGN KEY (cols) REFERENCES table [(cols)] [ON DELETE|UPDATE
/// action]*`, those two optionally `NOT VALID`.
fn table_constraint(c: &mut Cursor<'_>) -> bool {
    if c.kw(Keyword::UNIQUE) || c.kws(&[Keyword::PRIMARY, Keyword::KEY]) {
        return c.name_list();
    }
    let ok = if c.kw(Keyword::CHECK) {
        check(c)
    } else {
        c.kws(&[Keyword::FOREIGN, Keyword::KEY]) && c.name_list() && references(c)
    };
    if ok {
        c.kws(&[Keyword::NOT, Keyword::VALID]);
    }
    ok
}

/// `REFERENCES table [(cols)] [ON DELETE|UPDATE action]*`
fn references(c: &mut Cursor<'_>) -> bool {
    if !c.kw(Keyword::REFERENCES) || !c.name() {
        return false;
    }
    if c.peek() == Some(&Token::LParen) && !c.name_list() {
        return false;
    }
    while c.kw(Keyword::ON) {
        if !(c.kw(Keyword::DELETE) || c.kw(Keyword::UPDATE)) {
            return false;
        }
        let ok = c.kw(Keyword::CASCADE)
            || c.kw(Keyword::RESTRICT)
            || c.kws(&[Keyword::SET, Keyword::NULL])
            || c.kws(&[Keyword::SET, Keyword::DEFAULT])
            || c.kws(&[Keyword::NO, Keyword::ACTION]);
        if !ok {
            return false;
        }
    }
    true
}

/// A column's type: a plain name (sqlparser's custom type), or one of the common built-in
/// spellings, with at most one `[]`.
fn data_type(c: &mut Cursor<'_>) -> bool {
    const PLAIN: [Keyword; 14] = [
        Keyword::TEXT,
        Keyword::INT,
        Keyword::INTEGER,
        Keyword::BIGINT,
        Keyword::SMALLINT,
        Keyword::BOOLEAN,
        Keyword::BOOL,
        Keyword::UUID,
        Keyword::JSONB,
        Keyword::JSON,
        Keyword::DATE,
        Keyword::TIMESTAMPTZ,
        Keyword::BYTEA,
        Keyword::REAL,
    ];
    let ok = if c.name()
        || PLAIN.into_iter().any(|k| c.kw(k))
        || c.kws(&[Keyword::DOUBLE, Keyword::PRECISION])
    {
        true
    } else if c.kw(Keyword::VARCHAR) || c.kws(&[Keyword::CHARACTER, Keyword::VARYING]) {
        precision(c, 1)
    } else if c.kw(Keyword::NUMERIC) || c.kw(Keyword::DECIMAL) {
        precision(c, 2)
    } else if c.kw(Keyword::TIMESTAMP) {
        precision(c, 1)
            && (!(c.kw(Keyword::WITH) || c.kw(Keyword::WITHOUT))
                || c.kws(&[Keyword::TIME, Keyword::ZONE]))
    } else {
        false
    };
    if ok && c.token(&Token::LBracket) {
        return c.token(&Token::RBracket);
    }
    ok
}

/// An optional `(n)` or, with `max` 2, `(n, m)`.
fn precision(c: &mut Cursor<'_>, max: usize) -> bool {
    if !c.token(&Token::LParen) {
        return true;
    }
    for i in 0..max {
        if !matches!(c.peek(), Some(Token::Number(n, false)) if n.bytes().all(|b| b.is_ascii_digit()))
        {
            return false;
        }
        c.at += 1;
        if c.token(&Token::RParen) {
            return true;
        }
        if i + 1 == max || !c.token(&Token::Comma) {
            return false;
        }
    }
    false
}

/// `NOT NULL`, `NULL`, `DEFAULT value`, `CHECK (expr)`, `PRIMARY KEY`, `UNIQUE`,
/// `REFERENCES ...`, `GENERATED ALWAYS|BY DEFAULT AS IDENTITY` (no sequence options), any
/// number of them.
fn column_options(c: &mut Cursor<'_>) -> bool {
    loop {
        if c.kws(&[Keyword::NOT, Keyword::NULL])
            || c.kw(Keyword::NULL)
            || c.kws(&[Keyword::PRIMARY, Keyword::KEY])
            || c.kw(Keyword::UNIQUE)
        {
            continue;
        }
        if c.kw(Keyword::DEFAULT) {
            if !default_value(c) {
                return false;
            }
            continue;
        }
        if c.kw(Keyword::CHECK) {
            if !check(c) {
                return false;
            }
            continue;
        }
        if c.is_kw(Keyword::REFERENCES) {
            if !references(c) {
                return false;
            }
            continue;
        }
        if c.kw(Keyword::GENERATED) {
            let when = c.kw(Keyword::ALWAYS) || c.kws(&[Keyword::BY, Keyword::DEFAULT]);
            if !(when && c.kws(&[Keyword::AS, Keyword::IDENTITY])) {
                return false;
            }
            continue;
        }
        return true;
    }
}

/// A default: `CURRENT_TIMESTAMP` or a simple expression (`expr`).
fn default_value(c: &mut Cursor<'_>) -> bool {
    c.kw(Keyword::CURRENT_TIMESTAMP) || expr(c, 0)
}

/// `( expr )` after CHECK.
fn check(c: &mut Cursor<'_>) -> bool {
    c.token(&Token::LParen) && expr(c, 0) && c.token(&Token::RParen)
}

/// `INSERT INTO name [(cols)] VALUES (exprs) [, (exprs)]* [ON CONFLICT [(cols)] DO NOTHING]`
fn insert(c: &mut Cursor<'_>) -> Option<Quick> {
    if !c.kw(Keyword::INTO) || !c.name() {
        return None;
    }
    if c.peek() == Some(&Token::LParen) && !c.name_list() {
        return None;
    }
    if !c.kw(Keyword::VALUES) {
        return None;
    }
    loop {
        if !c.token(&Token::LParen) || !expr_list(c, 0) || !c.token(&Token::RParen) {
            return None;
        }
        if !c.token(&Token::Comma) {
            break;
        }
    }
    if c.kws(&[Keyword::ON, Keyword::CONFLICT]) {
        if c.peek() == Some(&Token::LParen) && !c.name_list() {
            return None;
        }
        if !c.kws(&[Keyword::DO, Keyword::NOTHING]) {
            return None;
        }
    }
    Some(Quick::Dml("INSERT"))
}

/// `SET [LOCAL|SESSION] name = value` or `SET ... name TO value`, one value: a literal, a
/// number or a plain name.
fn set(c: &mut Cursor<'_>) -> Option<Quick> {
    let _ = c.kw(Keyword::LOCAL) || c.kw(Keyword::SESSION);
    if !c.ident() || !(c.token(&Token::Eq) || c.kw(Keyword::TO)) {
        return None;
    }
    // one value or a list (`SET search_path TO app, public`)
    loop {
        if !(value(c) || c.ident()) {
            return None;
        }
        if !c.token(&Token::Comma) {
            return Some(Quick::Set);
        }
    }
}

/// `UPDATE name SET col = expr [, col = expr]* [WHERE expr]`
fn update(c: &mut Cursor<'_>) -> Option<Quick> {
    if !c.name() || !c.kw(Keyword::SET) {
        return None;
    }
    loop {
        if !c.ident() || !c.token(&Token::Eq) || !expr(c, 0) {
            return None;
        }
        if !c.token(&Token::Comma) {
            break;
        }
    }
    if c.kw(Keyword::WHERE) && !expr(c, 0) {
        return None;
    }
    Some(Quick::Dml("UPDATE"))
}

/// `DELETE FROM name [WHERE expr]` (after `DELETE FROM`)
fn delete(c: &mut Cursor<'_>) -> Option<Quick> {
    if !c.name() || (c.kw(Keyword::WHERE) && !expr(c, 0)) {
        return None;
    }
    Some(Quick::Dml("DELETE"))
}

/// Nesting beyond this (parentheses, call arguments) takes the full path.
const MAX_DEPTH: u32 = 16;

/// A simple expression: operands joined by comparison, arithmetic, `||`, `AND` and `OR`, an
/// operand tested by `[NOT] IN (list)` or `[NOT] LIKE|ILIKE` (how they group does not matter
/// here: only that sqlparser reads the same tokens as one expression). No subqueries, `CASE`,
/// arrays or placeholders: those take the full path.
fn expr(c: &mut Cursor<'_>, depth: u32) -> bool {
    loop {
        if !operand(c, depth) {
            return false;
        }
        let binary = matches!(
            c.peek(),
            Some(
                Token::Eq
                    | Token::Neq
                    | Token::Lt
                    | Token::Gt
                    | Token::LtEq
                    | Token::GtEq
                    | Token::Plus
                    | Token::Minus
                    | Token::Mul
                    | Token::Div
                    | Token::StringConcat
            )
        );
        if binary {
            c.at += 1;
        } else if !(c.kw(Keyword::AND) || c.kw(Keyword::OR)) {
            return true;
        }
    }
}

/// `[NOT | -] primary [::type | IS [NOT] NULL]*`, a primary being a literal, `name` or
/// `name.name`, `f([expr, ...])` or `(expr)`.
fn operand(c: &mut Cursor<'_>, depth: u32) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    let _ = c.kw(Keyword::NOT) || c.token(&Token::Minus);
    let primary = if c.token(&Token::LParen) {
        expr(c, depth + 1) && c.token(&Token::RParen)
    } else if value(c) {
        true
    } else if c.ident() {
        if c.token(&Token::LParen) {
            c.token(&Token::RParen) || (expr_list(c, depth + 1) && c.token(&Token::RParen))
        } else {
            !c.token(&Token::Period) || c.ident()
        }
    } else {
        false
    };
    if !primary {
        return false;
    }
    loop {
        if c.token(&Token::DoubleColon) {
            if !data_type(c) {
                return false;
            }
        } else if c.kw(Keyword::IS) {
            c.kw(Keyword::NOT);
            if !c.kw(Keyword::NULL) {
                return false;
            }
        } else if c.in_list && c.kw_after_not(Keyword::IN) {
            // `[NOT] IN (expr, ...)`: a list of values, never a subquery (SELECT is no name)
            if !c.token(&Token::LParen) || !expr_list(c, depth + 1) || !c.token(&Token::RParen) {
                return false;
            }
        } else if c.in_list && (c.kw_after_not(Keyword::LIKE) || c.kw_after_not(Keyword::ILIKE)) {
            if !operand(c, depth + 1) || c.is_kw(Keyword::ESCAPE) {
                return false;
            }
        } else {
            return true;
        }
    }
}

/// `expr [, expr]*` at a nesting depth.
fn expr_list(c: &mut Cursor<'_>, depth: u32) -> bool {
    loop {
        if !expr(c, depth) {
            return false;
        }
        if !c.token(&Token::Comma) {
            return true;
        }
    }
}

/// An unsigned number, a '' string, TRUE, FALSE or NULL.
fn value(c: &mut Cursor<'_>) -> bool {
    let ok = match c.peek() {
        Some(Token::Number(n, false)) => n.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
        Some(Token::SingleQuotedString(_)) => true,
        Some(Token::Word(w)) => {
            w.quote_style.is_none()
                && matches!(w.keyword, Keyword::TRUE | Keyword::FALSE | Keyword::NULL)
        }
        _ => false,
    };
    c.at += usize::from(ok);
    ok
}

/// Where the quick path and the full path differ for one statement's text: `None` when the
/// quick path declines or both give the same operations and the same `How`.
pub fn disagreement(text: &str) -> Option<String> {
    let tokens = super::tokens::tokenize(text, 0).ok()?;
    let quick = recognise(&tokens.raw)?;
    let fast = super::lower::quick(&quick, &tokens.toks());
    let full = super::parse_statement_full(text, 0);
    if (&fast, &super::How::Sqlparser) == (&full.0, &full.1) {
        return None;
    }
    Some(format!(
        "{text:?}: the quick path ({quick:?}) gives {fast:?}, sqlparser's {full:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(sql: &str) -> Option<Quick> {
        recognise(&super::super::tokens::tokenize(sql, 0).ok()?.raw)
    }

    #[test]
    fn recognises_the_plain_forms() {
        assert_eq!(
            q(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON s.t USING btree (a DESC NULLS LAST, \"B\");"
            ),
            Some(Quick::CreateIndex {
                concurrently: true,
                unique: true,
                if_not_exists: true
            })
        );
        assert_eq!(
            q("drop table if exists a, s.b cascade"),
            Some(Quick::Drop {
                object_type: ObjectType::Table,
                if_exists: true,
                cascade: true
            })
        );
        for sql in [
            "ALTER TABLE ONLY t ADD COLUMN c character varying(20) DEFAULT 'x' NOT NULL",
            "ALTER TABLE t ADD c numeric(10, 2)[] NULL, DROP COLUMN IF EXISTS d CASCADE",
            "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id) ON DELETE SET NULL NOT VALID",
            "ALTER TABLE t RENAME COLUMN a TO b",
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0, ALTER b DROP NOT NULL",
            "ALTER TABLE t ADD COLUMN created_at timestamp(3) with time zone",
        ] {
            assert_eq!(q(sql), Some(Quick::AlterTable), "{sql}");
        }
    }

    /// Anything beyond the narrow forms takes the full path.
    #[test]
    fn declines_the_rest() {
        for sql in [
            // sqlparser rejects it (the fallback understands it)
            "DROP INDEX CONCURRENTLY i",
            "CREATE INDEX i ON t (a text_pattern_ops)",
            "CREATE INDEX i ON t (a) INCLUDE (b)",
            "CREATE INDEX i ON t (a) WHERE b IN (1, 2)",
            // a function named by a keyword of sqlparser's that is not one of NAME_KEYWORDS
            "CREATE INDEX i ON t (coalesce(a, b))",
            "CREATE INDEX i ON t (substring(a, 1, 2))",
            // a keyword as a name (not one of NAME_KEYWORDS)
            "ALTER TABLE t ADD COLUMN user text",
            "ALTER TABLE t ADD COLUMN role text",
            "CREATE INDEX i ON t (current)",
            "UPDATE t SET a = 1 WHERE end = 2",
            // beyond the simple expressions and listed clauses
            "ALTER TABLE t ADD COLUMN c int DEFAULT nextval('s'::regclass) COLLATE \"C\"",
            "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (a + 1) STORED",
            "ALTER TABLE t ADD COLUMN c text DEFAULT 'a' CHECK (c ~ 'x')",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a BETWEEN 1 AND 2)",
            "CREATE TABLE t (a int,)",
            "CREATE TABLE t (a int) PARTITION BY RANGE (a + 1)",
            "CREATE TABLE t (a int) PARTITION BY RANGE (lower(a))",
            "CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY (START WITH 10))",
            "CREATE TABLE t (a int GENERATED ALWAYS AS (b + 1) STORED)",
            "CREATE TABLE t (LIKE u)",
            "CREATE TEMP TABLE t (a int)",
            "CREATE TABLE t (a int CHECK (a = ANY (ARRAY[1])))",
            "ALTER TABLE t ALTER COLUMN c TYPE bigint COLLATE \"C\"",
            "ALTER TABLE t ALTER COLUMN c TYPE int USING CASE WHEN c THEN 1 END",
            "ALTER TABLE t OWNER TO CURRENT_USER",
            "ALTER TABLE t ENABLE ALWAYS TRIGGER x",
            "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
            "ALTER TABLE t ADD PRIMARY KEY USING INDEX i",
            "ALTER TABLE t ALTER COLUMN c SET DEFAULT (SELECT 1)",
            // two statements, trailing words
            "DROP TABLE a; DROP TABLE b",
            "DROP TABLE a b",
            // DML beyond simple expressions
            "INSERT INTO t SELECT * FROM u",
            "INSERT INTO t VALUES ((SELECT 1))",
            "INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 1",
            "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT c DO NOTHING",
            "INSERT INTO t VALUES (1) ON CONFLICT (lower(a)) DO NOTHING",
            // SET beyond one plain value, or a SET of sqlparser's own forms
            "SET search_path = a,",
            "SET search_path = a, b c",
            "SET search_path TO DEFAULT",
            "SET TIME ZONE 'UTC'",
            "SET ROLE admin",
            "SET SESSION AUTHORIZATION admin",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
            "SET standard_conforming_strings = on",
            "SET x = -1",
            "INSERT INTO t VALUES (1) RETURNING id",
            "INSERT INTO t DEFAULT VALUES",
            "INSERT INTO t VALUES ($1)",
            "UPDATE t SET a = DEFAULT",
            "UPDATE t SET a = b FROM u WHERE t.id = u.id",
            "UPDATE t SET a = 1 WHERE b IN (SELECT 1)",
            "UPDATE t SET a = 1 WHERE b IN ()",
            "UPDATE t SET a = 1 WHERE b LIKE 'x' ESCAPE '!'",
            "UPDATE t SET a = 1 WHERE b NOT",
            "UPDATE t SET a = CASE WHEN b THEN 1 END",
            "UPDATE t SET (a, b) = (1, 2)",
            "UPDATE t AS x SET a = 1",
            "DELETE FROM t USING u WHERE t.a = u.a",
            "DELETE FROM t WHERE EXISTS (SELECT 1)",
            "SELECT 1 FROM t",
            "SELECT a AS b",
            "SELECT * ",
            "SELECT ARRAY[1]",
            "SELECT 1 + ",
            "SELECT f(",
        ] {
            assert_eq!(q(sql), None, "{sql}");
        }
    }

    /// Every keyword accepted as a name, in every name position: recognised, and the same
    /// operations as sqlparser's parse.
    #[test]
    fn name_keywords_are_names_to_sqlparser_too() {
        assert!(sqlparser::keywords::ALL_KEYWORDS_INDEX.len() < KEYWORD_SLOTS);
        for &k in NAME_KEYWORDS {
            for sql in name_positions(k) {
                assert!(q(&sql).is_some(), "{sql}");
                assert_eq!(disagreement(&sql), None);
            }
        }
    }

    thread_local! {
        /// A keyword `Cursor::ident` takes as a name besides `NAME_KEYWORDS` (candidates only).
        pub static CANDIDATE: std::cell::Cell<Option<Keyword>> = const { std::cell::Cell::new(None) };
    }

    /// Which other keywords of sqlparser's would pass `name_keywords_are_names_to_sqlparser_too`
    /// (`cargo test --release --lib name_keyword_candidates -- --ignored --nocapture`): the
    /// candidates for `NAME_KEYWORDS`.
    #[test]
    #[ignore]
    fn name_keyword_candidates() {
        let mut ok = Vec::new();
        for &k in sqlparser::keywords::ALL_KEYWORDS_INDEX {
            if NAME_KEYWORDS.contains(&k) {
                continue;
            }
            CANDIDATE.with(|c| c.set(Some(k)));
            let pass = name_positions(k)
                .iter()
                .all(|sql| q(sql).is_some() && disagreement(sql).is_none());
            if pass {
                ok.push(format!("{k:?}"));
            }
        }
        CANDIDATE.with(|c| c.set(None));
        println!("{} candidates: {}", ok.len(), ok.join(" "));
    }

    /// Statements with keyword `k` in every name position of the quick grammar.
    fn name_positions(k: Keyword) -> Vec<String> {
        let w = format!("{k:?}").to_ascii_lowercase();
        vec![
            format!("CREATE UNIQUE INDEX {w} ON {w}.{w} ({w}, x DESC)"),
            format!("CREATE INDEX ON {w} ({w})"),
            format!("DROP TABLE {w}, {w}.{w}"),
            format!("DROP INDEX IF EXISTS {w}"),
            format!("ALTER TABLE {w} ADD COLUMN {w} int"),
            format!("ALTER TABLE ONLY {w}.{w} ADD {w} {w} NOT NULL"),
            format!("ALTER TABLE t ADD {w} text"),
            format!("ALTER TABLE t DROP COLUMN {w}, DROP {w} CASCADE"),
            format!("ALTER TABLE t DROP CONSTRAINT {w}"),
            format!("ALTER TABLE t RENAME COLUMN {w} TO {w}"),
            format!("ALTER TABLE t RENAME {w} TO x"),
            format!("ALTER TABLE t RENAME TO {w}"),
            format!("ALTER TABLE t RENAME CONSTRAINT {w} TO {w}"),
            format!("ALTER TABLE t ALTER COLUMN {w} SET NOT NULL"),
            format!("ALTER TABLE t ALTER {w} DROP DEFAULT"),
            format!(
                "ALTER TABLE t ADD CONSTRAINT {w} FOREIGN KEY ({w}) REFERENCES {w} ({w}) ON DELETE CASCADE"
            ),
            format!("ALTER TABLE t ADD CONSTRAINT {w} UNIQUE ({w}, x)"),
            format!("ALTER TABLE t ADD COLUMN x int REFERENCES {w} ({w})"),
            format!(
                "CREATE TABLE {w}.{w} ({w} {w} NOT NULL, x int, CONSTRAINT {w} PRIMARY KEY ({w}))"
            ),
            format!("CREATE TABLE {w} ({w} text DEFAULT f(), UNIQUE ({w}))"),
            format!("INSERT INTO {w}.{w} ({w}, x) VALUES ({w}, {w}.{w})"),
            format!("UPDATE {w} SET {w} = {w} + 1 WHERE {w} = 'x' AND {w}.{w} IS NULL"),
            format!("DELETE FROM {w} WHERE {w} = {w}({w})"),
            format!("SELECT {w}({w}::{w}), {w}"),
            format!("ALTER TABLE {w} ALTER {w} TYPE {w} USING {w}::{w}"),
            format!("ALTER TABLE {w} ALTER COLUMN {w} SET DATA TYPE {w}.{w}"),
            format!("ALTER TABLE {w} ADD PRIMARY KEY ({w}), ADD UNIQUE ({w}, x)"),
            format!("ALTER TABLE {w} ADD FOREIGN KEY ({w}) REFERENCES {w} ({w})"),
            format!("ALTER TABLE {w} OWNER TO {w}"),
            format!("ALTER TABLE {w} DISABLE TRIGGER {w}, ENABLE TRIGGER {w}"),
            format!(
                "CREATE TABLE {w} ({w} int GENERATED ALWAYS AS IDENTITY) PARTITION BY LIST ({w})"
            ),
            format!("INSERT INTO {w} ({w}) VALUES ({w}) ON CONFLICT ({w}) DO NOTHING"),
            format!("CREATE TABLE t (x int, {w} {w} DEFAULT {w} NOT NULL, y int)"),
            format!("ALTER TABLE t ADD x int, ADD {w} text, ALTER {w} SET DEFAULT {w}"),
            format!("SET {w} = {w}"),
            format!("SET LOCAL {w} TO 'x'"),
        ]
    }

    #[test]
    fn agrees_with_the_full_path() {
        for sql in [
            "INSERT INTO s.t (a, \"B\") VALUES (1, 'x'), (-2.5, NULL), (f(1, g()), 'a' || 'b')",
            "INSERT INTO t VALUES (now()::text, (1 + 2) * 3 / 4 - 5, NOT TRUE, 'x'::varchar(10)[])",
            "UPDATE t SET a = 1, b = b + 1 WHERE c IS NOT NULL AND (d = 'x' OR e <> f.g)",
            "UPDATE s.t SET a = NULL",
            "DELETE FROM t",
            "DELETE FROM s.t WHERE a >= 1 AND b <= 2 OR c != 3 AND d < 4 AND e > 5",
            "SELECT setval('s', 1, false)",
            "SELECT f(), 1, 'a'",
            "CREATE INDEX ON t (a)",
            "DROP VIEW IF EXISTS v RESTRICT",
            "ALTER TABLE t DROP CONSTRAINT IF EXISTS c",
            "ALTER TABLE t ADD COLUMN c uuid PRIMARY KEY REFERENCES u ON UPDATE CASCADE",
            "ALTER TABLE t ADD COLUMN c timestamptz DEFAULT now() NOT NULL",
            "CREATE TABLE IF NOT EXISTS s.t (id bigint PRIMARY KEY, name text NOT NULL DEFAULT '', created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP, CONSTRAINT u UNIQUE (name), FOREIGN KEY (id) REFERENCES u (id) ON DELETE CASCADE)",
            "CREATE TABLE t (a uuid DEFAULT gen_random_uuid(), PRIMARY KEY (a))",
            "CREATE INDEX i ON t (my_lower(a), (b + 1) DESC) WHERE c IS NULL AND d = 'x'",
            "CREATE UNIQUE INDEX ON t (a) WHERE NOT deleted",
            "ALTER TABLE t ADD COLUMN c int DEFAULT -1 NOT NULL CHECK (c >= -1)",
            "ALTER TABLE t ADD COLUMN c text DEFAULT 'a'::text",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0 AND b IS NOT NULL) NOT VALID",
            "ALTER TABLE t ALTER COLUMN c SET DEFAULT now()::date",
            "CREATE TABLE t (a serial CHECK (a > 0), b int DEFAULT 1 + 2, CHECK (a < b))",
            "ALTER TABLE t ALTER COLUMN c TYPE bigint",
            "ALTER TABLE t ALTER c SET DATA TYPE varchar(20), ALTER d TYPE timestamptz USING d::timestamptz",
            "ALTER TABLE t ALTER COLUMN c TYPE text USING lower_f(c) || 'x'",
            "ALTER TABLE t ADD PRIMARY KEY (a, b), ADD UNIQUE (c), ADD CHECK (d > 0) NOT VALID",
            "ALTER TABLE t ADD FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE",
            "ALTER TABLE ONLY s.t OWNER TO postgres",
            "ALTER TABLE t DISABLE TRIGGER ALL, ENABLE TRIGGER audit_log",
            "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, b int GENERATED BY DEFAULT AS IDENTITY NOT NULL)",
            "CREATE TABLE t (a int, b timestamptz NOT NULL) PARTITION BY RANGE (b)",
            "CREATE TABLE t (a int) PARTITION BY LIST (a)",
            "CREATE TABLE t (a int, b int) PARTITION BY HASH (a, b)",
            "INSERT INTO t (a) VALUES (1) ON CONFLICT DO NOTHING",
            "INSERT INTO t (a, b) VALUES (1, 2), (3, 4) ON CONFLICT (a, b) DO NOTHING",
            "SET lock_timeout = '5s'",
            "SET LOCAL statement_timeout TO 0",
            "SET SESSION search_path = myschema",
            "SET client_min_messages TO warning",
            "UPDATE t SET a = 1 WHERE b IN (1, 2) AND c NOT IN ('x') OR d LIKE 'x%'",
            "DELETE FROM t WHERE a ILIKE 'y' OR b NOT LIKE lower(c) || '%'",
            "CREATE TABLE t (s varchar(20) DEFAULT 'a' CHECK (s IN ('a', 'b')), n int)",
            "ALTER TABLE t ADD CONSTRAINT c CHECK (s NOT IN ('a') AND s IS NOT NULL)",
            "INSERT INTO t (a) VALUES ('x' LIKE 'y')",
            "SET search_path TO registry, public",
            "SET search_path = \"$user\", public, 'x'",
            "SET LOCAL search_path = a, b",
        ] {
            assert!(q(sql).is_some(), "{sql}");
            assert_eq!(disagreement(sql), None);
        }
    }
}
