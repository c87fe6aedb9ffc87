//! PostgreSQL type names as written in migrations, normalised (`character varying(50)` →
//! `varchar(50)`, `int` → `integer`), and what `ALTER COLUMN ... TYPE` costs between two of them:
//! each type change maps to a measured row of `facts.tsv`.

/// A normalised type: base name, type modifiers, array dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgType {
    pub base: String,
    pub mods: Vec<u32>,
    pub array: bool,
}

impl std::fmt::Display for PgType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)?;
        if !self.mods.is_empty() {
            let m: Vec<String> = self.mods.iter().map(u32::to_string).collect();
            write!(f, "({})", m.join(","))?;
        }
        if self.array {
            f.write_str("[]")?;
        }
        Ok(())
    }
}

/// Normalises a type as written (lower case, `text_of` spacing from the parser).
pub fn normalize(written: &str) -> PgType {
    let mut t = written.trim().to_ascii_lowercase();
    let array = t.ends_with("[]") || t.starts_with('_');
    while t.ends_with("[]") {
        t.truncate(t.len() - 2);
        t = t.trim_end().to_string();
    }
    // strip a schema qualification of built-ins
    if let Some(rest) = t.strip_prefix("pg_catalog.") {
        t = rest.to_string();
    }
    let (name, mods) = match t.find('(') {
        Some(p) => {
            let close = t.rfind(')').unwrap_or(t.len());
            let inner = &t[p + 1..close.max(p + 1)];
            let mods: Vec<u32> = inner
                .split(',')
                .filter_map(|m| m.trim().parse().ok())
                .collect();
            // `timestamp(3) with time zone`: keep the words after the modifier
            let after = t.get(close + 1..).unwrap_or("").trim();
            (
                format!("{} {}", t[..p].trim(), after).trim().to_string(),
                mods,
            )
        }
        None => (t.clone(), Vec::new()),
    };
    let base = match name.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer",
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint",
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint",
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "char",
        "decimal" | "numeric" => "numeric",
        "bool" | "boolean" => "boolean",
        "float8" | "double precision" => "double precision",
        "float4" | "real" => "real",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "time" | "time without time zone" => "time",
        "timetz" | "time with time zone" => "timetz",
        other => other,
    }
    .to_string();
    PgType { base, mods, array }
}

/// The names of PostgreSQL's own types (lower case, sorted), see `is_builtin`.
const BUILTIN_TYPES: &[&str] = &[
    "bigint",
    "bigserial",
    "bit",
    "bit varying",
    "bool",
    "boolean",
    "box",
    "bpchar",
    "bytea",
    "char",
    "character",
    "character varying",
    "cidr",
    "circle",
    "date",
    "daterange",
    "decimal",
    "double precision",
    "float",
    "float4",
    "float8",
    "inet",
    "int",
    "int2",
    "int4",
    "int4range",
    "int8",
    "int8range",
    "integer",
    "interval",
    "json",
    "jsonb",
    "line",
    "lseg",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "numeric",
    "numrange",
    "oid",
    "path",
    "point",
    "polygon",
    "real",
    "serial",
    "serial2",
    "serial4",
    "serial8",
    "smallint",
    "smallserial",
    "text",
    "time",
    "time with time zone",
    "time without time zone",
    "timestamp",
    "timestamp with time zone",
    "timestamp without time zone",
    "timestamptz",
    "timetz",
    "tsquery",
    "tsrange",
    "tstzrange",
    "tsvector",
    "uuid",
    "varbit",
    "varchar",
    "xml",
];

/// PostgreSQL's own types, written unqualified: they resolve to `pg_catalog` (searched before
/// the schemas of the search path), so no migration's `ALTER TYPE`/`DROP TYPE` is about them.
/// (The catalog leaves them out of its type users: nearly every column has one.)
/// `BUILTIN_TYPES` is sorted: binary search.
pub fn is_builtin(ty: &str) -> bool {
    let mut t = ty.trim();
    while let Some(x) = t.strip_suffix("[]") {
        t = x.trim_end();
    }
    // unquoted only: a quoted name keeps its case and could be anything
    if t.contains('"') {
        return false;
    }
    // `varchar(255)`, `timestamp(3) with time zone`: the name around its modifier
    let (head, after) = match t.split_once('(') {
        Some((head, rest)) => (
            head.trim(),
            rest.split_once(')').map_or("", |(_, a)| a.trim()),
        ),
        None => (t, ""),
    };
    // the name in lower case on the stack (the longest built-in name is 27 bytes)
    let mut buf = [0u8; 32];
    let mut n = 0;
    let parts = [head.as_bytes(), b" ", after.as_bytes()];
    let used = if after.is_empty() {
        &parts[..1]
    } else {
        &parts[..]
    };
    for b in used.iter().flat_map(|p| p.iter()) {
        let Some(slot) = buf.get_mut(n) else {
            return false;
        };
        *slot = b.to_ascii_lowercase();
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).is_ok_and(|name| BUILTIN_TYPES.binary_search(&name).is_ok())
}

