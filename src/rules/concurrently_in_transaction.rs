use super::{OpCtx, Rule, TxHow, Violation, rule_doc};
use crate::ir::Op;
use crate::pg::txn;
use crate::source::layout::Layout;

pub struct ConcurrentlyInTransaction;

/// How to run a statement outside a transaction with this tool.
pub fn opt_out(layout: Layout) -> &'static str {
    match layout {
        Layout::Goose => {
            "add `-- +goose NO TRANSACTION` to a migration holding only this statement"
        }
        Layout::Dbmate => "put it in a migration of its own with `-- migrate:up transaction:false`",
        Layout::Sqlx => {
            "put it in a migration of its own whose first bytes are `-- no-transaction`"
        }
        Layout::Diesel => {
            "put it in a migration of its own with `run_in_transaction = false` in its metadata.toml"
        }
        Layout::Flyway => {
            "put it alone in a migration (Flyway then runs it without a transaction) or set `executeInTransaction=false` in its .sql.conf"
        }
        Layout::Atlas => {
            "put it in a file of its own starting with `-- atlas:txmode none` and a blank line"
        }
        Layout::Graphile => "put it alone in a migration with the `--! no-transaction` header",
        Layout::Liquibase => "put it in a changeset of its own with `runInTransaction:false`",
        Layout::OryPopx => "put it in a `.autocommit.up.sql` migration of its own",
        Layout::NodePgMigrate => {
            "SQL migrations cannot opt out: use a JS migration with `pgm.noTransaction()`"
        }
        Layout::Hasura => {
            "Hasura cannot run a migration outside a transaction: apply it by hand and record it"
        }
        Layout::Sqitch => "remove the BEGIN/COMMIT around it in the deploy script",
        Layout::Refinery => {
            "refinery cannot run a migration outside a transaction: apply it by hand"
        }
        Layout::Prisma => {
            "put it alone in a migration file of its own (Prisma 7.4.0 and later send each statement on its own, unless sqlparser, which it splits with, cannot read one of them)"
        }
        Layout::GolangMigrate | Layout::Supabase | Layout::Plain => {
            "put it alone in a migration file of its own"
        }
    }
}

impl Rule for ConcurrentlyInTransaction {
    rule_doc!("MC030-concurrently-in-transaction.md");
    fn in_function_bodies(&self) -> bool {
        true
    }

    fn check_op(&self, op: &Op, ctx: &OpCtx<'_>, out: &mut Vec<Violation>) {
        if !ctx.tx.in_block || matches!(op, Op::AlterType { .. }) {
            return;
        }
        // before one Sync (pgJDBC) the first statement runs (and commits at once)
        if let TxHow::Pipeline { first } = ctx.tx.how
            && txn::runs_in_pipeline(first, ctx.version)
        {
            return;
        }
        let Some(what) = txn::refused_in_transaction(op, ctx.version) else {
            return;
        };
        let unit = ctx.layout_unit;
        if ctx.tx.how == TxHow::FunctionBody {
            out.push(Violation {
                in_down: false,
                span: Some(ctx.statement.span),
                message: format!(
                    "{what} cannot be executed from a function or procedure: every call fails"
                ),
                label: "PostgreSQL refuses this with SQLSTATE 25001 (\"cannot be executed from a function\")".to_string(),
                help: Some(
                    "run it as a top-level statement, outside a transaction (in a migration of its own), not from a function body"
                        .to_string(),
                ),
                notes: Vec::new(),
            });
            return;
        }
        let why = match &ctx.tx.how {
            TxHow::Tool => ctx.tx_reason.to_string(),
            TxHow::Implicit => format!("the migration is sent as one multi-statement string: {}", ctx.tx_reason),
            TxHow::Pipeline { .. } => format!(
                "{}; PostgreSQL runs such a statement there only as the first (\"cannot be executed within a pipeline\")",
                ctx.tx_reason
            ),
            TxHow::Script { begin } => {
                let (line, _) = ctx.source.line_col(begin.start);
                format!("the script's own BEGIN on line {line}")
            }
            TxHow::FlywayMixed => "Flyway runs a migration without a transaction only when every statement needs it; mixed with others it fails".to_string(),
            TxHow::Batch { block } => format!(
                "{}, and PostgreSQL runs a string of several statements as one implicit transaction",
                super::batch_sender(unit.layout, ctx.source, *block)
            ),
            TxHow::DoBlock => "it is inside a DO block, which always runs as one transaction".to_string(),
            TxHow::FunctionBody | TxHow::None => return,
        };
        let help = match (&ctx.tx.how, unit.layout) {
            (TxHow::Batch { .. }, Layout::Dbmate) => {
                "put it alone in a `transaction:false` section or migration of its own: the section is one query string"
            }
            (TxHow::Batch { .. }, _) => {
                "send it alone: under NO TRANSACTION goose runs each statement (up to a line ending in `;`) and each StatementBegin/StatementEnd block as a query string of its own"
            }
            (TxHow::Pipeline { .. }, _) => {
                "make it the changeset's first statement, or put it in a changeset of its own with `runInTransaction:false`"
            }
            _ => opt_out(unit.layout),
        };
        out.push(Violation {
            in_down: false,
            span: Some(ctx.statement.span),
            message: match &ctx.tx.how {
                TxHow::Batch { .. } => format!(
                    "{what} cannot run inside a transaction block, and the block of statements around it runs as one"
                ),
                _ => format!(
                    "{what} cannot run inside a transaction block, and this migration runs in one"
                ),
            },
            label: "PostgreSQL refuses this with SQLSTATE 25001".to_string(),
            help: Some(help.to_string()),
            notes: vec![format!(
                "why it runs in a transaction ({} layout): {why}",
                unit.layout
            )],
        });
    }
}
