//! sqlparser's AST → operations. The AST decides the statement kind; names and spans come
//! from the tokens (see `fragments`), so this path and the fallback agree exactly.

use sqlparser::ast::{ObjectType, Statement};

use super::fragments::*;
use super::quick::Quick;
use super::tokens::Tok;
use crate::ir::*;

pub fn lower(stmt: &Statement, toks: &[Tok]) -> Vec<Op> {
    match stmt {
        Statement::AlterTable(_) => alter_ops(toks),
        Statement::CreateTable(ct) => {
            vec![create_table(toks, ct.query.is_some(), ct.if_not_exists)]
        }
        Statement::CreateIndex(ci) => {
            create_index_ops(toks, ci.concurrently, ci.unique, ci.if_not_exists)
        }
        Statement::Drop {
            object_type,
            if_exists,
            cascade,
            ..
        } => drop_ops(toks, object_type, *if_exists, *cascade),
        Statement::Truncate(_) => vec![truncate(toks)],
        Statement::Insert(ins) => {
            let mut ops = dml(toks, "INSERT");
            if let (Some(Op::Insert { reads, .. }), Some(q)) = (ops.first_mut(), &ins.source) {
                *reads = super::view_deps::row_sources(q);
            }
            ops
        }
        Statement::Update(_) => dml(toks, "UPDATE"),
        Statement::Delete(_) => dml(toks, "DELETE"),
        Statement::StartTransaction { .. } => vec![Op::Begin],
        // `AND CHAIN` (12+) opens the next transaction block at once
        Statement::Commit { chain: true, .. } => vec![Op::Commit, Op::Begin],
        Statement::Commit { .. } => vec![Op::Commit],
        Statement::Rollback { savepoint, chain } => {
            if savepoint.is_some() {
                vec![Op::Other {
                    kind: "ROLLBACK TO SAVEPOINT".into(),
                }]
            } else if *chain {
                vec![Op::Rollback, Op::Begin]
            } else {
                vec![Op::Rollback]
            }
        }
        Statement::Set(_) | Statement::Reset(_) => vec![set(toks)],
        Statement::Vacuum(_) => vec![vacuum(toks)],
        Statement::Lock(_) => lock_table(toks).map_or_else(Vec::new, |op| vec![op]),
        Statement::RefreshMaterializedView(_) => vec![refresh(toks)],
        Statement::CreateView(cv) => {
            let (reads, columns) = super::view_deps::view_dependencies(&cv.query);
            vec![Op::CreateView {
                name: name_after_kw(toks, "view").unwrap_or_else(|| ObjName::new("?")),
                materialized: cv.materialized,
                reads,
                columns,
            }]
        }
        Statement::CreateFunction(_) => vec![create_function(toks, false)],
        Statement::CreateProcedure { .. } => vec![create_function(toks, true)],
        Statement::CreateType { .. } => vec![Op::CreateType {
            name: name_after_kw(toks, "type").unwrap_or_else(|| ObjName::new("?")),
        }],
        Statement::AlterType(_) => vec![alter_type(toks)],
        Statement::CreateExtension(ce) => vec![Op::CreateExtension {
            name: ce.name.value.to_ascii_lowercase(),
        }],
        Statement::CreateSequence { .. } => vec![Op::CreateSequence {
            name: name_after_kw(toks, "sequence").unwrap_or_else(|| ObjName::new("?")),
        }],
        Statement::Comment { object_type, .. } => vec![Op::Comment {
            object_kind: object_type.to_string(),
        }],
        Statement::Analyze(_) => vec![Op::Analyze {
            tables: tables_after(toks, 1),
        }],
        Statement::CreateTrigger(_) | Statement::DropTrigger(_) => {
            vec![trigger_op(toks).unwrap_or_else(|| Op::Other {
                kind: statement_kind(toks),
            })]
        }
        // (DISCARD ALL cannot run in a transaction block; PLANS, SEQUENCES, TEMP can)
        Statement::Discard {
            object_type: sqlparser::ast::DiscardObject::ALL,
        } => vec![Op::Other {
            kind: "DISCARD ALL".into(),
        }],
        _ => vec![Op::Other {
            kind: statement_kind(toks),
        }],
    }
}

