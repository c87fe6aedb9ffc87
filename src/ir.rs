//! The operations rules see: a small, tool-independent description of what a statement does,
//! with the byte span of every part a diagnostic may point at. Both the sqlparser path and the
//! token-level fallback produce these.

use serde::Serialize;

/// A function or procedure body that migcheck can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionBody {
    pub span: Span,
    /// `plpgsql` or `sql`.
    pub language: &'static str,
}

/// Byte range into the source file text (after BOM removal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The same range `by` bytes further on.
    pub fn shift(&mut self, by: usize) {
        self.start += by;
        self.end += by;
    }
}

/// A column a view's query names: `table.column` (alias resolved), a bare `column` with the
/// relations of the SELECTs it appears in (innermost first: replay picks the one that has the
/// column), or every column of a table (`*`, `t.*`: expanded when the view is created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ViewColumn {
    Named {
        table: ObjName,
        column: String,
    },
    Bare {
        column: String,
        scopes: Vec<Vec<ObjName>>,
    },
    All(ObjName),
}

/// A possibly schema-qualified name, normalised as PostgreSQL would (unquoted parts folded to
/// lower case, quotes removed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjName {
    pub schema: Option<String>,
    pub name: String,
}

impl ObjName {
    pub fn new(name: impl Into<String>) -> Self {
        ObjName {
            schema: None,
            name: name.into(),
        }
    }
}

/// PostgreSQL's reserved key words (also those reserved except as a function or type name):
/// as a table or column name they must be double-quoted. Sorted.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "false",
    "fetch",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "group",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "natural",
    "not",
    "notnull",
    "null",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "outer",
    "overlaps",
    "placing",
    "primary",
    "references",
    "returning",
    "right",
    "select",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "to",
    "trailing",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
];

/// An identifier as it must be written in SQL: as is when PostgreSQL would read it back
/// unchanged (lower case letters, digits, `_`, `$`, not a reserved word), else double-quoted
/// (`"actionId"`, `"order"`), so suggested SQL names the same object.
pub fn quote_ident(name: &str) -> std::borrow::Cow<'_, str> {
    if is_plain_ident(name) {
        std::borrow::Cow::Borrowed(name)
    } else {
        let mut quoted = String::with_capacity(name.len() + 2);
        // writing to a String cannot fail
        let _ = write_quoted(&mut quoted, name);
        std::borrow::Cow::Owned(quoted)
    }
}

/// Whether PostgreSQL reads `name` back unchanged when written without quotes (see
/// `quote_ident`). Bytes, not chars: a non-ASCII byte is never plain.
fn is_plain_ident(name: &str) -> bool {
    let b = name.as_bytes();
    b.first()
        .is_some_and(|c| c.is_ascii_lowercase() || *c == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'$')
        && !is_reserved(name)
}

/// A reserved key word (`RESERVED`), looked up in a hash set: a bisection of the list was most
/// of the cost of displaying a name.
fn is_reserved(name: &str) -> bool {
    static SET: std::sync::OnceLock<crate::fasthash::FastSet<&'static str>> =
        std::sync::OnceLock::new();
    SET.get_or_init(|| RESERVED.iter().copied().collect())
        .contains(name)
}

/// Writes `name` as `quote_ident` spells it, without building a string (names are displayed
/// tens of thousands of times in a run: catalog keys, messages).
fn write_ident(out: &mut impl std::fmt::Write, name: &str) -> std::fmt::Result {
    if is_plain_ident(name) {
        out.write_str(name)
    } else {
        write_quoted(out, name)
    }
}

/// `"name"` with each `"` doubled.
fn write_quoted(out: &mut impl std::fmt::Write, name: &str) -> std::fmt::Result {
    out.write_char('"')?;
    for (k, part) in name.split('"').enumerate() {
        if k > 0 {
            out.write_str("\"\"")?;
        }
        out.write_str(part)?;
    }
    out.write_char('"')
}

/// The parts of a name as `ObjName`'s display writes it (`s.t`, `"My Schema"."T.1"`), unquoted.
pub fn unquote_qualified(text: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                if let Some(p) = parts.last_mut() {
                    p.push('"');
                }
            }
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(String::new()),
            c => {
                if let Some(p) = parts.last_mut() {
                    p.push(c);
                }
            }
        }
    }
    parts
}

