//! Meaning: what the arguments say, whether they make sense together, and whether the function
//! is one the runtime can call.
//!
//! Every problem found here is collected, so that a user sees all of them in one compile instead
//! of fixing one, recompiling and meeting the next. Schedules, durations and zones are read with
//! `jobs-schedule`, the same code the runtime evaluates them with.

use crate::args::{Arg, Args, Key};
use jobs_schedule::Schedule;
use proc_macro2::{Delimiter, Group, Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream, Parser};
use syn::{
    Attribute, Error, FnArg, GenericArgument, Ident, Lit, LitStr, Pat, Path, PathArguments,
    ReturnType, Signature, Token, Type, Visibility,
};

/// The runtime's defaults, repeated here because a proc-macro crate cannot depend on the runtime
/// that re-exports it; they are written into every `JobDef`, so the runtime never guesses.
const DEFAULT_BACKOFF_MS: u64 = 1_000;
const DEFAULT_BACKOFF_MAX_MS: u64 = 300_000;

/// A valid `#[job(…)]`: everything the expansion writes into the `JobDef`.
pub(crate) struct Job {
    /// `None`: `module_path!()::fn_name`, which only the compiler knows.
    pub(crate) name: Option<String>,
    pub(crate) schedule: JobSchedule,
    pub(crate) retries: u32,
    pub(crate) backoff_ms: u64,
    pub(crate) backoff_max_ms: u64,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) jitter_ms: Option<u64>,
    pub(crate) overlap: Overlap,
    pub(crate) catch_up: CatchUp,
    /// `None`: one tick period, at most an hour, which the runtime computes from the schedule.
    pub(crate) catch_up_window_ms: Option<u64>,
    /// `None`: `"default"`.
    pub(crate) queue: Option<String>,
    pub(crate) priority: i16,
    /// Spanned on the user's string, so an unresolved or mistyped handler is reported there.
    pub(crate) on_failure: Option<Path>,
    /// `None`: `::jobs_runtime`.
    pub(crate) krate: Option<Path>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobSchedule {
    OnDemand,
    /// The expression as written (the runtime parses it again with the same grammar) and the
    /// canonical IANA name of its zone.
    Cron {
        expr: String,
        tz: &'static str,
    },
    Every {
        millis: u64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overlap {
    Skip,
    Queue,
    Allow,
    Replace,
}

impl Overlap {
    const ALL: [(&'static str, Overlap); 4] = [
        ("skip", Overlap::Skip),
        ("queue", Overlap::Queue),
        ("allow", Overlap::Allow),
        ("replace", Overlap::Replace),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CatchUp {
    None,
    Latest,
    All,
}

impl CatchUp {
    const ALL: [(&'static str, CatchUp); 3] = [
        ("none", CatchUp::None),
        ("latest", CatchUp::Latest),
        ("all", CatchUp::All),
    ];
}

/// The function under the attribute, body left unparsed: the expansion only needs the signature,
/// and a body syn cannot parse (newer syntax, an unstable feature) must not stop a valid job.
pub(crate) struct Function {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    /// The typed parameters, in order.
    pub(crate) params: Vec<Param>,
}

/// One parameter of the job function.
pub(crate) struct Param {
    pub(crate) ty: Type,
    /// `Some(name)` for a payload parameter, `None` for an extractor.
    pub(crate) payload: Option<Ident>,
}

/// Collects errors so that all of them are reported at once.
#[derive(Default)]
struct Errors(Option<Error>);

impl Errors {
    fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

/// A key as given: the argument (for spans) and its value, `None` when the value was invalid and
/// its error already recorded.
type Given<'a, T> = Option<(&'a Arg, Option<T>)>;

#[derive(Default)]
struct Values<'a> {
    cron: Given<'a, String>,
    every: Given<'a, u64>,
    tz: Given<'a, &'static str>,
    jitter: Given<'a, u64>,
    retries: Given<'a, u32>,
    backoff: Given<'a, u64>,
    backoff_max: Given<'a, u64>,
    timeout: Given<'a, u64>,
    overlap: Given<'a, Overlap>,
    catch_up: Given<'a, CatchUp>,
    catch_up_window: Given<'a, u64>,
    queue: Given<'a, String>,
    priority: Given<'a, i16>,
    name: Given<'a, String>,
    on_failure: Given<'a, Path>,
    krate: Given<'a, Path>,
}

/// The meaning of the attribute's arguments, or every error in them.
pub(crate) fn attribute(args: &Args) -> syn::Result<Job> {
    let mut errors = Errors::default();
    let mut values = Values::default();
    let mut seen = Vec::new();
    // In source order, so that errors come out in the order the user reads them.
    for arg in &args.entries {
        let Some(key) = arg.key else {
            errors.push(unknown_key(&arg.ident));
            continue;
        };
        if seen.contains(&key) {
            errors.push(Error::new(
                arg.ident.span(),
                format!("duplicate `{}` argument", key.name()),
            ));
            continue;
        }
        seen.push(key);
        let errors = &mut errors;
        match key {
            Key::Cron => {
                if values.every.is_some() {
                    errors.push(both_schedules(arg));
                }
                values.cron = Some((arg, errors.ok(cron(arg))));
            }
            Key::Every => {
                if values.cron.is_some() {
                    errors.push(both_schedules(arg));
                }
                values.every = Some((arg, errors.ok(every(arg))));
            }
            Key::Tz => values.tz = Some((arg, errors.ok(timezone(arg)))),
            Key::Jitter => values.jitter = Some((arg, errors.ok(duration(key, arg)))),
            Key::Retries => values.retries = Some((arg, errors.ok(retries(arg)))),
            Key::Backoff => values.backoff = Some((arg, errors.ok(duration(key, arg)))),
            Key::BackoffMax => values.backoff_max = Some((arg, errors.ok(duration(key, arg)))),
            Key::Timeout => values.timeout = Some((arg, errors.ok(duration(key, arg)))),
            Key::Overlap => values.overlap = Some((arg, errors.ok(overlap(arg)))),
            Key::CatchUp => values.catch_up = Some((arg, errors.ok(catch_up(arg)))),
            Key::CatchUpWindow => {
                values.catch_up_window = Some((arg, errors.ok(duration(key, arg))));
            }
            Key::Queue => values.queue = Some((arg, errors.ok(queue(arg)))),
            Key::Priority => values.priority = Some((arg, errors.ok(priority(arg)))),
            Key::Name => values.name = Some((arg, errors.ok(name(arg)))),
            Key::OnFailure => values.on_failure = Some((arg, errors.ok(on_failure(arg)))),
            Key::Crate => values.krate = Some((arg, errors.ok(krate(arg)))),
        }
    }
    combinations(&values, &mut errors);
    errors.finish()?;
    Ok(job(values))
}

/// The checks that involve more than one key; each error is spanned on the key that has no
/// effect or the value that is out of bounds.
fn combinations(values: &Values<'_>, errors: &mut Errors) {
    if let (Some((tz, _)), None) = (values.tz, &values.cron) {
        if values.every.is_some() {
            errors.push(Error::new(
                tz.ident.span(),
                "`tz` has no effect on `every`: intervals are aligned to the Unix epoch, the same in every zone",
            ));
        } else {
            errors.push(Error::new(
                tz.ident.span(),
                "`tz` has no effect without `cron`: it is the zone the cron expression is read in",
            ));
        }
    }
    if let Some((jitter, jitter_ms)) = values.jitter {
        if values.cron.is_none() && values.every.is_none() {
            errors.push(Error::new(
                jitter.ident.span(),
                "`jitter` has no effect on a job without a schedule: add `cron` or `every`",
            ));
        }
        if let (Some(jitter_ms), Some((every, Some(every_ms)))) = (jitter_ms, values.every) {
            if jitter_ms >= every_ms {
                errors.push(Error::new(
                    jitter.value.span(),
                    format!(
                        "`jitter` {} must be shorter than the `every` interval {}: each tick would be delayed past the next one",
                        text(jitter),
                        text(every),
                    ),
                ));
            }
        }
    }
    if values.cron.is_some() || values.every.is_some() {
        let queue = values.queue.as_ref().map(|(arg, _)| *arg);
        let priority = values.priority.as_ref().map(|(arg, _)| *arg);
        for arg in [queue, priority].into_iter().flatten() {
            errors.push(Error::new(
                arg.ident.span(),
                format!(
                    "`{}` is for on-demand jobs: a scheduled job's ticks start on time, outside any queue, and its `overlap` policy bounds them",
                    arg.ident
                ),
            ));
        }
    }
    let catch_up = values.catch_up.as_ref().map(|(arg, _)| *arg);
    let catch_up_window = values.catch_up_window.as_ref().map(|(arg, _)| *arg);
    if values.cron.is_none() && values.every.is_none() {
        for arg in [catch_up, catch_up_window].into_iter().flatten() {
            errors.push(Error::new(
                arg.ident.span(),
                format!(
                    "`{}` is for scheduled jobs: an on-demand job has no ticks to miss; add `cron` or `every`",
                    arg.ident
                ),
            ));
        }
    } else if let (Some((_, Some(CatchUp::None))), Some(window)) =
        (values.catch_up, catch_up_window)
    {
        errors.push(Error::new(
            window.ident.span(),
            "`catch_up_window` has no effect with `catch_up = \"none\"`: no missed tick runs, however recent",
        ));
    }
    let retries = values.retries.map(|(_, retries)| retries);
    // An invalid `retries` has been reported already; do not add a second error about it.
    if retries.is_none() || retries == Some(Some(0)) {
        for (arg, _) in [values.backoff, values.backoff_max].into_iter().flatten() {
            let why = if retries.is_none() {
                "without `retries`"
            } else {
                "with `retries = 0`"
            };
            errors.push(Error::new(
                arg.ident.span(),
                format!("`{}` has no effect {why}", arg.ident),
            ));
        }
    }
    if let Some((backoff, Some(backoff_ms))) = values.backoff {
        let max = match values.backoff_max {
            Some((arg, Some(max_ms))) => Some((max_ms, format!("`backoff_max` {}", text(arg)))),
            Some((_, None)) => None,
            None => Some((
                DEFAULT_BACKOFF_MAX_MS,
                "the default `backoff_max` \"5m\"; raise `backoff_max` too".to_owned(),
            )),
        };
        if let Some((max_ms, max)) = max {
            if backoff_ms > max_ms {
                errors.push(Error::new(
                    backoff.value.span(),
                    format!("`backoff` {} is longer than {max}", text(backoff)),
                ));
            }
        }
    }
}

/// Assembles a job from values that all passed validation.
fn job(values: Values<'_>) -> Job {
    fn value<T>(given: Given<'_, T>) -> Option<T> {
        given.and_then(|(_, value)| value)
    }
    let schedule = match (value(values.cron), value(values.every)) {
        (Some(expr), _) => JobSchedule::Cron {
            expr,
            tz: value(values.tz).unwrap_or("UTC"),
        },
        (None, Some(millis)) => JobSchedule::Every { millis },
        (None, None) => JobSchedule::OnDemand,
    };
    let backoff_max_ms = value(values.backoff_max).unwrap_or(DEFAULT_BACKOFF_MAX_MS);
    Job {
        name: value(values.name),
        schedule,
        retries: value(values.retries).unwrap_or(0),
        // A lower cap than the default first delay lowers the first delay with it: the runtime
        // would cap it anyway, and `backoff_max = "500ms"` alone is a reasonable thing to write.
        backoff_ms: value(values.backoff).unwrap_or(DEFAULT_BACKOFF_MS.min(backoff_max_ms)),
        backoff_max_ms,
        timeout_ms: value(values.timeout),
        jitter_ms: value(values.jitter),
        overlap: value(values.overlap).unwrap_or(Overlap::Skip),
        catch_up: value(values.catch_up).unwrap_or(CatchUp::Latest),
        catch_up_window_ms: value(values.catch_up_window),
        queue: value(values.queue),
        priority: value(values.priority).unwrap_or(0),
        on_failure: value(values.on_failure),
        krate: value(values.krate),
    }
}

fn unknown_key(ident: &Ident) -> Error {
    let name = ident.unraw().to_string();
    let message = if let Some(key) = suggest(&name) {
        format!("unknown `#[job]` argument `{name}`; did you mean `{key}`?")
    } else {
        let keys: Vec<String> = Key::ALL
            .iter()
            .map(|key| format!("`{}`", key.name()))
            .collect();
        format!(
            "unknown `#[job]` argument `{name}`; expected one of {}",
            keys.join(", ")
        )
    };
    Error::new(ident.span(), message)
}

/// The key a user most likely meant: the words other schedulers use first, then spelling.
fn suggest(name: &str) -> Option<&'static str> {
    const ALIASES: [(&str, Key); 12] = [
        ("retry", Key::Retries),
        ("max_retries", Key::Retries),
        ("attempts", Key::Retries),
        ("schedule", Key::Cron),
        ("interval", Key::Every),
        ("period", Key::Every),
        ("timezone", Key::Tz),
        ("time_zone", Key::Tz),
        ("zone", Key::Tz),
        ("max_backoff", Key::BackoffMax),
        ("on_error", Key::OnFailure),
        ("krate", Key::Crate),
    ];
    let lower = name.to_ascii_lowercase();
    if let Some((_, key)) = ALIASES.iter().find(|(alias, _)| *alias == lower) {
        return Some(key.name());
    }
    Key::ALL
        .iter()
        .map(|key| (edit_distance(&lower, key.name()), key.name()))
        .filter(|(distance, key)| *distance <= lower.len().max(key.len()).div_ceil(3))
        .min()
        .map(|(_, key)| key)
}

/// Levenshtein distance; the inputs are a handful of short identifiers.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

fn both_schedules(second: &Arg) -> Error {
    Error::new(
        second.ident.span(),
        "`cron` and `every` cannot be used together: a job has one schedule",
    )
}

/// The literal as the user wrote it, for messages.
fn text(arg: &Arg) -> String {
    match &arg.value {
        Lit::Str(s) => format!("{:?}", s.value()),
        // `Display` keeps a negative number together: `-1`, not `- 1`.
        Lit::Int(int) => int.to_string(),
        Lit::Float(float) => float.to_string(),
        other => quote::ToTokens::to_token_stream(other).to_string(),
    }
}

fn string(key: Key, arg: &Arg) -> syn::Result<&LitStr> {
    match &arg.value {
        Lit::Str(s) => Ok(s),
        // `timeout = 30s` lexes as the integer 30 with the suffix `s`: say what to write.
        Lit::Int(int) if is_duration(key) && !int.suffix().is_empty() => Err(Error::new(
            int.span(),
            format!(
                "durations are strings: write `{} = \"{}{}\"`",
                key.name(),
                int.base10_digits(),
                int.suffix()
            ),
        )),
        other => Err(Error::new(
            other.span(),
            format!(
                "expected a string for `{}`, as in `{}`",
                key.name(),
                key.example()
            ),
        )),
    }
}

fn is_duration(key: Key) -> bool {
    matches!(
        key,
        Key::Every
            | Key::Jitter
            | Key::Backoff
            | Key::BackoffMax
            | Key::Timeout
            | Key::CatchUpWindow
    )
}

fn duration(key: Key, arg: &Arg) -> syn::Result<u64> {
    let lit = string(key, arg)?;
    let duration = jobs_schedule::parse_duration(&lit.value()).map_err(|err| {
        Error::new(
            lit.span(),
            format!("invalid `{}` {}: {}", key.name(), text(arg), err.reason()),
        )
    })?;
    // `parse_duration` rejects anything above `u64::MAX` milliseconds.
    Ok(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}

fn cron(arg: &Arg) -> syn::Result<String> {
    let lit = string(Key::Cron, arg)?;
    let expr = lit.value();
    Schedule::parse(&expr).map_err(|err| {
        // Some of the grammar's messages quote the whole expression already.
        let err = err.to_string();
        let message = if err.contains(&format!("{expr:?}")) {
            err
        } else {
            format!("invalid cron expression {expr:?}: {err}")
        };
        Error::new(lit.span(), message)
    })?;
    Ok(expr)
}

fn every(arg: &Arg) -> syn::Result<u64> {
    let millis = duration(Key::Every, arg)?;
    Schedule::every(std::time::Duration::from_millis(millis)).map_err(|err| {
        Error::new(
            arg.value.span(),
            format!("invalid `every` {}: {err}", text(arg)),
        )
    })?;
    Ok(millis)
}

fn timezone(arg: &Arg) -> syn::Result<&'static str> {
    let lit = string(Key::Tz, arg)?;
    // The zone's own message names the input and suggests the closest zone.
    let tz = jobs_schedule::parse_timezone(&lit.value())
        .map_err(|err| Error::new(lit.span(), err.to_string()))?;
    Ok(tz.name())
}

fn retries(arg: &Arg) -> syn::Result<u32> {
    integer(Key::Retries, arg, 0, u32::MAX)
}

fn priority(arg: &Arg) -> syn::Result<i16> {
    integer(Key::Priority, arg, i16::MIN, i16::MAX)
}

/// An integer literal of any integer suffix within `min..=max`.
fn integer<T>(key: Key, arg: &Arg, min: T, max: T) -> syn::Result<T>
where
    T: Copy + std::str::FromStr + std::fmt::Display,
    T::Err: std::fmt::Display,
{
    let Lit::Int(int) = &arg.value else {
        return Err(Error::new(
            arg.value.span(),
            format!(
                "expected an integer for `{}`, as in `{}`",
                key.name(),
                key.example()
            ),
        ));
    };
    let integer_suffixes = [
        "", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
    ];
    let parsed = if integer_suffixes.contains(&int.suffix()) {
        int.base10_parse::<T>().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        Error::new(
            int.span(),
            format!(
                "invalid `{}` {}: expected an integer from {min} to {max}",
                key.name(),
                text(arg),
            ),
        )
    })
}

/// The longest queue name: stores keep it in a column of this width.
const QUEUE_NAME_MAX: usize = 64;

fn queue(arg: &Arg) -> syn::Result<String> {
    let lit = string(Key::Queue, arg)?;
    let value = lit.value();
    let valid = !value.is_empty()
        && value.len() <= QUEUE_NAME_MAX
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(value)
    } else {
        Err(Error::new(
            lit.span(),
            format!(
                "invalid `queue` {value:?}: expected 1 to {QUEUE_NAME_MAX} ASCII letters, digits, `_`, `-` or `.`, such as \"email\""
            ),
        ))
    }
}

fn overlap(arg: &Arg) -> syn::Result<Overlap> {
    let lit = string(Key::Overlap, arg)?;
    let value = lit.value();
    Overlap::ALL
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, overlap)| *overlap)
        .ok_or_else(|| {
            Error::new(
                lit.span(),
                format!(
                    "invalid `overlap` {value:?}: expected \"skip\", \"queue\", \"allow\" or \"replace\""
                ),
            )
        })
}

