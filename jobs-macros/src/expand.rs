//! Code generation: the user's function as written, and beside it one `JobDef` registration.
//!
//! Generated paths go through `::jobs_runtime::__private` (or the `crate = "…"` override), which
//! one `use … as __jobs` names, and `::core` only, so that a user's `struct Box;` or
//! `type Result = …;` cannot change their meaning.

use crate::args;
use crate::validate::{self, CatchUp, Function, Job, JobSchedule, Overlap};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{ReturnType, Type};

/// `#[job(args)] item`: the item unchanged, followed by its registration or by every error.
pub(crate) fn job(args: TokenStream, item: TokenStream) -> TokenStream {
    // On error the function stays, so the rest of the crate compiles and the only errors are
    // ours; nothing is registered, so a broken job can never reach the runtime.
    let added = registration(args, item.clone()).unwrap_or_else(syn::Error::into_compile_error);
    let mut out = item;
    out.extend(added);
    out
}

fn registration(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args = args::parse(args)?;
    match (validate::attribute(&args), validate::function(item)) {
        (Ok(job), Ok(function)) => {
            validate::payload_fits_schedule(&job, &function)?;
            Ok(generate(&job, &function))
        }
        (Err(mut errors), Err(more)) => {
            errors.combine(more);
            Err(errors)
        }
        (Err(errors), Ok(_)) | (Ok(_), Err(errors)) => Err(errors),
    }
}

/// The alias of the runtime's private module, with the span its errors should carry.
///
/// The runtime's path is resolved once, by a `use` at the top of the generated block: a wrong
/// `crate = "…"` is then one error on that string, not one per generated path.
fn private(span: Span) -> Ident {
    Ident::new("__jobs", span)
}

/// A span located on the user's token but resolved, and linted, as the macro's own.
///
/// The checks of the user's types are located on the user's tokens, so that rustc reports a
/// parameter that is not an extractor on that parameter, a future that is not `Send` on the
/// `async` of the function, and an unsupported return type on that type. Every token of such a
/// check carries the location, the paths included: an expression that starts on a token located
/// at the attribute is reported on the whole attribute instead. Resolving at the call site keeps
/// a user's `#![deny(unused_qualifications)]` from reading `__jobs::Failure` as the user's code.
fn at(user: Span) -> Span {
    user.resolved_at(Span::call_site())
}

fn generate(job: &Job, function: &Function) -> TokenStream {
    let runtime: syn::Path = job
        .krate
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(::jobs_runtime));
    let here = private(Span::call_site());
    let run = run(function);
    let check = check(function);
    let (on_failure_fn, on_failure) = on_failure(job);
    let fields = fields(job, function);
    // A job that is compiled out must take its registration with it.
    let cfgs: Vec<_> = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect();
    let enqueue = enqueue(job, function, &runtime);

    quote! {
        #(#cfgs)*
        #enqueue

        #(#cfgs)*
        const _: () = {
            use #runtime::__private as #here;

            #run

            #check

            #on_failure_fn

            #here::inventory::submit! {
                #here::JobDef {
                    #fields
                    on_failure: #on_failure,
                    check: __jobs_check,
                    run: __jobs_run,
                }
            }
        };
    }
}