impl std::fmt::Display for ObjName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.schema {
            write_ident(f, s)?;
            std::fmt::Write::write_char(f, '.')?;
        }
        write_ident(f, &self.name)
    }
}

/// A table reference in a statement, with where it was written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableRef {
    pub name: ObjName,
    pub span: Span,
}

/// How a DEFAULT expression behaves for PostgreSQL's fast-default path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DefaultKind {
    /// Literals, casts of literals, arithmetic on them, `NULL`.
    Constant,
    /// Calls to known STABLE/IMMUTABLE functions (`now()`, `current_timestamp`, ...):
    /// evaluated once per statement, eligible for the fast default on 11+.
    Stable,
    /// A call to a known VOLATILE function (`random()`, `gen_random_uuid()`, `nextval`, ...).
    Volatile { function: String },
    /// A call to a function migcheck does not know; it rewrites the table if it is volatile.
    Unknown { function: String },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefaultExpr {
    pub kind: DefaultKind,
    pub text: String,
    /// From the `DEFAULT` keyword to the end of the expression.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Generated {
    Identity,
    Stored,
    /// PostgreSQL 18 virtual generated columns (the default kind there).
    Virtual,
}

/// A column as written in CREATE TABLE or ADD COLUMN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDef {
    pub name: String,
    pub name_span: Span,
    /// The type as written, lower case (`varchar(50)`, `bigserial`, `timestamp with time zone`).
    pub ty: String,
    pub ty_span: Span,
    pub not_null: bool,
    pub not_null_span: Option<Span>,
    pub primary_key: bool,
    pub unique: bool,
    pub default: Option<DefaultExpr>,
    pub generated: Option<(Generated, Span)>,
    /// Inline `CHECK (...)` constraints.
    pub checks: Vec<Span>,
    /// Inline `REFERENCES other(col)`.
    pub references: Option<TableRef>,
}

impl ColumnDef {
    /// `serial`, `bigserial`, `smallserial` (and their `serialN` spellings).
    pub fn is_serial(&self) -> bool {
        matches!(
            self.ty.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        )
    }
}

/// A table constraint (ADD CONSTRAINT or in CREATE TABLE).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Constraint {
    pub name: Option<String>,
    pub kind: ConstraintKind,
    pub not_valid: bool,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ConstraintKind {
    /// `CHECK (expr)`; `not_null_of` is set when the expression is exactly `col IS NOT NULL`.
    Check {
        not_null_of: Option<String>,
    },
    ForeignKey {
        columns: Vec<String>,
        references: TableRef,
    },
    Unique {
        columns: Vec<String>,
        using_index: Option<String>,
    },
    PrimaryKey {
        columns: Vec<String>,
        using_index: Option<String>,
    },
    Exclude,
    /// PostgreSQL 18 `ADD CONSTRAINT name NOT NULL col`.
    NotNull {
        column: String,
    },
}