/// The measured operation (`facts.tsv` op id) that `ALTER COLUMN ... TYPE from → to` is, when
/// migcheck has measured that kind of change. `utc`: the migration session's TimeZone is UTC.
pub fn type_change_fact(from: &PgType, to: &PgType, utc: bool) -> Option<&'static str> {
    if from == to {
        return Some("type_same_type");
    }
    if from.array != to.array {
        return None;
    }
    let (f, t) = (from.base.as_str(), to.base.as_str());
    Some(match (f, t) {
        ("varchar", "varchar") => match (from.mods.first(), to.mods.first()) {
            (Some(a), Some(b)) if b >= a => "type_varchar50_to_varchar100",
            (Some(_), Some(_)) => "type_varchar50_to_varchar20",
            (Some(_), None) => "type_varchar50_to_varchar_unbounded",
            (None, None) => "type_same_type",
            (None, Some(_)) => "type_text_to_varchar100",
        },
        ("varchar", "text") => "type_varchar50_to_text",
        ("text", "varchar") if to.mods.is_empty() => "type_text_to_varchar_unbounded",
        ("text", "varchar") => "type_text_to_varchar100",
        ("numeric", "numeric") => match (from.mods.as_slice(), to.mods.as_slice()) {
            (_, []) => "type_numeric_10_2_to_numeric",
            ([p1, s1], [p2, s2]) if s1 == s2 && p2 >= p1 => "type_numeric_10_2_to_12_2",
            ([p1], [p2]) if p2 >= p1 => "type_numeric_10_2_to_12_2",
            ([p1, s1], [p2, s2]) if s1 == s2 && p2 < p1 => "type_numeric_10_2_to_8_2",
            _ => "type_numeric_10_2_to_12_4",
        },
        ("timestamp", "timestamptz") if utc => "type_timestamp_to_timestamptz_utc",
        ("timestamp", "timestamptz") => "type_timestamp_to_timestamptz_nonutc",
        ("timestamptz", "timestamp") if utc => "type_timestamptz_to_timestamp_utc",
        ("timestamptz", "timestamp") => "type_timestamptz_to_timestamp_nonutc",
        ("integer" | "smallint", "bigint") | ("smallint", "integer") => "type_int_to_bigint",
        ("integer" | "smallint" | "bigint", "text" | "varchar") => "type_int_to_text",
        _ => return None,
    })
}

/// Documented binary-coercible pairs that were not measured (PostgreSQL docs: ALTER TABLE notes,
/// `pg_cast` with `castmethod = 'b'`): no rewrite.
pub fn binary_coercible(from: &PgType, to: &PgType) -> bool {
    // same type with a larger or removed type modifier: the length-coercion function's planner
    // support makes the cast a no-op (timestamp(3) -> timestamp, bit varying(8) -> (16), ...)
    let typmod_widening = from.base == to.base
        && from.array == to.array
        && matches!(
            from.base.as_str(),
            "timestamp" | "timestamptz" | "time" | "timetz" | "interval" | "bit varying" | "varbit"
        )
        && match (from.mods.first(), to.mods.first()) {
            (_, None) => true,
            (Some(a), Some(b)) => b >= a,
            (None, Some(_)) => false,
        };
    typmod_widening
        || matches!(
            (from.base.as_str(), to.base.as_str()),
            ("cidr", "inet") | ("xml", "text") | ("char", "text") | ("char", "varchar")
        ) && from.array == to.array
            && to.mods.is_empty()
}