/// The operations of a statement `quick` recognised: the same as `lower` gives for the
/// statement sqlparser parses from the same tokens.
pub fn quick(q: &Quick, toks: &[Tok]) -> Vec<Op> {
    match q {
        Quick::CreateIndex {
            concurrently,
            unique,
            if_not_exists,
        } => create_index_ops(toks, *concurrently, *unique, *if_not_exists),
        Quick::Drop {
            object_type,
            if_exists,
            cascade,
        } => drop_ops(toks, object_type, *if_exists, *cascade),
        Quick::AlterTable => alter_ops(toks),
        Quick::CreateTable { if_not_exists } => vec![create_table(toks, false, *if_not_exists)],
        // a VALUES list reads no table (`view_deps::row_sources`)
        Quick::Dml(verb) => dml(toks, verb),
        Quick::Select => vec![Op::Other {
            kind: statement_kind(toks),
        }],
        Quick::Set => vec![set(toks)],
    }
}

fn alter_ops(toks: &[Tok]) -> Vec<Op> {
    alter_table_ops(toks).unwrap_or_else(|| {
        vec![Op::Other {
            kind: "ALTER TABLE".into(),
        }]
    })
}

fn create_index_ops(
    toks: &[Tok],
    concurrently: bool,
    unique: bool,
    if_not_exists: bool,
) -> Vec<Op> {
    create_index(toks, concurrently, unique, if_not_exists).map_or_else(
        || {
            vec![Op::Other {
                kind: "CREATE INDEX".into(),
            }]
        },
        |op| vec![op],
    )
}

fn drop_ops(toks: &[Tok], object_type: &ObjectType, if_exists: bool, cascade: bool) -> Vec<Op> {
    match object_type {
        ObjectType::Table => vec![drop_table(toks, if_exists, cascade)],
        ObjectType::Index => vec![drop_index(toks)],
        ObjectType::View | ObjectType::MaterializedView => {
            vec![drop_view(toks, if_exists, cascade)]
        }
        ObjectType::Type => vec![drop_type(toks, if_exists, cascade)],
        other => vec![Op::Other {
            kind: format!("DROP {other}"),
        }],
    }
}

/// The leading keywords of a statement, upper case (`CREATE SCHEMA`, `GRANT`).
pub fn statement_kind(toks: &[Tok]) -> String {
    let mut words = Vec::new();
    for t in toks.iter().take(4) {
        match t.keyword() {
            Some(_) => {
                let sqlparser::tokenizer::Token::Word(w) = &t.token else {
                    break;
                };
                let up = w.value.to_ascii_uppercase();
                let stop = ![
                    "CREATE",
                    "ALTER",
                    "DROP",
                    "OR",
                    "REPLACE",
                    "UNIQUE",
                    "TEMP",
                    "TEMPORARY",
                    "MATERIALIZED",
                ]
                .contains(&up.as_str());
                words.push(up);
                if stop {
                    break;
                }
            }
            None => break,
        }
    }
    if words.is_empty() {
        "UNKNOWN".to_string()
    } else {
        words.join(" ")
    }
}

/// The name after the first occurrence of `kw` (skipping IF [NOT] EXISTS).
pub fn name_after_kw(toks: &[Tok], kw: &str) -> Option<ObjName> {
    let k = toks.iter().position(|t| t.is_word(kw))?;
    let k = skip_words(toks, k + 1, &["if", "not", "exists"]);
    let k = skip_words(toks, k, &["only"]);
    name_at(toks, k).map(|(n, _, _)| n)
}

pub fn create_table(toks: &[Tok], as_select: bool, if_not_exists: bool) -> Op {
    let k = toks.iter().position(|t| t.is_word("table")).unwrap_or(1);
    let temporary = toks[..k.min(toks.len())]
        .iter()
        .any(|t| t.is_word("temp") || t.is_word("temporary"));
    let k = skip_words(toks, k + 1, &["if", "not", "exists"]);
    let Some((table, mut i)) = table_at(toks, k) else {
        return Op::Other {
            kind: "CREATE TABLE".into(),
        };
    };
    let mut partition_of = None;
    if toks.get(i).is_some_and(|t| t.is_word("partition"))
        && toks.get(i + 1).is_some_and(|t| t.is_word("of"))
        && let Some((p, j)) = table_at(toks, i + 2)
    {
        partition_of = Some(p);
        i = j;
    }
    let mut columns = Vec::new();
    let mut constraints = Vec::new();
    let mut partitioned = false;
    if !as_select
        && matches!(
            toks.get(i).map(|t| &t.token),
            Some(sqlparser::tokenizer::Token::LParen)
        )
    {
        let close = matching_paren(toks, i);
        partitioned = toks.get(close + 1).is_some_and(|t| t.is_word("partition"))
            && toks.get(close + 2).is_some_and(|t| t.is_word("by"));
        for (a, b) in split_top_level(toks, i + 1, close) {
            let el = &toks[a..b];
            if starts_table_constraint(el) {
                if let Some(c) = table_constraint(el) {
                    constraints.push(c);
                }
            } else if el.first().is_some_and(|t| t.is_word("like")) {
                continue;
            } else if let Some(c) = column_def(el) {
                columns.push(c);
            }
        }
    }
    Op::CreateTable {
        table,
        columns,
        constraints,
        if_not_exists,
        partition_of,
        as_select,
        partitioned,
        temporary,
    }
}