/// What a psql or migration-tool statement does, as far as rules care.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    CreateTable {
        table: TableRef,
        columns: Vec<ColumnDef>,
        constraints: Vec<Constraint>,
        if_not_exists: bool,
        /// `PARTITION OF parent`
        partition_of: Option<TableRef>,
        /// `CREATE TABLE ... AS` / `SELECT INTO`
        as_select: bool,
        /// `PARTITION BY ...`: a partitioned parent without storage of its own.
        partitioned: bool,
        /// `CREATE TEMP[ORARY] TABLE`: gone at the end of the session.
        temporary: bool,
    },
    AddColumn {
        table: TableRef,
        column: ColumnDef,
        if_not_exists: bool,
    },
    DropColumn {
        table: TableRef,
        column: String,
        if_exists: bool,
        /// `DROP COLUMN c CASCADE`: views and constraints using it go too.
        cascade: bool,
        span: Span,
    },
    AlterColumnType {
        table: TableRef,
        column: String,
        ty: String,
        using: bool,
        span: Span,
    },
    SetNotNull {
        table: TableRef,
        column: String,
        span: Span,
    },
    DropNotNull {
        table: TableRef,
        column: String,
        span: Span,
    },
    SetDefault {
        table: TableRef,
        column: String,
        span: Span,
    },
    DropDefault {
        table: TableRef,
        column: String,
        span: Span,
    },
    AddConstraint {
        table: TableRef,
        constraint: Constraint,
    },
    ValidateConstraint {
        table: TableRef,
        name: String,
        span: Span,
    },
    DropConstraint {
        table: TableRef,
        name: String,
        span: Span,
    },
    AlterConstraint {
        table: TableRef,
        name: String,
        span: Span,
    },
    RenameColumn {
        table: TableRef,
        from: String,
        to: String,
        span: Span,
    },
    RenameTable {
        table: TableRef,
        to: String,
        span: Span,
    },
    /// Any other ALTER TABLE action (SET LOGGED, OWNER TO, ATTACH PARTITION, ...), kept as text
    /// so later rules can match it without a new variant.
    AlterTableOther {
        table: TableRef,
        action: String,
        span: Span,
    },
    CreateIndex {
        name: Option<String>,
        table: TableRef,
        unique: bool,
        concurrently: bool,
        if_not_exists: bool,
        /// `ON ONLY parent`
        only: bool,
        columns: Vec<String>,
        /// Everything after the table name, as compact text (`USING btree (a) WHERE ...`):
        /// two indexes with the same text and uniqueness are equivalent.
        definition: String,
        /// From `CREATE` to `INDEX` (incl. `UNIQUE`), where `CONCURRENTLY` belongs.
        keyword_span: Span,
    },
    DropIndex {
        names: Vec<ObjName>,
        concurrently: bool,
        if_exists: bool,
        span: Span,
    },
    Reindex {
        /// INDEX, TABLE, SCHEMA, DATABASE, SYSTEM
        target_kind: String,
        name: ObjName,
        concurrently: bool,
        span: Span,
    },
    DropTable {
        tables: Vec<TableRef>,
        if_exists: bool,
        cascade: bool,
    },
    Truncate {
        tables: Vec<TableRef>,
    },
    Cluster {
        table: Option<TableRef>,
        span: Span,
    },
    Vacuum {
        full: bool,
        tables: Vec<TableRef>,
        span: Span,
    },
    Analyze {
        tables: Vec<TableRef>,
    },
    LockTable {
        tables: Vec<TableRef>,
        /// The mode as written (`ACCESS EXCLUSIVE` when omitted).
        mode: String,
        span: Span,
    },
    AlterSequence {
        name: ObjName,
        /// `AS type` (PostgreSQL 10+), as written.
        as_type: Option<String>,
    },
    CreateSequence {
        name: ObjName,
    },
    CreateStatistics {
        table: Option<TableRef>,
    },
    /// `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER ... ON table`
    CreateTrigger {
        table: TableRef,
        or_replace: bool,
    },
    /// `DROP TRIGGER [IF EXISTS] name ON table`
    DropTrigger {
        table: TableRef,
    },
    CreateEventTrigger {
        name: String,
    },
    DropEventTrigger {
        name: String,
    },
    /// `DO $$ ... $$`; the static SQL of its body is linted as statements that run now.
    Do {
        body_span: Span,
    },
    CreateFunction {
        name: ObjName,
        procedure: bool,
        /// The body's string token and its language, when it is `plpgsql` or `sql` (its static
        /// SQL is linted as statements that run when the function is called).
        body: Option<FunctionBody>,
    },
    Comment {
        object_kind: String,
    },
    /// `SET [LOCAL|SESSION] name = value`, `RESET`, `set_config(...)`.
    Set {
        name: String,
        value: String,
        local: bool,
    },
    Begin,
    Commit,
    Rollback,
    Insert {
        table: TableRef,
        /// The tables and views an `INSERT ... SELECT` reads (empty for VALUES, or when only
        /// the fallback understood it).
        reads: Vec<ObjName>,
    },
    Update {
        table: TableRef,
        has_where: bool,
    },
    Delete {
        table: TableRef,
        has_where: bool,
    },
    CreateType {
        name: ObjName,
    },
    /// `DROP TYPE [IF EXISTS] names [CASCADE]`.
    DropType {
        names: Vec<TableRef>,
        if_exists: bool,
        cascade: bool,
    },
    AlterType {
        name: ObjName,
        action: String,
        span: Span,
    },
    CreateView {
        name: ObjName,
        materialized: bool,
        /// The tables and views its query reads (CTEs and subqueries left out); empty when only
        /// the fallback understood the statement.
        reads: Vec<ObjName>,
        /// The columns its query names, as written (resolved against the catalog on replay).
        columns: Vec<ViewColumn>,
    },
    /// `DROP VIEW` / `DROP MATERIALIZED VIEW`.
    DropView {
        names: Vec<TableRef>,
        materialized: bool,
        if_exists: bool,
        cascade: bool,
    },
    /// `ALTER [MATERIALIZED] VIEW name RENAME TO to`.
    RenameView {
        name: ObjName,
        to: String,
    },
    RefreshMaterializedView {
        name: ObjName,
        concurrently: bool,
        span: Span,
    },
    CreateExtension {
        name: String,
    },
    /// A psql meta-command (`\set`, `\i`, ...).
    PsqlMeta {
        command: String,
    },
    /// Understood, and nothing a rule needs to know (SELECT, GRANT, CREATE SCHEMA, ...).
    Other {
        /// Short upper-case statement kind, e.g. `SELECT`, `GRANT`.
        kind: String,
    },
}