fn catch_up(arg: &Arg) -> syn::Result<CatchUp> {
    let lit = string(Key::CatchUp, arg)?;
    let value = lit.value();
    CatchUp::ALL
        .iter()
        .find(|(name, _)| *name == value)
        .map(|(_, catch_up)| *catch_up)
        .ok_or_else(|| {
            Error::new(
                lit.span(),
                format!("invalid `catch_up` {value:?}: expected \"none\", \"latest\" or \"all\""),
            )
        })
}

fn name(arg: &Arg) -> syn::Result<String> {
    let lit = string(Key::Name, arg)?;
    let value = lit.value();
    if value.trim().is_empty() {
        return Err(Error::new(
            lit.span(),
            "`name` must not be empty: it identifies the job in stores and the dashboard",
        ));
    }
    if value.trim() != value || value.chars().any(char::is_control) {
        return Err(Error::new(
            lit.span(),
            format!(
                "invalid `name` {value:?}: expected no surrounding spaces or control characters"
            ),
        ));
    }
    Ok(value)
}

fn on_failure(arg: &Arg) -> syn::Result<Path> {
    let lit = string(Key::OnFailure, arg)?;
    // `LitStr::parse` spans every token of the path on the string, so rustc's own errors about
    // the handler (not found, not async, wrong parameter) point at the user's argument.
    lit.parse::<Path>().map_err(|_| {
        Error::new(
            lit.span(),
            format!(
                "invalid `on_failure` {}: expected a path to an `async fn(jobs_runtime::Failure)`, such as \"alerts::page\"",
                text(arg)
            ),
        )
    })
}