pub fn create_index(
    toks: &[Tok],
    concurrently: bool,
    unique: bool,
    if_not_exists: bool,
) -> Option<Op> {
    let idx = toks.iter().position(|t| t.is_word("index"))?;
    let keyword_span = toks.first()?.span.cover(toks[idx].span);
    let on = toks.iter().position(|t| t.is_word("on"))?;
    let mut name = None;
    let mut k = skip_words(toks, idx + 1, &["concurrently", "if", "not", "exists"]);
    if k < on {
        name = name_at(toks, k).map(|(n, _, _)| n.name);
        k = on;
    }
    let _ = k;
    let mut t = on + 1;
    let only = toks.get(t).is_some_and(|x| x.is_word("only"));
    if only {
        t += 1;
    }
    let (table, mut after) = table_at(toks, t)?;
    let definition = text_of(toks.get(after..).unwrap_or_default());
    if toks.get(after).is_some_and(|x| x.is_word("using")) {
        after += 2;
    }
    let (columns, _) = ident_list(toks, after);
    Some(Op::CreateIndex {
        name,
        table,
        unique,
        concurrently,
        if_not_exists,
        only,
        columns,
        definition,
        keyword_span,
    })
}

pub fn drop_table(toks: &[Tok], if_exists: bool, cascade: bool) -> Op {
    let k = skip_words(toks, 2, &["if", "exists"]);
    Op::DropTable {
        tables: table_list(toks, k),
        if_exists,
        cascade,
    }
}

/// `DROP [MATERIALIZED] VIEW [IF EXISTS] names [CASCADE | RESTRICT]`.
pub fn drop_view(toks: &[Tok], if_exists: bool, cascade: bool) -> Op {
    let materialized = toks.get(1).is_some_and(|t| t.is_word("materialized"));
    let k = skip_words(toks, if materialized { 3 } else { 2 }, &["if", "exists"]);
    Op::DropView {
        names: table_list(toks, k),
        materialized,
        if_exists,
        cascade,
    }
}

/// `DROP TYPE [IF EXISTS] names [CASCADE | RESTRICT]`.
pub fn drop_type(toks: &[Tok], if_exists: bool, cascade: bool) -> Op {
    let k = skip_words(toks, 2, &["if", "exists"]);
    Op::DropType {
        names: table_list(toks, k),
        if_exists,
        cascade,
    }
}

/// `ALTER [MATERIALIZED] VIEW [IF EXISTS] name RENAME TO new` (other ALTER VIEW forms: `None`).
pub fn rename_view(toks: &[Tok]) -> Option<Op> {
    let materialized = toks.get(1).is_some_and(|t| t.is_word("materialized"));
    let k = skip_words(toks, if materialized { 3 } else { 2 }, &["if", "exists"]);
    let (name, j) = name_at(toks, k).map(|(n, _, j)| (n, j))?;
    if toks.get(j).is_some_and(|t| t.is_word("rename"))
        && toks.get(j + 1).is_some_and(|t| t.is_word("to"))
    {
        let to = toks.get(j + 2)?.ident()?;
        return Some(Op::RenameView { name, to });
    }
    None
}

pub fn drop_index(toks: &[Tok]) -> Op {
    let k = skip_words(toks, 2, &["concurrently"]);
    let concurrently = k > 2;
    let j = skip_words(toks, k, &["if", "exists"]);
    let if_exists = j > k;
    let names = table_list(toks, j).into_iter().map(|t| t.name).collect();
    let span = toks
        .first()
        .map_or_else(Span::default, |f| f.span.cover(toks[toks.len() - 1].span));
    Op::DropIndex {
        names,
        concurrently,
        if_exists,
        span,
    }
}

