//! Parse coverage over a directory: `cargo run --release --example coverage -- DIR...`
use migcheck::parse::{How, parse_source};
use migcheck::source::text::SourceText;
use std::collections::BTreeMap;

fn main() {
    let mut totals = BTreeMap::new();
    let mut samples: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for root in std::env::args().skip(1) {
        for e in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let Ok(e) = e else { continue };
            let p = e.path();
            let name = p.to_string_lossy();
            if !e.file_type().is_file()
                || !(name.ends_with(".sql") || name.ends_with(".sql.postgres"))
            {
                continue;
            }
            let Ok(bytes) = std::fs::read(p) else {
                continue;
            };
            let Ok(src) = SourceText::from_bytes(bytes) else {
                continue;
            };
            let parsed = parse_source(&src.text);
            for s in &parsed.statements {
                let k = match &s.how {
                    How::Sqlparser => "sqlparser",
                    How::Fallback => "fallback",
                    How::KindOnly => "kind-only",
                    How::PsqlMeta => "meta",
                    How::Unparsed { .. } => {
                        if s.templated {
                            "unparsed-templated"
                        } else {
                            "unparsed"
                        }
                    }
                };
                *totals.entry(k).or_insert(0usize) += 1;
                if let How::Unparsed { message, .. } = &s.how {
                    let text: String = src
                        .slice(s.span)
                        .chars()
                        .take(110)
                        .collect::<String>()
                        .replace('\n', " ");
                    samples
                        .entry(message.chars().take(60).collect())
                        .or_default()
                        .push(format!("{}: {}", name, text));
                } else if matches!(s.how, How::Fallback) && std::env::var("SHOW_FALLBACK").is_ok() {
                    let text: String = src
                        .slice(s.span)
                        .chars()
                        .take(80)
                        .collect::<String>()
                        .replace('\n', " ");
                    println!("FB {text}");
                }
            }
        }
    }
    println!("{totals:?}");
    let mut v: Vec<_> = samples.into_iter().collect();
    v.sort_by_key(|(_, s)| std::cmp::Reverse(s.len()));
    for (m, s) in v.iter().take(40) {
        println!("{:4} {m}\n      {}", s.len(), s[0]);
    }
}
