//! Syntax of the attribute's arguments: a comma-separated list of `key = literal`.
//!
//! Only the shape is checked here. Whether a key exists, appears twice or has a sensible value is
//! a question of meaning for `validate`, which reports every such problem at once; a syntax error
//! stops parsing because nothing after it can be trusted.

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{Error, Ident, Lit, Token};

/// The arguments of one `#[job(…)]`, in source order, duplicates and unknown keys included.
pub(crate) struct Args {
    pub(crate) entries: Vec<Arg>,
}

/// One `key = value`.
pub(crate) struct Arg {
    /// As written, for spans and for naming an unknown key.
    pub(crate) ident: Ident,
    /// `None` for a key this version does not know.
    pub(crate) key: Option<Key>,
    pub(crate) value: Lit,
}

/// The keys `#[job]` understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Cron,
    Every,
    Tz,
    Jitter,
    Retries,
    Backoff,
    BackoffMax,
    Timeout,
    Overlap,
    CatchUp,
    CatchUpWindow,
    Queue,
    Priority,
    Name,
    OnFailure,
    Crate,
}

impl Key {
    /// In the order the documentation lists them, which is also the order of "expected one of".
    pub(crate) const ALL: [Key; 16] = [
        Key::Cron,
        Key::Every,
        Key::Tz,
        Key::Jitter,
        Key::Retries,
        Key::Backoff,
        Key::BackoffMax,
        Key::Timeout,
        Key::Overlap,
        Key::CatchUp,
        Key::CatchUpWindow,
        Key::Queue,
        Key::Priority,
        Key::Name,
        Key::OnFailure,
        Key::Crate,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Key::Cron => "cron",
            Key::Every => "every",
            Key::Tz => "tz",
            Key::Jitter => "jitter",
            Key::Retries => "retries",
            Key::Backoff => "backoff",
            Key::BackoffMax => "backoff_max",
            Key::Timeout => "timeout",
            Key::Overlap => "overlap",
            Key::CatchUp => "catch_up",
            Key::CatchUpWindow => "catch_up_window",
            Key::Queue => "queue",
            Key::Priority => "priority",
            Key::Name => "name",
            Key::OnFailure => "on_failure",
            Key::Crate => "crate",
        }
    }

    /// How the key's value looks, for messages about a missing or malformed value.
    pub(crate) fn example(self) -> &'static str {
        match self {
            Key::Cron => "cron = \"0 */5 * * * *\"",
            Key::Every => "every = \"10s\"",
            Key::Tz => "tz = \"Europe/Berlin\"",
            Key::Jitter => "jitter = \"30s\"",
            Key::Retries => "retries = 3",
            Key::Backoff => "backoff = \"1s\"",
            Key::BackoffMax => "backoff_max = \"5m\"",
            Key::Timeout => "timeout = \"30s\"",
            Key::Overlap => "overlap = \"skip\"",
            Key::CatchUp => "catch_up = \"latest\"",
            Key::CatchUpWindow => "catch_up_window = \"1h\"",
            Key::Queue => "queue = \"email\"",
            Key::Priority => "priority = 10",
            Key::Name => "name = \"billing::cleanup\"",
            Key::OnFailure => "on_failure = \"alerts::page\"",
            Key::Crate => "crate = \"crate::reexport::jobs\"",
        }
    }

    fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.name() == name)
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut entries = Vec::new();
        while !input.is_empty() {
            entries.push(input.parse()?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(Args { entries })
    }
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `parse_any` because `crate` is a keyword, and `#[job(crate = "…")]` is the usual
        // spelling for a re-export override (serde and tokio do the same).
        if !input.peek(Ident::peek_any) {
            return Err(input.error(
                "expected `key = value`, as in `#[job(cron = \"0 */5 * * * *\", retries = 3)]`",
            ));
        }
        let ident = input.call(Ident::parse_any)?;
        let name = ident.unraw().to_string();
        let key = Key::from_name(&name);
        let example = key.map_or_else(String::new, |key| format!(", as in `{}`", key.example()));
        // A missing `=` or value is reported on the key, the token that lacks it: at the end of
        // the input the only span left would be the whole attribute.
        if !input.peek(Token![=]) {
            return Err(Error::new(
                ident.span(),
                format!("expected `=` after `{name}`{example}"),
            ));
        }
        input.parse::<Token![=]>()?;
        // `Lit` also takes a leading minus sign, so `retries = -1` reaches validation, which can
        // say what range is allowed instead of "expected literal".
        let value = input.parse::<Lit>().map_err(|_| {
            let message = if example.is_empty() {
                format!("expected a literal after `{name} =`, a string or an integer")
            } else {
                format!("expected a literal after `{name} =`{example}")
            };
            if input.is_empty() {
                Error::new(ident.span(), message)
            } else {
                input.error(message)
            }
        })?;
        Ok(Arg { ident, key, value })
    }
}