/// `__jobs_run`: extracts each extractor, reads each payload parameter, calls the function, boxes
/// its future.
fn run(function: &Function) -> TokenStream {
    let here = private(Span::call_site());
    let sig = &function.sig;
    // Locals are `mixed_site`, invisible to the user's tokens: a job named `context` or `arg0`
    // still calls the job, not a local of the same name.
    let context = Ident::new("context", Span::mixed_site());
    let args: Vec<Ident> = (0..function.params.len())
        .map(|i| Ident::new(&format!("arg{i}"), Span::mixed_site()))
        .collect();
    let extracts = function
        .params
        .iter()
        .zip(&args)
        .filter(|(param, _)| param.payload.is_none())
        .map(|(param, arg)| {
            let ty = &param.ty;
            let span = at(ty.span());
            let private = private(span);
            let extract = quote_spanned!(span=> <#ty as #private::Extract>::extract(&#context));
            quote!(let #arg = #extract;)
        });
    let payload = read_payload(function, &args, &context);
    let context_param = if function.params.is_empty() {
        quote!(_)
    } else {
        quote!(#context)
    };

    let async_span = at(sig
        .asyncness
        .map_or_else(|| sig.ident.span(), |token| token.span));
    let output_span = match &sig.output {
        ReturnType::Type(_, ty) => at(ty.span()),
        ReturnType::Default => async_span,
    };
    // The function is taken as a value before it is called: clippy's `unused_async` leaves
    // alone an `async fn` used as a value, and a job must be `async` even when its body has
    // nothing to await (`async fn heartbeat() {}`).
    let ident = &sig.ident;
    let job = Ident::new("job", Span::mixed_site().located_at(output_span));
    let result = {
        let private = private(output_span);
        quote_spanned!(output_span=> #private::IntoJobResult::into_job_result(#job(#(#args),*).await))
    };
    let future = {
        let private = private(async_span);
        quote_spanned!(async_span=> #private::job_future(async move {
            let #job = #ident;
            #result
        }))
    };

    quote! {
        fn __jobs_run(#context_param: #here::JobContext) -> #here::JobFuture {
            #(#extracts)*
            #payload
            #future
        }
    }
}

/// Reads the payload parameters from the run's JSON payload; a payload that does not read fails
/// the attempt, permanently, with serde's message.
fn read_payload(function: &Function, args: &[Ident], context: &Ident) -> TokenStream {
    let here = private(Span::call_site());
    let reader = Ident::new("payload", Span::mixed_site());
    let error = Ident::new("error", Span::mixed_site());
    let (names, fields): (Vec<&Ident>, Vec<TokenStream>) = function
        .params
        .iter()
        .zip(args)
        .filter_map(|(param, arg)| {
            let name = param.payload.as_ref()?.unraw().to_string();
            let ty = &param.ty;
            // Spanned on the parameter's type, where a type that is not a payload is reported.
            let span = at(ty.span());
            let private = private(span);
            let field =
                quote_spanned!(span=> #reader.field(#private::codec::<#ty>(), #name, &#context)?);
            Some((arg, field))
        })
        .unzip();
    if names.is_empty() {
        return quote!();
    }
    quote! {
        let (#(#names,)*) = match #here::PayloadReader::read(&#context).and_then(|mut #reader| {
            ::core::result::Result::Ok((#(#fields,)*))
        }) {
            ::core::result::Result::Ok(#reader) => #reader,
            ::core::result::Result::Err(#error) => return #here::failed(#error),
        };
    }
}

/// The module named after the function, with `enqueue(…)` and `options()`: the same name as the
/// function, in the type namespace, so `send_email::enqueue(…)` reads as the job's own.
///
/// Its items are written in a child module, so the payload types, written for the function's
/// module, are read there through `use super::*` and with `self::`/`super::` paths moved up one
/// level.
fn enqueue(job: &Job, function: &Function, runtime: &syn::Path) -> TokenStream {
    let vis = &function.vis;
    let ident = &function.sig.ident;
    let job_name = ident.unraw().to_string();
    let options = new_options(job, ident);
    let mut runtime = runtime.clone();
    outer::path(&mut runtime);
    let Payload {
        params,
        names,
        fields,
        item,
        pattern,
        writer,
        writer_binding,
    } = Payload::of(function);
    let Docs {
        module: module_doc,
        enqueue: enqueue_doc,
        enqueue_in: in_doc,
        enqueue_many: many_doc,
    } = Docs::of(&job_name, names.is_empty());

    quote! {
        #[doc = #module_doc]
        #[allow(unreachable_pub, clippy::needless_pass_by_value, clippy::too_many_arguments)]
        #vis mod #ident {
            #[allow(unused_imports, clippy::wildcard_imports)]
            use super::*;
            use #runtime::__private as __jobs;

            #[doc = #enqueue_doc]
            pub async fn enqueue(#(#params),*) -> ::core::result::Result<__jobs::JobId, __jobs::Error> {
                options().enqueue(#(#names),*).await
            }

            #[doc = #many_doc]
            pub async fn enqueue_many<I>(items: I) -> ::core::result::Result<__jobs::Vec<__jobs::JobId>, __jobs::Error>
            where
                I: ::core::iter::IntoIterator<Item = #item>,
            {
                options().enqueue_many(items).await
            }

            /// Options for one enqueue: a delay or an instant, a priority, a unique key, a
            /// runtime's handle; then `.enqueue(…)`.
            #[must_use]
            pub fn options() -> Options {
                Options(#options)
            }

            /// The options of one enqueue; see `options()`.
            #[derive(Debug)]
            pub struct Options(__jobs::Enqueue);

            impl Options {
                /// Runs the job `delay` from now rather than at once; replaces an earlier `at`.
                #[must_use]
                pub fn delay(self, delay: ::core::time::Duration) -> Self {
                    Self(self.0.delay(delay))
                }

                /// Runs the job at `at` (at once, if it is past); replaces an earlier `delay`.
                #[must_use]
                pub fn at(self, at: __jobs::DateTime<__jobs::Utc>) -> Self {
                    Self(self.0.at(at))
                }

                /// Its priority within its queue, instead of the job's own: higher runs first.
                #[must_use]
                pub fn priority(self, priority: i16) -> Self {
                    Self(self.0.priority(priority))
                }

                /// While a job enqueued with this key waits or runs, enqueueing returns its id
                /// and stores nothing.
                #[must_use]
                pub fn unique(self, key: impl ::core::convert::Into<__jobs::String>) -> Self {
                    Self(self.0.unique(key.into()))
                }

                /// Enqueues into this runtime instead of the one running runtime of the process.
                #[must_use]
                pub fn handle(self, handle: &__jobs::Handle) -> Self {
                    Self(self.0.handle(handle))
                }

                #[doc = #enqueue_doc]
                pub async fn enqueue(self, #(#params),*) -> ::core::result::Result<__jobs::JobId, __jobs::Error> {
                    let #writer_binding = __jobs::PayloadWriter::new();
                    #(#fields)*
                    self.0.enqueue(#writer).await
                }

                #[doc = #in_doc]
                pub async fn enqueue_in<'c, C: __jobs::Transactional<'c>>(self, connection: C, #(#params),*) -> ::core::result::Result<__jobs::JobId, __jobs::Error> {
                    let #writer_binding = __jobs::PayloadWriter::new();
                    #(#fields)*
                    self.0.enqueue_in(connection, #writer).await
                }

                #[doc = #many_doc]
                pub async fn enqueue_many<I>(self, items: I) -> ::core::result::Result<__jobs::Vec<__jobs::JobId>, __jobs::Error>
                where
                    I: ::core::iter::IntoIterator<Item = #item>,
                {
                    let mut payloads = __jobs::Vec::new();
                    for #pattern in items {
                        let #writer_binding = __jobs::PayloadWriter::new();
                        #(#fields)*
                        payloads.push(#writer);
                    }
                    self.0.enqueue_many(payloads).await
                }
            }
        }
    }
}

/// The doc comments of the enqueue module's items.
struct Docs {
    module: String,
    enqueue: String,
    enqueue_in: String,
    enqueue_many: String,
}

impl Docs {
    fn of(job_name: &str, no_payload: bool) -> Self {
        let call = if no_payload {
            format!("{job_name}::enqueue()")
        } else {
            format!("{job_name}::enqueue(…)")
        };
        let module_doc = format!(
            "Enqueues the job `{job_name}`: `{call}` runs it once, as soon as a worker of its queue is free; `{job_name}::options()` sets a delay, an instant, a priority or a unique key first."
        );
        let enqueue_doc = format!(
            "Enqueues the job `{job_name}` to run as soon as a worker of its queue is free.\n\n# Errors\n\nWhen no running runtime runs the job, when its store refuses it, or when the payload does not serialise."
        );
        let in_doc = format!(
            "Enqueues the job `{job_name}` inside the transaction open on `connection` (`&mut *tx` for a `sqlx::Transaction` on PostgreSQL): it exists if and only if that transaction commits.\n\n# Errors\n\nAs `enqueue`, and when the job's runtime does not use PostgreSQL, or the statement fails."
        );
        let many_doc = format!(
            "Enqueues many `{job_name}` jobs at once, one per item, with the same options: one statement on a database store, so much faster than one `enqueue` each. Returns their ids in the order of the items; all are stored or, on an error, none.\n\n# Errors\n\nAs `enqueue`."
        );
        Self {
            module: module_doc,
            enqueue: enqueue_doc,
            enqueue_in: in_doc,
            enqueue_many: many_doc,
        }
    }
}

/// The `Enqueue` that `options()` starts from, naming the job.
fn new_options(job: &Job, ident: &Ident) -> TokenStream {
    // Inside the module, `module_path!()` is the parent's path and the function's name: the
    // default job name, as `fields` writes it, but for the `r#` of a raw identifier, which
    // `Enqueue::unraw` drops.
    match &job.name {
        Some(name) => quote!(__jobs::Enqueue::new(#name)),
        None if ident.to_string().starts_with("r#") => {
            quote!(__jobs::Enqueue::unraw(::core::module_path!()))
        }
        None => quote!(__jobs::Enqueue::new(::core::module_path!())),
    }
}

/// The payload parameters of an on-demand job, as the enqueue module's functions spell them.
struct Payload<'a> {
    /// `name: Type`, for the parameters of `enqueue`.
    params: Vec<TokenStream>,
    names: Vec<&'a Ident>,
    /// The statements that write each parameter into `writer`.
    fields: Vec<TokenStream>,
    /// The item of `enqueue_many`: the payload itself for one parameter, a tuple for several,
    /// `()` for none; and the pattern that takes it apart.
    item: TokenStream,
    pattern: TokenStream,
    writer: Ident,
    writer_binding: TokenStream,
}

impl<'a> Payload<'a> {
    fn of(function: &'a Function) -> Self {
        let payload: Vec<(&Ident, Type)> = function
            .params
            .iter()
            .filter_map(|param| {
                let mut ty = param.ty.clone();
                outer::ty(&mut ty);
                Some((param.payload.as_ref()?, ty))
            })
            .collect();
        let params = payload
            .iter()
            .map(|(name, ty)| quote!(#name: #ty))
            .collect();
        let names: Vec<&Ident> = payload.iter().map(|(name, _)| *name).collect();
        let writer = Ident::new("payload", Span::mixed_site());
        let writer_binding = if payload.is_empty() {
            quote!(#writer)
        } else {
            quote!(mut #writer)
        };
        let fields = payload
            .iter()
            .map(|(name, ty)| {
                let key = name.unraw().to_string();
                let span = at(ty.span());
                quote_spanned!(span=> #writer.field(__jobs::codec::<#ty>(), #key, &#name);)
            })
            .collect();
        let types: Vec<&Type> = payload.iter().map(|(_, ty)| ty).collect();
        let (item, pattern) = match (&types[..], &names[..]) {
            ([ty], [name]) => (quote!(#ty), quote!(#name)),
            _ => (quote!((#(#types,)*)), quote!((#(#names,)*))),
        };
        Self {
            params,
            names,
            fields,
            item,
            pattern,
            writer,
            writer_binding,
        }
    }
}

/// Rewrites paths written in a module for its child module: `self::` becomes `super::`, and
/// `super::` becomes `super::super::`.
mod outer {
    use syn::visit_mut::{self, VisitMut};
    use syn::{Ident, Path, PathSegment, Type};

    struct Outer;

    impl VisitMut for Outer {
        fn visit_path_mut(&mut self, path: &mut Path) {
            if path.leading_colon.is_none() {
                if let Some(first) = path.segments.first_mut() {
                    if first.ident == "self" {
                        first.ident = Ident::new("super", first.ident.span());
                    } else if first.ident == "super" {
                        let span = first.ident.span();
                        path.segments
                            .insert(0, PathSegment::from(Ident::new("super", span)));
                    }
                }
            }
            visit_mut::visit_path_mut(self, path);
        }
    }

    pub(super) fn ty(ty: &mut Type) {
        Outer.visit_type_mut(ty);
    }

    pub(super) fn path(path: &mut Path) {
        Outer.visit_path_mut(path);
    }
}

/// `__jobs_check`: whether the runtime was given every `State<T>` the job takes.
fn check(function: &Function) -> TokenStream {
    let here = private(Span::call_site());
    let types: Vec<&Type> = function
        .params
        .iter()
        .filter(|param| param.payload.is_none())
        .map(|param| &param.ty)
        .collect();
    let states = Ident::new("states", Span::mixed_site());
    let checks = types.iter().map(|ty| {
        let span = at(ty.span());
        let private = private(span);
        quote_spanned!(span=> <#ty as #private::Extract>::check(#states)?;)
    });
    let states_param = if types.is_empty() {
        quote!(_)
    } else {
        quote!(#states)
    };
    quote! {
        fn __jobs_check(
            #states_param: &#here::States,
        ) -> ::core::result::Result<(), &'static str> {
            #(#checks)*
            ::core::result::Result::Ok(())
        }
    }
}

/// The `on_failure` handler's wrapper, and the `JobDef` field that points to it.
fn on_failure(job: &Job) -> (TokenStream, TokenStream) {
    let Some(handler) = &job.on_failure else {
        return (quote!(), quote!(::core::option::Option::None));
    };
    // Located on the `on_failure` string, where the handler was named.
    let span = at(handler.span());
    let private = private(span);
    let failure = Ident::new("failure", Span::mixed_site());
    // Taken as a value first, as the job is in `run`, for clippy's `unused_async`.
    let call = Ident::new("handler", Span::mixed_site().located_at(span));
    let wrapper = quote_spanned! {span=>
        fn __jobs_on_failure(#failure: #private::Failure) -> #private::JobFuture {
            #private::job_future(async move {
                let #call = #handler;
                #private::IntoJobResult::into_job_result(#call(#failure).await)
            })
        }
    };
    (
        wrapper,
        quote!(::core::option::Option::Some(__jobs_on_failure)),
    )
}

/// The `JobDef` fields that are constant data.
fn fields(job: &Job, function: &Function) -> TokenStream {
    let here = private(Span::call_site());
    let ident = &function.sig.ident;
    let name = job.name.as_ref().map_or_else(
        || {
            let suffix = format!("::{}", ident.unraw());
            quote!(::core::concat!(::core::module_path!(), #suffix))
        },
        ToTokens::to_token_stream,
    );
    let schedule = match &job.schedule {
        JobSchedule::OnDemand => quote!(#here::ScheduleDef::OnDemand),
        JobSchedule::Cron { expr, tz } => {
            quote!(#here::ScheduleDef::Cron { expr: #expr, tz: #tz })
        }
        JobSchedule::Every { millis } => quote!(#here::ScheduleDef::Every { millis: #millis }),
    };
    let overlap = match job.overlap {
        Overlap::Skip => quote!(#here::Overlap::Skip),
        Overlap::Queue => quote!(#here::Overlap::Queue),
        Overlap::Allow => quote!(#here::Overlap::Allow),
        Overlap::Replace => quote!(#here::Overlap::Replace),
    };
    let catch_up = match job.catch_up {
        CatchUp::None => quote!(#here::CatchUp::None),
        CatchUp::Latest => quote!(#here::CatchUp::Latest),
        CatchUp::All => quote!(#here::CatchUp::All),
    };
    let retries = job.retries;
    let queue = job.queue.as_deref().unwrap_or("default");
    let priority = job.priority;
    let payload = function
        .params
        .iter()
        .filter_map(|param| Some(param.payload.as_ref()?.unraw().to_string()));
    let backoff_ms = job.backoff_ms;
    let backoff_max_ms = job.backoff_max_ms;
    let timeout_ms = option(job.timeout_ms);
    let jitter_ms = option(job.jitter_ms);
    let catch_up_window_ms = option(job.catch_up_window_ms);
    // `line!()` and friends report the outermost macro call their tokens come from: with the
    // span of the function's name (not `at`, which would lead back to the attribute), they
    // point at the job's definition.
    let location = quote_spanned! {ident.span()=>
        file: ::core::file!(),
        line: ::core::line!(),
        column: ::core::column!(),
    };
    quote! {
        name: #name,
        schedule: #schedule,
        retries: #retries,
        backoff_ms: #backoff_ms,
        backoff_max_ms: #backoff_max_ms,
        timeout_ms: #timeout_ms,
        jitter_ms: #jitter_ms,
        overlap: #overlap,
        catch_up: #catch_up,
        catch_up_window_ms: #catch_up_window_ms,
        queue: #queue,
        priority: #priority,
        payload: &[#(#payload),*],
        #location
    }
}

fn option(value: Option<u64>) -> TokenStream {
    value.map_or_else(
        || quote!(::core::option::Option::None),
        |value| quote!(::core::option::Option::Some(#value)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(args: TokenStream, item: TokenStream) -> String {
        job(args, item).to_string()
    }

    #[test]
    fn keeps_the_function_and_registers_it() {
        let item = quote!(
            async fn cleanup(db: State<Db>, ctx: JobContext) -> anyhow::Result<()> {
                Ok(())
            }
        );
        let out = expand(quote!(cron = "0 */5 * * * *", retries = 3), item.clone());
        assert!(out.starts_with(&item.to_string()), "{out}");
        for expected in [
            "use :: jobs_runtime :: __private as __jobs ;",
            "< State < Db > as __jobs :: Extract > :: extract (& context)",
            "< JobContext as __jobs :: Extract > :: check (states) ?",
            "let job = cleanup ;",
            "job (arg0 , arg1) . await",
            "expr : \"0 */5 * * * *\" , tz : \"UTC\"",
            "retries : 3u32",
            "backoff_ms : 1000u64",
            "backoff_max_ms : 300000u64",
            "catch_up : __jobs :: CatchUp :: Latest",
            "catch_up_window_ms : :: core :: option :: Option :: None",
            "name : :: core :: concat ! (:: core :: module_path ! () , \"::cleanup\")",
            "__jobs :: inventory :: submit !",
        ] {
            assert!(out.contains(expected), "{expected}\n in {out}");
        }
    }

    #[test]
    fn names_only_the_private_module_and_core() {
        let out = expand(
            quote!(every = "10s", timeout = "1s", on_failure = "alert"),
            quote!(
                async fn tick() {}
            ),
        );
        let tokens: Vec<&str> = out.split_whitespace().collect();
        assert!(!tokens.contains(&"std"), "{out}");
        for (i, token) in tokens.iter().enumerate() {
            if ["Box", "Result", "Option", "Some", "None", "Ok", "Err"].contains(token) {
                assert_eq!(tokens[i - 1], "::", "bare `{token}` in {out}");
            }
        }
    }

    #[test]
    fn uses_the_crate_override() {
        let out = expand(
            quote!(crate = "crate::reexport::jobs"),
            quote!(
                async fn tick() {}
            ),
        );
        assert!(!out.contains("jobs_runtime"), "{out}");
        assert_eq!(
            out.matches("__private").count(),
            2,
            "one `use` in the registration and one in the enqueue module name the runtime: {out}"
        );
        assert_eq!(
            out.matches("use crate :: reexport :: jobs :: __private as __jobs ;")
                .count(),
            2,
            "{out}"
        );
    }

    #[test]
    fn on_error_keeps_the_function_and_registers_nothing() {
        let item = quote!(
            fn tick() {}
        );
        let out = expand(quote!(retry = 3), item.clone());
        assert!(out.starts_with(&item.to_string()), "{out}");
        assert!(!out.contains("submit"), "{out}");
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
    }

    #[test]
    fn a_syntax_error_stops_before_the_function_is_checked() {
        let out = expand(
            quote!(retries),
            quote!(
                fn tick() {}
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    }
}