/// Comma-separated names starting at `k` (stops at the first non-name).
pub fn table_list(toks: &[Tok], mut k: usize) -> Vec<TableRef> {
    let mut out = Vec::new();
    while let Some((t, j)) = table_at(toks, k) {
        if t.name.schema.is_none()
            && ["cascade", "restrict", "in", "nowait", "using"].contains(&t.name.name.as_str())
            && toks.get(k).is_some_and(|x| x.keyword().is_some())
        {
            break;
        }
        out.push(t);
        k = j;
        if matches!(
            toks.get(k).map(|t| &t.token),
            Some(sqlparser::tokenizer::Token::Mul)
        ) {
            k += 1;
        }
        if matches!(
            toks.get(k).map(|t| &t.token),
            Some(sqlparser::tokenizer::Token::Comma)
        ) {
            k += 1;
        } else {
            break;
        }
    }
    out
}

/// Names after the first `skip` tokens, skipping option words.
fn tables_after(toks: &[Tok], skip: usize) -> Vec<TableRef> {
    let mut k = skip;
    if matches!(
        toks.get(k).map(|t| &t.token),
        Some(sqlparser::tokenizer::Token::LParen)
    ) {
        k = matching_paren(toks, k) + 1;
    }
    while toks.get(k).is_some_and(|t| {
        [
            "full", "freeze", "verbose", "analyze", "analyse", "table", "only",
        ]
        .iter()
        .any(|w| t.is_word(w))
    }) {
        k += 1;
    }
    table_list(toks, k)
}

pub fn truncate(toks: &[Tok]) -> Op {
    let k = skip_words(toks, 1, &["table"]);
    let k = skip_words(toks, k, &["only"]);
    Op::Truncate {
        tables: table_list(toks, k),
    }
}

pub fn dml(toks: &[Tok], kind: &str) -> Vec<Op> {
    // skip a leading WITH ... (CTE) by finding the verb at depth 0
    let mut depth = 0i32;
    let mut verb = None;
    for (k, t) in toks.iter().enumerate() {
        match t.token {
            sqlparser::tokenizer::Token::LParen => depth += 1,
            sqlparser::tokenizer::Token::RParen => depth -= 1,
            _ => {}
        }
        if depth == 0 && t.is_word(kind) {
            verb = Some(k);
            break;
        }
    }
    let Some(v) = verb else {
        return vec![Op::Other {
            kind: kind.to_string(),
        }];
    };
    let k = match kind {
        "INSERT" => skip_words(toks, v + 1, &["into"]),
        "DELETE" => skip_words(toks, v + 1, &["from"]),
        _ => v + 1,
    };
    let k = skip_words(toks, k, &["only"]);
    let Some((table, _)) = table_at(toks, k) else {
        return vec![Op::Other {
            kind: kind.to_string(),
        }];
    };
    let has_where = toks.iter().skip(k).any(|t| t.is_word("where"));
    vec![match kind {
        "INSERT" => Op::Insert {
            table,
            reads: Vec::new(),
        },
        "UPDATE" => Op::Update { table, has_where },
        _ => Op::Delete { table, has_where },
    }]
}

pub fn set(toks: &[Tok]) -> Op {
    let reset = toks.first().is_some_and(|t| t.is_word("reset"));
    let k = skip_words(toks, 1, &["session"]);
    let local = toks.get(k).is_some_and(|t| t.is_word("local"));
    let k = skip_words(toks, k, &["local"]);
    let (name, _, after) = name_at(toks, k).unwrap_or((ObjName::new(""), Span::default(), k));
    let name = match name.schema {
        Some(s) => format!("{s}.{}", name.name),
        None => name.name,
    };
    let v = skip_words(toks, after, &["to"]);
    let v = if matches!(
        toks.get(v).map(|t| &t.token),
        Some(sqlparser::tokenizer::Token::Eq)
    ) {
        v + 1
    } else {
        v
    };
    let value = if reset {
        "DEFAULT".to_string()
    } else {
        value_text(toks.get(v..).unwrap_or(&[]))
    };
    Op::Set { name, value, local }
}