/// What `ALTER COLUMN ... TYPE to` does to the table when the column is `from`: (rewrites,
/// rebuilds the column's indexes, the fact id when measured). A `USING` expression (other than
/// the plain column, which the parser does not count) always rewrites; an unknown current type
/// is assumed to rewrite.
pub fn type_change_effect(
    from: Option<&PgType>,
    to: &PgType,
    using: bool,
    utc: bool,
    version: super::PgVersion,
) -> (bool, bool, Option<&'static str>) {
    // a USING expression other than the column itself is computed for every row, even when
    // the type does not change (`USING col::text::new_enum` after an enum swap)
    let Some(from) = from.filter(|_| !using) else {
        return (true, true, None);
    };
    let fact = type_change_fact(from, to, utc);
    match fact.and_then(|id| super::facts::lookup_op(id, version)) {
        Some(r) => (r.rewrites, r.rebuilds_indexes, fact),
        None if binary_coercible(from, to) => (false, false, None),
        None => (true, true, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_types() {
        assert!(
            BUILTIN_TYPES.is_sorted(),
            "binary search needs BUILTIN_TYPES sorted"
        );
        for t in [
            "text",
            "TEXT",
            "varchar(255)",
            "character varying(50)",
            "timestamp(3) with time zone",
            "timestamptz",
            "integer[]",
            "numeric(10, 2)",
            "double precision",
            "uuid [] ",
        ] {
            assert!(is_builtin(t), "{t}");
        }
        for t in [
            "mood",
            "public.text",
            "\"text\"",
            "my_enum[]",
            "citext",
            "texts",
            "tex",
            "timestamp(3) with local zone",
            "",
            "(",
        ] {
            assert!(!is_builtin(t), "{t}");
        }
    }

    #[test]
    fn normalises() {
        assert_eq!(
            normalize("character varying(50)").to_string(),
            "varchar(50)"
        );
        assert_eq!(normalize("int").to_string(), "integer");
        assert_eq!(normalize("numeric(10,2)").mods, vec![10, 2]);
        assert_eq!(normalize("timestamp with time zone").base, "timestamptz");
        assert_eq!(normalize("timestamp(3) with time zone").base, "timestamptz");
        assert_eq!(normalize("text[]").to_string(), "text[]");
        assert_eq!(normalize("bigserial").base, "bigint");
    }

    #[test]
    fn maps_to_measured_changes() {
        let f = |a: &str, b: &str| type_change_fact(&normalize(a), &normalize(b), false);
        assert_eq!(
            f("varchar(50)", "varchar(100)"),
            Some("type_varchar50_to_varchar100")
        );
        assert_eq!(
            f("varchar(50)", "character varying(20)"),
            Some("type_varchar50_to_varchar20")
        );
        assert_eq!(f("varchar(50)", "text"), Some("type_varchar50_to_text"));
        assert_eq!(f("text", "varchar(10)"), Some("type_text_to_varchar100"));
        assert_eq!(
            f("numeric(10,2)", "numeric(12,2)"),
            Some("type_numeric_10_2_to_12_2")
        );
        assert_eq!(
            f("numeric(10,2)", "numeric(12,4)"),
            Some("type_numeric_10_2_to_12_4")
        );
        assert_eq!(f("int", "bigint"), Some("type_int_to_bigint"));
        assert_eq!(f("int4", "integer"), Some("type_same_type"));
        assert_eq!(
            type_change_fact(&normalize("timestamp"), &normalize("timestamptz"), true),
            Some("type_timestamp_to_timestamptz_utc")
        );
        assert_eq!(f("uuid", "text"), None);
        assert!(binary_coercible(
            &normalize("timestamp(3)"),
            &normalize("timestamp")
        ));
        assert!(binary_coercible(
            &normalize("timestamp(3) with time zone"),
            &normalize("timestamptz(6)")
        ));
        assert!(!binary_coercible(
            &normalize("timestamp(6)"),
            &normalize("timestamp(3)")
        ));
        for id in [
            "type_varchar50_to_varchar100",
            "type_varchar50_to_varchar20",
            "type_varchar50_to_varchar_unbounded",
            "type_same_type",
            "type_text_to_varchar100",
            "type_varchar50_to_text",
            "type_text_to_varchar_unbounded",
            "type_numeric_10_2_to_numeric",
            "type_numeric_10_2_to_12_2",
            "type_numeric_10_2_to_8_2",
            "type_numeric_10_2_to_12_4",
            "type_timestamp_to_timestamptz_utc",
            "type_timestamp_to_timestamptz_nonutc",
            "type_timestamptz_to_timestamp_utc",
            "type_timestamptz_to_timestamp_nonutc",
            "type_int_to_bigint",
            "type_int_to_text",
        ] {
            assert!(!crate::pg::facts::rows_of(id).is_empty(), "{id}");
        }
    }
}