fn krate(arg: &Arg) -> syn::Result<Path> {
    let lit = string(Key::Crate, arg)?;
    lit.parse::<Path>().map_err(|_| {
        Error::new(
            lit.span(),
            format!(
                "invalid `crate` {}: expected a path to `jobs_runtime` or a re-export of it, such as \"crate::reexport::jobs\"",
                text(arg)
            ),
        )
    })
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse::<Visibility>()?;
        let fn_like = input.peek(Token![fn])
            || input.peek(Token![async])
            || input.peek(Token![const])
            || input.peek(Token![unsafe])
            || input.peek(Token![extern]);
        if !fn_like {
            return Err(input.error("`#[job]` can only be applied to an `async fn`"));
        }
        let sig: Signature = input.parse()?;
        let body = input.parse::<Group>();
        if !matches!(body, Ok(ref group) if group.delimiter() == Delimiter::Brace) {
            return Err(Error::new(
                sig.ident.span(),
                "`#[job]` functions need a body: the runtime calls them",
            ));
        }
        Ok(Function {
            attrs,
            vis,
            sig,
            params: Vec::new(),
        })
    }
}

/// Parses the item under the attribute and checks that the runtime can call it.
pub(crate) fn function(item: TokenStream) -> syn::Result<Function> {
    let mut function = Function::parse.parse2(item)?;
    signature(&function.sig)?;
    function.params = params(&function.sig)?;
    Ok(function)
}

