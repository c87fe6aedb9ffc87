use super::{Rule, StmtCtx, Violation, rule_doc};
use crate::parse::How;

pub struct UnparsedStatement;

impl Rule for UnparsedStatement {
    rule_doc!("MC001-unparsed-statement.md");

    fn check_statement(&self, ctx: &StmtCtx<'_>, out: &mut Vec<Violation>) {
        let How::Unparsed { message, at } = &ctx.statement.how else {
            return;
        };
        if ctx.statement.dynamic > 0 {
            out.push(Violation {
                in_down: false,
                span: Some(*at),
                message: match ctx.statement.dynamic {
                    n if n > 1 => format!("`EXECUTE` of computed strings inside a DO block ({n} in it): migcheck cannot see the SQL they run, so it was not checked"),
                    _ => "`EXECUTE` of a computed string inside a DO block: migcheck cannot see the SQL it runs, so it was not checked".to_string(),
                },
                label: "dynamic SQL".to_string(),
                help: Some("review what it runs by hand (its locks, rewrites and scans), or write the statements out when they are known".to_string()),
                notes: Vec::new(),
            });
            return;
        }
        if ctx.statement.in_body {
            return; // PL/pgSQL constructs inside DO bodies are not SQL statements
        }
        if ctx.statement.unterminated {
            return; // unterminated-token (MC003) already explains it
        }
        let mut notes = vec![format!("sqlparser: {message}")];
        if ctx.statement.templated {
            notes
                .push("this statement contains template syntax, masked before parsing".to_string());
        }
        out.push(Violation {
            in_down: false,
            span: Some(*at),
            message: "statement not understood, so it was not checked".to_string(),
            label: "parsing stopped here".to_string(),
            help: None,
            notes,
        });
    }
}