impl Op {
    /// The table this operation changes, when there is exactly one.
    pub fn table(&self) -> Option<&TableRef> {
        match self {
            Op::CreateTable { table, .. }
            | Op::AddColumn { table, .. }
            | Op::DropColumn { table, .. }
            | Op::AlterColumnType { table, .. }
            | Op::SetNotNull { table, .. }
            | Op::DropNotNull { table, .. }
            | Op::SetDefault { table, .. }
            | Op::DropDefault { table, .. }
            | Op::AddConstraint { table, .. }
            | Op::ValidateConstraint { table, .. }
            | Op::DropConstraint { table, .. }
            | Op::AlterConstraint { table, .. }
            | Op::RenameColumn { table, .. }
            | Op::RenameTable { table, .. }
            | Op::AlterTableOther { table, .. }
            | Op::CreateIndex { table, .. }
            | Op::CreateTrigger { table, .. }
            | Op::DropTrigger { table }
            | Op::Insert { table, .. }
            | Op::Update { table, .. }
            | Op::Delete { table, .. } => Some(table),
            _ => None,
        }
    }
}

/// Moves every span of an operation `by` bytes: a statement parsed on its own (positions from
/// its first byte) placed where it stands in its file. Every field is named (no `..`), so a
/// span added to an operation does not compile until it is moved here too.
impl Op {
    pub fn shift(&mut self, by: usize) {
        let refs = |tables: &mut Vec<TableRef>| tables.iter_mut().for_each(|t| t.shift(by));
        match self {
            Op::CreateTable {
                table,
                columns,
                constraints,
                if_not_exists: _,
                partition_of,
                as_select: _,
                partitioned: _,
                temporary: _,
            } => {
                table.shift(by);
                columns.iter_mut().for_each(|c| c.shift(by));
                constraints.iter_mut().for_each(|c| c.shift(by));
                if let Some(p) = partition_of {
                    p.shift(by);
                }
            }
            Op::AddColumn {
                table,
                column,
                if_not_exists: _,
            } => {
                table.shift(by);
                column.shift(by);
            }
            Op::DropColumn {
                table,
                column: _,
                if_exists: _,
                cascade: _,
                span,
            }
            | Op::AlterColumnType {
                table,
                column: _,
                ty: _,
                using: _,
                span,
            }
            | Op::SetNotNull {
                table,
                column: _,
                span,
            }
            | Op::DropNotNull {
                table,
                column: _,
                span,
            }
            | Op::SetDefault {
                table,
                column: _,
                span,
            }
            | Op::DropDefault {
                table,
                column: _,
                span,
            }
            | Op::ValidateConstraint {
                table,
                name: _,
                span,
            }
            | Op::DropConstraint {
                table,
                name: _,
                span,
            }
            | Op::AlterConstraint {
                table,
                name: _,
                span,
            }
            | Op::RenameColumn {
                table,
                from: _,
                to: _,
                span,
            }
            | Op::RenameTable { table, to: _, span }
            | Op::AlterTableOther {
                table,
                action: _,
                span,
            } => {
                table.shift(by);
                span.shift(by);
            }
            Op::AddConstraint { table, constraint } => {
                table.shift(by);
                constraint.shift(by);
            }
            Op::CreateIndex {
                name: _,
                table,
                unique: _,
                concurrently: _,
                if_not_exists: _,
                only: _,
                columns: _,
                definition: _,
                keyword_span,
            } => {
                table.shift(by);
                keyword_span.shift(by);
            }
            Op::DropIndex {
                names: _,
                concurrently: _,
                if_exists: _,
                span,
            }
            | Op::Reindex {
                target_kind: _,
                name: _,
                concurrently: _,
                span,
            }
            | Op::AlterType {
                name: _,
                action: _,
                span,
            }
            | Op::RefreshMaterializedView {
                name: _,
                concurrently: _,
                span,
            }
            | Op::Do { body_span: span } => span.shift(by),
            Op::DropTable {
                tables,
                if_exists: _,
                cascade: _,
            }
            | Op::Truncate { tables }
            | Op::Analyze { tables }
            | Op::DropType {
                names: tables,
                if_exists: _,
                cascade: _,
            }
            | Op::DropView {
                names: tables,
                materialized: _,
                if_exists: _,
                cascade: _,
            } => refs(tables),
            Op::Cluster { table, span } => {
                if let Some(t) = table {
                    t.shift(by);
                }
                span.shift(by);
            }
            Op::Vacuum {
                full: _,
                tables,
                span,
            }
            | Op::LockTable {
                tables,
                mode: _,
                span,
            } => {
                refs(tables);
                span.shift(by);
            }
            Op::CreateStatistics { table } => {
                if let Some(t) = table {
                    t.shift(by);
                }
            }
            Op::CreateTrigger {
                table,
                or_replace: _,
            }
            | Op::DropTrigger { table }
            | Op::Insert { table, reads: _ }
            | Op::Update {
                table,
                has_where: _,
            }
            | Op::Delete {
                table,
                has_where: _,
            } => table.shift(by),
            Op::CreateFunction {
                name: _,
                procedure: _,
                body,
            } => {
                if let Some(FunctionBody { span, language: _ }) = body {
                    span.shift(by);
                }
            }
            // no position in these
            Op::AlterSequence {
                name: _,
                as_type: _,
            }
            | Op::CreateSequence { name: _ }
            | Op::CreateEventTrigger { name: _ }
            | Op::DropEventTrigger { name: _ }
            | Op::Comment { object_kind: _ }
            | Op::Set {
                name: _,
                value: _,
                local: _,
            }
            | Op::Begin
            | Op::Commit
            | Op::Rollback
            | Op::CreateType { name: _ }
            | Op::CreateView {
                name: _,
                materialized: _,
                reads: _,
                columns: _,
            }
            | Op::RenameView { name: _, to: _ }
            | Op::CreateExtension { name: _ }
            | Op::PsqlMeta { command: _ }
            | Op::Other { kind: _ } => {}
        }
    }
}

