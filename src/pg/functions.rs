//! Volatility of built-in and common extension functions, as `pg_proc.provolatile` reports it.
//! It decides whether `ADD COLUMN ... DEFAULT f()` can use the fast default (11+) or must
//! rewrite the table (volatile: evaluated once per row).

/// `pg_proc.provolatile = 'v'` (and the extension functions people use as defaults).
pub const VOLATILE: &[&str] = &[
    "random",
    "random_normal",
    "clock_timestamp",
    "timeofday",
    "gen_random_uuid",
    "uuidv4",
    "uuidv7",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "nextval",
    "setval",
    "currval",
    "lastval",
    "setseed",
    "gen_random_bytes",
    "gen_salt",
    "uuid_generate_v7",
];

/// Immutable or stable: evaluated once for the whole statement, so the fast default applies.
pub const NON_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "current_user",
    "session_user",
    "current_setting",
    "current_schema",
    "to_timestamp",
    "to_date",
    "to_char",
    "date_trunc",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "lower",
    "upper",
    "concat",
    "md5",
    "length",
    // not "timezone": its (text, timetz) overload is VOLATILE on 10-14 (tests/oracle.rs found it), and
    // a name alone cannot tell the overloads apart
    "uuid_nil",
    "uuid_ns_url",
    "uuid_ns_dns",
    "row",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volatility {
    /// Immutable or stable.
    NonVolatile,
    Volatile,
    Unknown,
}

/// The volatility of a function by its (unqualified, case-insensitive) name.
pub fn volatility(name: &str) -> Volatility {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('.').next().unwrap_or(&lower);
    if VOLATILE.contains(&base) {
        Volatility::Volatile
    } else if NON_VOLATILE.contains(&base) {
        Volatility::NonVolatile
    } else {
        Volatility::Unknown
    }
}

/// SQL keywords that are function calls without parentheses (all stable).
pub fn is_niladic_stable_keyword(word: &str) -> bool {
    [
        "current_timestamp",
        "current_date",
        "current_time",
        "localtimestamp",
        "localtime",
        "current_user",
        "session_user",
        "current_role",
        "current_catalog",
        "current_schema",
        "user",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        assert_eq!(volatility("now"), Volatility::NonVolatile);
        assert_eq!(
            volatility("pg_catalog.gen_random_uuid"),
            Volatility::Volatile
        );
        assert_eq!(volatility("Random"), Volatility::Volatile);
        assert_eq!(volatility("my_func"), Volatility::Unknown);
        assert!(is_niladic_stable_keyword("CURRENT_TIMESTAMP"));
    }
}