/// Sorts the parameters into extractors and payload. Only the compiler knows what a type alias
/// stands for, so the sorting goes by the written name: `JobContext` and `State<…>` (however
/// qualified) are extractors, anything else is payload.
fn params(sig: &Signature) -> syn::Result<Vec<Param>> {
    let mut errors = Errors::default();
    let mut params = Vec::new();
    for input in &sig.inputs {
        let FnArg::Typed(typed) = input else { continue };
        let ty = (*typed.ty).clone();
        if is_extractor(&ty) {
            params.push(Param { ty, payload: None });
            continue;
        }
        if let Type::Reference(reference) = &ty {
            errors.push(Error::new(
                reference.and_token.span,
                "payload parameters are taken by value: they are stored as JSON and read back for each attempt; take an owned type such as `String` instead of `&str`",
            ));
            continue;
        }
        let name = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
            other => {
                errors.push(Error::new_spanned(
                    other,
                    "payload parameters need a plain name: it names the value in the stored JSON payload",
                ));
                continue;
            }
        };
        params.push(Param {
            ty,
            payload: Some(name),
        });
    }
    errors.finish()?;
    Ok(params)
}

fn is_extractor(ty: &Type) -> bool {
    match ty {
        Type::Group(group) => is_extractor(&group.elem),
        Type::Paren(paren) => is_extractor(&paren.elem),
        Type::Path(path) if path.qself.is_none() => path.path.segments.last().is_some_and(|last| {
            (last.ident == "JobContext" && last.arguments.is_none())
                || (last.ident == "State"
                    && matches!(last.arguments, PathArguments::AngleBracketed(_)))
        }),
        _ => false,
    }
}