impl TableRef {
    fn shift(&mut self, by: usize) {
        let TableRef { name: _, span } = self;
        span.shift(by);
    }
}

impl ColumnDef {
    fn shift(&mut self, by: usize) {
        let ColumnDef {
            name: _,
            name_span,
            ty: _,
            ty_span,
            not_null: _,
            not_null_span,
            primary_key: _,
            unique: _,
            default,
            generated,
            checks,
            references,
        } = self;
        name_span.shift(by);
        ty_span.shift(by);
        if let Some(s) = not_null_span {
            s.shift(by);
        }
        if let Some(DefaultExpr {
            kind: _,
            text: _,
            span,
        }) = default
        {
            span.shift(by);
        }
        if let Some((_, s)) = generated {
            s.shift(by);
        }
        checks.iter_mut().for_each(|s| s.shift(by));
        if let Some(r) = references {
            r.shift(by);
        }
    }
}

impl Constraint {
    fn shift(&mut self, by: usize) {
        let Constraint {
            name: _,
            kind,
            not_valid: _,
            span,
        } = self;
        span.shift(by);
        match kind {
            ConstraintKind::ForeignKey {
                columns: _,
                references,
            } => references.shift(by),
            ConstraintKind::Check { not_null_of: _ }
            | ConstraintKind::Unique {
                columns: _,
                using_index: _,
            }
            | ConstraintKind::PrimaryKey {
                columns: _,
                using_index: _,
            }
            | ConstraintKind::Exclude
            | ConstraintKind::NotNull { column: _ } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_reserved_and_unusual_names() {
        assert!(RESERVED.is_sorted(), "RESERVED is kept sorted");
        for w in RESERVED {
            assert_eq!(quote_ident(w), format!("\"{w}\""));
        }
        assert_eq!(quote_ident("users"), "users");
        assert_eq!(quote_ident("Users"), "\"Users\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