/// Parses the tokens inside `#[job(…)]`.
pub(crate) fn parse(tokens: TokenStream) -> syn::Result<Args> {
    Args::parse.parse2(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn error(tokens: TokenStream) -> syn::Error {
        match parse(tokens) {
            Ok(_) => panic!("parsed"),
            Err(err) => err,
        }
    }

    fn keys(args: &Args) -> Vec<(String, Option<Key>)> {
        args.entries
            .iter()
            .map(|arg| (arg.ident.to_string(), arg.key))
            .collect()
    }

    #[test]
    fn empty_arguments_are_an_on_demand_job() {
        assert!(parse(quote!()).unwrap().entries.is_empty());
    }

    #[test]
    fn reads_every_key_in_order() {
        let args = parse(quote!(
            cron = "0 */5 * * * *",
            every = "10s",
            tz = "Europe/Berlin",
            jitter = "1s",
            retries = 3,
            backoff = "1s",
            backoff_max = "5m",
            timeout = "30s",
            overlap = "skip",
            catch_up = "all",
            catch_up_window = "1h",
            queue = "email",
            priority = 1,
            name = "cleanup",
            on_failure = "alert",
            crate = "jobs",
        ))
        .unwrap();
        let found: Vec<Option<Key>> = args.entries.iter().map(|arg| arg.key).collect();
        let expected: Vec<Option<Key>> = Key::ALL.into_iter().map(Some).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn keeps_values_as_written() {
        let args = parse(quote!(retries = 3, timeout = "30s", retries = -1)).unwrap();
        match &args.entries[0].value {
            Lit::Int(int) => assert_eq!(int.base10_digits(), "3"),
            _ => panic!("another kind of literal"),
        }
        match &args.entries[1].value {
            Lit::Str(s) => assert_eq!(s.value(), "30s"),
            _ => panic!("another kind of literal"),
        }
        match &args.entries[2].value {
            Lit::Int(int) => assert_eq!(int.base10_digits(), "-1"),
            _ => panic!("another kind of literal"),
        }
    }

    #[test]
    fn records_unknown_and_duplicate_keys_for_validation() {
        let args = parse(quote!(
            retry = 3,
            cron = "@daily",
            cron = "@hourly",
            misfire = "x"
        ))
        .unwrap();
        assert_eq!(
            keys(&args),
            [
                ("retry".to_owned(), None),
                ("cron".to_owned(), Some(Key::Cron)),
                ("cron".to_owned(), Some(Key::Cron)),
                ("misfire".to_owned(), None),
            ]
        );
    }

    #[test]
    fn accepts_a_trailing_comma() {
        assert_eq!(parse(quote!(retries = 1,)).unwrap().entries.len(), 1);
    }

    #[test]
    fn takes_the_crate_keyword_as_a_key() {
        let args = parse(quote!(crate = "my::jobs")).unwrap();
        assert_eq!(args.entries[0].key, Some(Key::Crate));
    }

    #[test]
    fn a_value_that_is_not_a_literal_stops_parsing() {
        let err = error(quote!(retries = three, cron = 5));
        assert_eq!(
            err.to_string(),
            "expected a literal after `retries =`, as in `retries = 3`"
        );
        assert_eq!(err.into_iter().count(), 1);
        let err = error(quote!(cron = SCHEDULE));
        assert_eq!(
            err.to_string(),
            "expected a literal after `cron =`, as in `cron = \"0 */5 * * * *\"`"
        );
        let err = error(quote!(color = blue));
        assert_eq!(
            err.to_string(),
            "expected a literal after `color =`, a string or an integer"
        );
        let err = error(quote!(timeout =));
        assert_eq!(
            err.to_string(),
            "expected a literal after `timeout =`, as in `timeout = \"30s\"`"
        );
    }

    #[test]
    fn a_key_without_a_value_is_a_syntax_error() {
        let err = error(quote!(retries));
        assert_eq!(
            err.to_string(),
            "expected `=` after `retries`, as in `retries = 3`"
        );
        let err = error(quote!(retries: 3));
        assert_eq!(
            err.to_string(),
            "expected `=` after `retries`, as in `retries = 3`"
        );
    }

    #[test]
    fn a_missing_comma_is_a_syntax_error() {
        let err = error(quote!(cron = "@daily" retries = 3));
        assert_eq!(err.to_string(), "expected `,`");
    }

    #[test]
    fn a_bare_literal_asks_for_key_value() {
        let err = error(quote!("0 * * * *"));
        assert!(
            err.to_string().starts_with("expected `key = value`"),
            "{err}"
        );
        let err = error(quote!(a::b = 1));
        assert_eq!(err.to_string(), "expected `=` after `a`");
    }
}