/// A scheduled job has nobody to give it a payload: each payload parameter is an error.
pub(crate) fn payload_fits_schedule(job: &Job, function: &Function) -> syn::Result<()> {
    if job.schedule == JobSchedule::OnDemand {
        return Ok(());
    }
    let mut errors = Errors::default();
    for param in &function.params {
        if let Some(name) = &param.payload {
            errors.push(Error::new_spanned(
                &param.ty,
                format!(
                    "a scheduled job takes no payload: `{name}` is neither `JobContext` nor `State<T>`; remove `cron`/`every` to make the job on-demand, or pass the value through `State<T>`"
                ),
            ));
        }
    }
    errors.finish()
}

/// The rules of DESIGN.md's "Function shapes" that the signature alone can answer. Parameter and
/// return types are left to the trait bounds in the expansion: only the compiler knows whether a
/// type alias is `State<T>` or `anyhow::Result<()>`.
fn signature(sig: &Signature) -> syn::Result<()> {
    let mut errors = Errors::default();
    if let Some(token) = &sig.constness {
        errors.push(Error::new(
            token.span,
            "`#[job]` functions cannot be `const`",
        ));
    }
    if sig.asyncness.is_none() {
        errors.push(Error::new(
            sig.fn_token.span,
            "`#[job]` requires an `async fn`",
        ));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(Error::new(
            token.span,
            "`#[job]` functions cannot be `unsafe`: the runtime calls them with no safety contract",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(Error::new(
            abi.extern_token.span,
            "`#[job]` functions cannot be `extern`: the runtime calls them as Rust functions",
        ));
    }
    if !sig.generics.params.is_empty() {
        errors.push(Error::new_spanned(
            &sig.generics,
            "`#[job]` functions cannot be generic: the runtime calls them with no type arguments",
        ));
    } else if let Some(clause) = &sig.generics.where_clause {
        errors.push(Error::new(
            clause.where_token.span,
            "`#[job]` functions cannot have a `where` clause",
        ));
    }
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(receiver) => errors.push(Error::new(
                receiver.self_token.span,
                "`#[job]` functions cannot take `self`: write a free function and take what it needs as `State<T>`",
            )),
            FnArg::Typed(typed) => {
                if let Some(span) = impl_trait(&typed.ty) {
                    errors.push(Error::new(
                        span,
                        "`#[job]` functions cannot take `impl Trait` parameters: they make the function generic",
                    ));
                }
            }
        }
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(Error::new_spanned(
            variadic.dots,
            "`#[job]` functions cannot be variadic",
        ));
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        if let Some(span) = impl_trait(ty) {
            errors.push(Error::new(
                span,
                "`#[job]` functions must return `()` or `Result<(), E>`, not `impl Trait`",
            ));
        }
    }
    errors.finish()
}

