//! temp: sqlparser parse time per statement kind
use migcheck::parse::tokens::tokenize;
use migcheck::source::text::SourceText;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let mut agg: BTreeMap<String, (usize, f64, usize)> = BTreeMap::new();
    for root in std::env::args().skip(1) {
        for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let Ok(e) = e else { continue };
            let p = e.path();
            let name = p.to_string_lossy();
            if !e.file_type().is_file() || !name.ends_with(".sql") {
                continue;
            }
            let Ok(bytes) = std::fs::read(p) else {
                continue;
            };
            let Ok(src) = SourceText::from_bytes(bytes) else {
                continue;
            };
            let split = migcheck::source::split::split(&src.text);
            for raw in &split.statements {
                let text = split.masked.get(raw.span.start..raw.span.end).unwrap_or("");
                let Ok(t) = tokenize(text, 0) else { continue };
                let toks = t.toks();
                let kind = migcheck::parse::lower::statement_kind(&toks);
                let kind = if kind == "ALTER TABLE" {
                    // action word
                    let ws: Vec<String> = toks.iter().filter_map(|t| t.ident()).collect();
                    let i = 2 + ws
                        .iter()
                        .skip(2)
                        .position(|w| {
                            [
                                "add", "drop", "alter", "rename", "set", "enable", "disable",
                                "owner", "attach", "detach", "validate",
                            ]
                            .contains(&w.to_ascii_lowercase().as_str())
                        })
                        .unwrap_or(0);
                    format!(
                        "ALTER TABLE {}",
                        ws.get(i)
                            .map(|s| s.to_ascii_uppercase())
                            .unwrap_or_default()
                    )
                } else {
                    kind
                };
                let start = Instant::now();
                for _ in 0..5 {
                    let t = tokenize(text, 0).unwrap();
                    let d = PostgreSqlDialect {};
                    let mut parser = Parser::new(&d).with_tokens_with_locations(t.raw);
                    let _ = std::hint::black_box(parser.parse_statements());
                }
                let el = start.elapsed().as_secs_f64() / 5.0;
                let a = agg.entry(kind).or_default();
                a.0 += 1;
                a.1 += el;
                a.2 += text.len();
            }
        }
    }
    let mut v: Vec<_> = agg.into_iter().collect();
    v.sort_by(|a, b| b.1.1.partial_cmp(&a.1.1).unwrap());
    let tot: f64 = v.iter().map(|x| x.1.1).sum();
    println!("total {:.3}s", tot);
    for (k, (n, t, b)) in v.iter().take(40) {
        println!(
            "{:>8.1}ms {:>5.1}% {:>6} stmts {:>9} bytes  {}",
            t * 1e3,
            t / tot * 100.0,
            n,
            b,
            k
        );
    }
}
