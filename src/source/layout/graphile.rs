//! graphile-migrate: `migrations/committed/<NNNNNN>[-slug].sql` (immutable, hash-chained) and
//! `migrations/current.sql` (the pending migration, linted last). No down. Wrapped in a
//! transaction unless its body starts with `--! no-transaction`.

use super::*;

pub fn units(ctx: &DirCtx<'_>) -> Vec<Unit> {
    let mut out = Vec::new();
    for f in ctx.files {
        let name = file_name(f);
        let parent = f.parent().map(file_name).unwrap_or_default();
        let order = if parent == "committed" && !leading_digits(&name).is_empty() {
            format!("0/{name}")
        } else if name == "current.sql" || parent == "current" {
            format!("1/{}", ctx.rel(f))
        } else {
            continue;
        };
        let text = ctx.text(f);
        let (tx, reason) = if no_transaction(&text) {
            // `pgClient.query(body)` without values: node-postgres's simple query protocol,
            // so a body of several statements is still one implicit transaction
            (
                TxMode::Implicit,
                "`--! no-transaction`: no BEGIN, but graphile-migrate sends the migration as one query string (one implicit transaction)",
            )
        } else {
            (
                TxMode::Transaction,
                "graphile-migrate wraps each migration in a transaction",
            )
        };
        out.push(Unit::new(
            Layout::Graphile,
            name.trim_end_matches(".sql").to_string(),
            order,
            Some(Part::file(f.clone())),
            Down::None,
            tx,
            reason,
        ));
    }
    out
}

/// Whether graphile-migrate runs a migration without its transaction: the first line of the
/// body starts with `--!`, optional blanks and the word `no-transaction` (`header.ts`,
/// `isNoTransactionDefined`, case as written). The body is what follows the `--! Key: value`
/// header lines (a capital letter after `--! `), trimmed (`migration.ts`,
/// `parseMigrationText`): in a committed migration, after the headers and a blank line.
fn no_transaction(text: &str) -> bool {
    let mut rest = text;
    while let Some(line) = rest.split('\n').next() {
        let header = line
            .strip_prefix("--! ")
            .and_then(|h| h.bytes().next())
            .is_some_and(|b| b.is_ascii_uppercase());
        if !header {
            break;
        }
        rest = rest.get(line.len() + 1..).unwrap_or("");
    }
    let first = rest.trim_start().split('\n').next().unwrap_or("");
    first
        .strip_prefix("--!")
        .map(|r| r.trim_start_matches([' ', '\t', '\r', '\x0b', '\x0c']))
        .and_then(|r| r.strip_prefix("no-transaction"))
        .is_some_and(|r| {
            !r.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::no_transaction;

    #[test]
    fn no_transaction_is_the_first_line_of_the_body() {
        let yes = [
            "--! no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            // a committed migration: headers, a blank line, then the body
            "--! Previous: sha1:aaa\n--! Hash: sha1:bbb\n\n--! no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n",
            "--! Previous: -\n--! Hash: sha1:bbb\n--! Message: add index\n\n\n  --!no-transaction  \nSELECT 1;\n",
        ];
        let no = [
            "CREATE INDEX i ON t (a);\n--! no-transaction\n",
            "--! Previous: -\n--! Hash: sha1:bbb\n\n-- a comment first\n--! no-transaction\n",
            "--! No-transaction\nSELECT 1;\n",
            "--! no-transactions\nSELECT 1;\n",
            "-- ! no-transaction\nSELECT 1;\n",
            "",
        ];
        for t in yes {
            assert!(no_transaction(t), "{t:?}");
        }
        for t in no {
            assert!(!no_transaction(t), "{t:?}");
        }
    }
}