fn value_text(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match &t.token {
            sqlparser::tokenizer::Token::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn vacuum(toks: &[Tok]) -> Op {
    let span = toks.first().map_or_else(Span::default, |f| f.span);
    let mut full = toks.get(1).is_some_and(|t| t.is_word("full"));
    if matches!(
        toks.get(1).map(|t| &t.token),
        Some(sqlparser::tokenizer::Token::LParen)
    ) {
        let close = matching_paren(toks, 1);
        for (a, b) in split_top_level(toks, 2, close) {
            if toks[a].is_word("full") {
                let off = b > a + 1
                    && (toks[a + 1].is_word("false")
                        || toks[a + 1].is_word("off")
                        || matches!(&toks[a + 1].token, sqlparser::tokenizer::Token::Number(n, _) if n == "0"));
                full = !off;
            }
        }
    }
    Op::Vacuum {
        full,
        tables: tables_after(toks, 1),
        span,
    }
}

pub fn lock_table(toks: &[Tok]) -> Option<Op> {
    let span = toks.first()?.span;
    let k = skip_words(toks, 1, &["table"]);
    let k = skip_words(toks, k, &["only"]);
    let tables = table_list(toks, k);
    let mode = match toks.iter().position(|t| t.is_word("in")) {
        Some(i) => {
            let end = toks
                .iter()
                .skip(i)
                .position(|t| t.is_word("mode"))
                .map_or(toks.len(), |p| p + i);
            text_of(&toks[i + 1..end]).to_ascii_uppercase()
        }
        None => "ACCESS EXCLUSIVE".to_string(),
    };
    Some(Op::LockTable { tables, mode, span })
}

pub fn refresh(toks: &[Tok]) -> Op {
    let k = skip_words(toks, 1, &["materialized", "view"]);
    let concurrently = toks.get(k).is_some_and(|t| t.is_word("concurrently"));
    let k = skip_words(toks, k, &["concurrently"]);
    let name = name_at(toks, k).map_or_else(|| ObjName::new("?"), |(n, _, _)| n);
    let span = toks
        .first()
        .map_or_else(Span::default, |f| f.span.cover(toks[toks.len() - 1].span));
    Op::RefreshMaterializedView {
        name,
        concurrently,
        span,
    }
}

pub fn create_function(toks: &[Tok], procedure: bool) -> Op {
    let kw = if procedure { "procedure" } else { "function" };
    Op::CreateFunction {
        name: name_after_kw(toks, kw).unwrap_or_else(|| ObjName::new("?")),
        procedure,
        body: function_body(toks),
    }
}

/// The body of `CREATE FUNCTION ... AS '<body>' LANGUAGE plpgsql|sql` (options in any order,
/// outside the parameter list). A C function's `AS 'file', 'symbol'`, other languages and
/// SQL-standard `BEGIN ATOMIC` bodies give `None`.
fn function_body(toks: &[Tok]) -> Option<FunctionBody> {
    let mut depth = 0i32;
    let mut body = None;
    let mut language = None;
    for (i, t) in toks.iter().enumerate() {
        match t.token {
            sqlparser::tokenizer::Token::LParen => depth += 1,
            sqlparser::tokenizer::Token::RParen => depth -= 1,
            _ if depth != 0 => {}
            _ if t.is_word("as") => {
                let lit = toks.get(i + 1)?;
                let is_string = matches!(
                    lit.token,
                    sqlparser::tokenizer::Token::DollarQuotedString(_)
                        | sqlparser::tokenizer::Token::SingleQuotedString(_)
                );
                // `AS 'obj_file', 'link_symbol'` is a C function
                let c_style = toks
                    .get(i + 2)
                    .is_some_and(|n| matches!(n.token, sqlparser::tokenizer::Token::Comma));
                if is_string && !c_style {
                    body = Some(lit.span);
                }
            }
            _ if t.is_word("language") => {
                let l = toks.get(i + 1)?;
                language = match &l.token {
                    sqlparser::tokenizer::Token::Word(w) => Some(w.value.to_ascii_lowercase()),
                    sqlparser::tokenizer::Token::SingleQuotedString(s) => {
                        Some(s.to_ascii_lowercase())
                    }
                    _ => None,
                };
            }
            _ => {}
        }
    }
    let language = match language.as_deref()? {
        "plpgsql" => "plpgsql",
        "sql" => "sql",
        _ => return None,
    };
    Some(FunctionBody {
        span: body?,
        language,
    })
}

pub fn alter_type(toks: &[Tok]) -> Op {
    let (name, _, k) = name_at(toks, 2).unwrap_or((ObjName::new("?"), Span::default(), 2));
    let action = text_of(toks.get(k..).unwrap_or(&[]));
    let span = toks
        .first()
        .map_or_else(Span::default, |f| f.span.cover(toks[toks.len() - 1].span));
    Op::AlterType { name, action, span }
}