/// The `impl` token of an `impl Trait` anywhere in a type.
fn impl_trait(ty: &Type) -> Option<Span> {
    match ty {
        Type::ImplTrait(ty) => Some(ty.impl_token.span),
        Type::Array(ty) => impl_trait(&ty.elem),
        Type::Group(ty) => impl_trait(&ty.elem),
        Type::Paren(ty) => impl_trait(&ty.elem),
        Type::Ptr(ty) => impl_trait(&ty.elem),
        Type::Reference(ty) => impl_trait(&ty.elem),
        Type::Slice(ty) => impl_trait(&ty.elem),
        Type::Tuple(ty) => ty.elems.iter().find_map(impl_trait),
        Type::Path(ty) => ty
            .qself
            .as_ref()
            .and_then(|qself| impl_trait(&qself.ty))
            .or_else(|| {
                ty.path
                    .segments
                    .iter()
                    .find_map(|segment| match &segment.arguments {
                        PathArguments::AngleBracketed(args) => {
                            args.args.iter().find_map(|arg| match arg {
                                GenericArgument::Type(ty) => impl_trait(ty),
                                GenericArgument::AssocType(assoc) => impl_trait(&assoc.ty),
                                _ => None,
                            })
                        }
                        PathArguments::Parenthesized(args) => args
                            .inputs
                            .iter()
                            .find_map(impl_trait)
                            .or_else(|| match &args.output {
                                ReturnType::Type(_, ty) => impl_trait(ty),
                                ReturnType::Default => None,
                            }),
                        PathArguments::None => None,
                    })
            }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn valid(tokens: TokenStream) -> Job {
        let args = crate::args::parse(tokens).expect("syntax");
        match attribute(&args) {
            Ok(job) => job,
            Err(err) => panic!("unexpected errors: {:?}", messages(err)),
        }
    }

    fn errors(tokens: TokenStream) -> Vec<String> {
        let args = crate::args::parse(tokens).expect("syntax");
        match attribute(&args) {
            Ok(_) => panic!("accepted"),
            Err(err) => messages(err),
        }
    }

    fn error(tokens: TokenStream) -> String {
        let all = errors(tokens);
        assert_eq!(all.len(), 1, "{all:?}");
        all.into_iter().next().unwrap_or_default()
    }

    fn messages(err: Error) -> Vec<String> {
        err.into_iter().map(|err| err.to_string()).collect()
    }

    fn function_errors(tokens: TokenStream) -> Vec<String> {
        match function(tokens) {
            Ok(_) => panic!("accepted"),
            Err(err) => messages(err),
        }
    }

    #[test]
    fn no_arguments_is_an_on_demand_job_with_the_defaults() {
        let job = valid(quote!());
        assert_eq!(job.schedule, JobSchedule::OnDemand);
        assert_eq!(job.name, None);
        assert_eq!(job.retries, 0);
        assert_eq!(job.backoff_ms, 1_000);
        assert_eq!(job.backoff_max_ms, 300_000);
        assert_eq!(job.timeout_ms, None);
        assert_eq!(job.jitter_ms, None);
        assert_eq!(job.overlap, Overlap::Skip);
        assert_eq!(job.catch_up, CatchUp::Latest);
        assert_eq!(job.catch_up_window_ms, None);
        assert!(job.on_failure.is_none());
        assert!(job.krate.is_none());
    }

    #[test]
    fn reads_every_key() {
        let job = valid(quote!(
            cron = "30 9 * * Mon-Fri",
            tz = "Europe/Berlin",
            jitter = "10s",
            retries = 3,
            backoff = "2s",
            backoff_max = "10m",
            timeout = "1h30m",
            overlap = "queue",
            catch_up = "all",
            catch_up_window = "6h",
            name = "reports::weekday",
            on_failure = "crate::alerts::page",
            crate = "crate::reexport::jobs",
        ));
        assert_eq!(
            job.schedule,
            JobSchedule::Cron {
                expr: "30 9 * * Mon-Fri".to_owned(),
                tz: "Europe/Berlin"
            }
        );
        assert_eq!(job.jitter_ms, Some(10_000));
        assert_eq!(job.retries, 3);
        assert_eq!(job.backoff_ms, 2_000);
        assert_eq!(job.backoff_max_ms, 600_000);
        assert_eq!(job.timeout_ms, Some(5_400_000));
        assert_eq!(job.overlap, Overlap::Queue);
        assert_eq!(job.catch_up, CatchUp::All);
        assert_eq!(job.catch_up_window_ms, Some(21_600_000));
        assert_eq!(job.name.as_deref(), Some("reports::weekday"));
        let path = |path: Option<Path>| path.map(|p| quote!(#p).to_string());
        assert_eq!(
            path(job.on_failure).as_deref(),
            Some("crate :: alerts :: page")
        );
        assert_eq!(
            path(job.krate).as_deref(),
            Some("crate :: reexport :: jobs")
        );
    }

    #[test]
    fn every_is_an_interval_in_milliseconds() {
        let job = valid(quote!(every = "1m30s", jitter = "500ms"));
        assert_eq!(job.schedule, JobSchedule::Every { millis: 90_000 });
        assert_eq!(job.jitter_ms, Some(500));
    }

    #[test]
    fn cron_defaults_to_utc_and_accepts_macros_and_six_fields() {
        for expr in ["@hourly", "0 */5 * * * *", "0 0 12 * * ? 2030", "0 9 L * *"] {
            let job = valid(quote!(cron = #expr));
            assert_eq!(
                job.schedule,
                JobSchedule::Cron {
                    expr: expr.to_owned(),
                    tz: "UTC"
                }
            );
        }
    }

    #[test]
    fn every_overlap_value() {
        for (text, overlap) in Overlap::ALL {
            assert_eq!(valid(quote!(overlap = #text)).overlap, overlap);
        }
    }

    #[test]
    fn every_catch_up_value() {
        for (text, catch_up) in CatchUp::ALL {
            assert_eq!(
                valid(quote!(every = "1m", catch_up = #text)).catch_up,
                catch_up
            );
        }
    }

    #[test]
    fn retries_take_suffixed_integers_and_zero() {
        assert_eq!(valid(quote!(retries = 0)).retries, 0);
        assert_eq!(valid(quote!(retries = 5u32)).retries, 5);
        assert_eq!(valid(quote!(retries = 4294967295)).retries, u32::MAX);
    }

    #[test]
    fn a_lower_backoff_max_lowers_the_default_first_delay() {
        let job = valid(quote!(retries = 2, backoff_max = "500ms"));
        assert_eq!((job.backoff_ms, job.backoff_max_ms), (500, 500));
        let job = valid(quote!(retries = 2, backoff = "5m"));
        assert_eq!((job.backoff_ms, job.backoff_max_ms), (300_000, 300_000));
    }

    #[test]
    fn unknown_keys_suggest_the_closest_one() {
        assert_eq!(
            error(quote!(retry = 3)),
            "unknown `#[job]` argument `retry`; did you mean `retries`?"
        );
        assert_eq!(
            error(quote!(timout = "1s")),
            "unknown `#[job]` argument `timout`; did you mean `timeout`?"
        );
        assert_eq!(
            error(quote!(timezone = "UTC")),
            "unknown `#[job]` argument `timezone`; did you mean `tz`?"
        );
        assert_eq!(
            error(quote!(backof_max = "1s")),
            "unknown `#[job]` argument `backof_max`; did you mean `backoff_max`?"
        );
    }

    #[test]
    fn an_unknown_key_like_no_other_lists_them_all() {
        assert_eq!(
            error(quote!(color = "blue")),
            "unknown `#[job]` argument `color`; expected one of `cron`, `every`, `tz`, `jitter`, \
             `retries`, `backoff`, `backoff_max`, `timeout`, `overlap`, `catch_up`, \
             `catch_up_window`, `queue`, `priority`, `name`, `on_failure`, `crate`"
        );
    }

    #[test]
    fn a_duplicate_key_is_reported_once_on_the_second() {
        assert_eq!(
            error(quote!(retries = 1, retries = 2)),
            "duplicate `retries` argument"
        );
        // The second value is not read, so its own problems do not pile up.
        assert_eq!(
            error(quote!(cron = "@daily", cron = "nonsense")),
            "duplicate `cron` argument"
        );
    }

    #[test]
    fn bad_durations_name_the_key_the_input_and_the_expected_form() {
        for key in [
            "timeout",
            "jitter",
            "backoff",
            "backoff_max",
            "every",
            "catch_up_window",
        ] {
            let ident = Ident::new(key, Span::call_site());
            let all = errors(quote!(cron = "@daily", retries = 1, #ident = "30x"));
            let expected = format!(
                "invalid `{key}` \"30x\": expected a duration such as \"500ms\", \"30s\", \"5m\" or \"1h30m\""
            );
            assert!(all.contains(&expected), "{all:?}");
        }
        assert_eq!(
            error(quote!(timeout = "0s")),
            "invalid `timeout` \"0s\": must be greater than zero"
        );
        assert_eq!(
            error(quote!(every = "1m", catch_up_window = "0ms")),
            "invalid `catch_up_window` \"0ms\": must be greater than zero"
        );
        assert_eq!(
            error(quote!(timeout = "30m1h")),
            "invalid `timeout` \"30m1h\": units must go from largest to smallest, each once, as in \"1h30m\""
        );
    }

    #[test]
    fn a_duration_that_is_not_a_string_says_what_to_write() {
        assert_eq!(
            error(quote!(timeout = 30s)),
            "durations are strings: write `timeout = \"30s\"`"
        );
        assert_eq!(
            error(quote!(every = 1h30m)),
            "durations are strings: write `every = \"1h30m\"`"
        );
        assert_eq!(
            error(quote!(timeout = 30)),
            "expected a string for `timeout`, as in `timeout = \"30s\"`"
        );
    }

    #[test]
    fn an_interval_beyond_the_schedule_range_is_rejected() {
        let message = error(quote!(every = "150000000000d"));
        assert!(
            message.starts_with("invalid `every` \"150000000000d\": interval is too long"),
            "{message}"
        );
    }

    #[test]
    fn bad_cron_expressions_use_the_runtime_grammar() {
        assert_eq!(
            error(quote!(cron = "61 * * * *")),
            "invalid cron expression \"61 * * * *\": minute 61 is out of range 0-59"
        );
        assert_eq!(
            error(quote!(cron = "0 0 30 2 *")),
            "cron expression \"0 0 30 2 *\" can never fire: no date matches its day, month and year fields"
        );
        assert_eq!(
            error(quote!(cron = "0 9 * *")),
            "expected 5, 6 or 7 fields, found 4 in \"0 9 * *\": \"minute hour day-of-month month day-of-week\", optionally with seconds first and a year last"
        );
        assert_eq!(
            error(quote!(cron = 5)),
            "expected a string for `cron`, as in `cron = \"0 */5 * * * *\"`"
        );
    }

    #[test]
    fn bad_zones_suggest_the_closest() {
        assert_eq!(
            error(quote!(cron = "@daily", tz = "Europe/Berln")),
            "unknown time zone \"Europe/Berln\": did you mean \"Europe/Berlin\"?"
        );
    }

    #[test]
    fn bad_values_of_every_other_key() {
        assert_eq!(
            error(quote!(retries = -1)),
            "invalid `retries` -1: expected an integer from 0 to 4294967295"
        );
        assert_eq!(
            error(quote!(retries = 4294967296)),
            "invalid `retries` 4294967296: expected an integer from 0 to 4294967295"
        );
        assert_eq!(
            error(quote!(retries = "3")),
            "expected an integer for `retries`, as in `retries = 3`"
        );
        assert_eq!(
            error(quote!(retries = 3s)),
            "invalid `retries` 3s: expected an integer from 0 to 4294967295"
        );
        assert_eq!(
            error(quote!(overlap = "Skip")),
            "invalid `overlap` \"Skip\": expected \"skip\", \"queue\", \"allow\" or \"replace\""
        );
        assert!(error(quote!(name = "")).starts_with("`name` must not be empty"));
        assert!(error(quote!(name = " x")).starts_with("invalid `name` \" x\""));
        assert!(error(quote!(on_failure = "not a path"))
            .starts_with("invalid `on_failure` \"not a path\": expected a path"));
        assert!(error(quote!(crate = "::")).starts_with("invalid `crate` \"::\": expected a path"));
        assert_eq!(
            error(quote!(every = "1m", catch_up = "Latest")),
            "invalid `catch_up` \"Latest\": expected \"none\", \"latest\" or \"all\""
        );
        assert_eq!(
            error(quote!(every = "1m", catch_up = 1)),
            "expected a string for `catch_up`, as in `catch_up = \"latest\"`"
        );
        assert_eq!(
            error(quote!(every = "1m", catch_up_window = 1h)),
            "durations are strings: write `catch_up_window = \"1h\"`"
        );
        assert_eq!(
            error(quote!(overlap = true)),
            "expected a string for `overlap`, as in `overlap = \"skip\"`"
        );
    }

    #[test]
    fn cron_and_every_conflict_on_the_second() {
        assert_eq!(
            error(quote!(cron = "@daily", every = "1m")),
            "`cron` and `every` cannot be used together: a job has one schedule"
        );
        assert_eq!(
            error(quote!(every = "1m", cron = "@daily")),
            "`cron` and `every` cannot be used together: a job has one schedule"
        );
    }

    #[test]
    fn tz_needs_cron() {
        assert!(error(quote!(tz = "UTC")).starts_with("`tz` has no effect without `cron`"));
        assert!(
            error(quote!(every = "1m", tz = "UTC")).starts_with("`tz` has no effect on `every`")
        );
    }

    #[test]
    fn jitter_needs_a_schedule_and_must_be_shorter_than_the_interval() {
        assert!(error(quote!(jitter = "1s"))
            .starts_with("`jitter` has no effect on a job without a schedule"));
        assert!(error(quote!(every = "10s", jitter = "10s"))
            .starts_with("`jitter` \"10s\" must be shorter than the `every` interval \"10s\""));
        valid(quote!(every = "10s", jitter = "9s"));
        // A cron schedule's ticks are irregular; the jitter is the user's call.
        valid(quote!(cron = "@hourly", jitter = "2h"));
    }

    #[test]
    fn catch_up_needs_a_schedule() {
        assert_eq!(
            errors(quote!(catch_up = "all", catch_up_window = "1h")),
            [
                "`catch_up` is for scheduled jobs: an on-demand job has no ticks to miss; add `cron` or `every`",
                "`catch_up_window` is for scheduled jobs: an on-demand job has no ticks to miss; add `cron` or `every`",
            ]
        );
        // An invalid value is reported once, and its key still belongs to a schedule.
        assert_eq!(
            errors(quote!(catch_up = "sometimes")),
            [
                "invalid `catch_up` \"sometimes\": expected \"none\", \"latest\" or \"all\"",
                "`catch_up` is for scheduled jobs: an on-demand job has no ticks to miss; add `cron` or `every`",
            ]
        );
        valid(quote!(cron = "@hourly", catch_up = "none"));
        valid(quote!(
            every = "10s",
            catch_up = "latest",
            catch_up_window = "5m"
        ));
        // Without `catch_up`, the window applies to the default, `"latest"`.
        valid(quote!(cron = "@daily", catch_up_window = "2h"));
    }

    #[test]
    fn a_catch_up_window_needs_ticks_to_catch_up() {
        assert_eq!(
            error(quote!(cron = "@hourly", catch_up = "none", catch_up_window = "1h")),
            "`catch_up_window` has no effect with `catch_up = \"none\"`: no missed tick runs, however recent"
        );
        assert_eq!(
            error(quote!(cron = "@hourly", catch_up_window = "1h", catch_up = "none")),
            "`catch_up_window` has no effect with `catch_up = \"none\"`: no missed tick runs, however recent"
        );
    }

    #[test]
    fn backoff_needs_retries() {
        assert_eq!(
            error(quote!(backoff = "1s")),
            "`backoff` has no effect without `retries`"
        );
        assert_eq!(
            error(quote!(retries = 0, backoff_max = "1m")),
            "`backoff_max` has no effect with `retries = 0`"
        );
    }

    #[test]
    fn backoff_must_not_exceed_backoff_max() {
        assert_eq!(
            error(quote!(retries = 1, backoff = "10m", backoff_max = "5m")),
            "`backoff` \"10m\" is longer than `backoff_max` \"5m\""
        );
        assert_eq!(
            error(quote!(retries = 1, backoff = "10m")),
            "`backoff` \"10m\" is longer than the default `backoff_max` \"5m\"; raise `backoff_max` too"
        );
        valid(quote!(retries = 1, backoff = "5m", backoff_max = "5m"));
    }

    #[test]
    fn all_errors_of_one_attribute_are_reported_at_once() {
        let all = errors(quote!(
            retry = 3,
            cron = "61 * * * *",
            every = "10x",
            tz = "Mars/Olympus",
            timeout = "0s",
            overlap = "sometimes",
            backoff = "1s",
            cron = "@daily",
        ));
        assert_eq!(
            all,
            [
                "unknown `#[job]` argument `retry`; did you mean `retries`?",
                "invalid cron expression \"61 * * * *\": minute 61 is out of range 0-59",
                "`cron` and `every` cannot be used together: a job has one schedule",
                "invalid `every` \"10x\": expected a duration such as \"500ms\", \"30s\", \"5m\" or \"1h30m\"",
                "unknown time zone \"Mars/Olympus\": expected an IANA name such as \"Europe/Berlin\" or \"UTC\"",
                "invalid `timeout` \"0s\": must be greater than zero",
                "invalid `overlap` \"sometimes\": expected \"skip\", \"queue\", \"allow\" or \"replace\"",
                "duplicate `cron` argument",
                "`backoff` has no effect without `retries`",
            ]
        );
    }

    #[test]
    fn accepts_async_functions_with_any_parameters() {
        assert!(function(quote!(
            /// Docs stay.
            #[allow(clippy::unused_async)]
            pub(crate) async fn cleanup(db: State<Db>, ctx: JobContext) -> anyhow::Result<()> {
                Ok(())
            }
        ))
        .is_ok());
        // The body is not parsed: syntax syn does not know must not stop a job.
        assert!(function(quote!(async fn tick() { some_future_syntax!!! })).is_ok());
    }

    #[test]
    fn rejects_what_the_runtime_cannot_call() {
        assert_eq!(
            function_errors(quote!(
                fn tick() {}
            )),
            ["`#[job]` requires an `async fn`"]
        );
        assert_eq!(
            function_errors(quote!(async fn tick(&self) {})),
            ["`#[job]` functions cannot take `self`: write a free function and take what it needs as `State<T>`"]
        );
        assert_eq!(
            function_errors(quote!(async fn tick<T: Send>(value: State<T>) {})),
            ["`#[job]` functions cannot be generic: the runtime calls them with no type arguments"]
        );
        assert_eq!(
            function_errors(quote!(async fn tick<'a>() {})),
            ["`#[job]` functions cannot be generic: the runtime calls them with no type arguments"]
        );
        assert_eq!(
            function_errors(quote!(
                async fn tick()
                where
                    u8: Copy,
                {
                }
            )),
            ["`#[job]` functions cannot have a `where` clause"]
        );
        assert_eq!(
            function_errors(quote!(async fn tick(value: State<impl Send>) {})),
            ["`#[job]` functions cannot take `impl Trait` parameters: they make the function generic"]
        );
        assert_eq!(
            function_errors(quote!(
                async fn tick() -> impl Send {}
            )),
            ["`#[job]` functions must return `()` or `Result<(), E>`, not `impl Trait`"]
        );
        assert_eq!(
            function_errors(quote!(async unsafe fn tick() {})),
            ["`#[job]` functions cannot be `unsafe`: the runtime calls them with no safety contract"]
        );
        assert_eq!(
            function_errors(quote!(
                async extern "C" fn tick() {}
            )),
            ["`#[job]` functions cannot be `extern`: the runtime calls them as Rust functions"]
        );
        assert_eq!(
            function_errors(quote!(async unsafe extern "C" fn tick(x: i32, ...) {})),
            [
                "`#[job]` functions cannot be `unsafe`: the runtime calls them with no safety contract",
                "`#[job]` functions cannot be `extern`: the runtime calls them as Rust functions",
                "`#[job]` functions cannot be variadic",
            ]
        );
    }

    #[test]
    fn reports_every_signature_problem_at_once() {
        assert_eq!(
            function_errors(quote!(const fn tick<T>(&self) {})),
            [
                "`#[job]` functions cannot be `const`",
                "`#[job]` requires an `async fn`",
                "`#[job]` functions cannot be generic: the runtime calls them with no type arguments",
                "`#[job]` functions cannot take `self`: write a free function and take what it needs as `State<T>`",
            ]
        );
    }

    #[test]
    fn rejects_items_that_are_not_functions() {
        assert_eq!(
            function_errors(quote!(
                struct Cleanup;
            )),
            ["`#[job]` can only be applied to an `async fn`"]
        );
        assert_eq!(
            function_errors(quote!(
                async fn tick();
            )),
            ["`#[job]` functions need a body: the runtime calls them"]
        );
    }
}
