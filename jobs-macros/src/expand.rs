//! Code generation: the user's function as written, and beside it one `JobDef` registration.
//!
//! Generated paths go through `::jobs_runtime::__private` (or the `crate = "…"` override), which
//! one `use … as __jobs` names, and `::core` only, so that a user's `struct Box;` or
//! `type Result = …;` cannot change their meaning.

use crate::args;
use crate::validate::{self, Function, Job, JobSchedule, Overlap};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{FnArg, ReturnType, Type};

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
        (Ok(job), Ok(function)) => Ok(generate(&job, &function)),
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
    let runtime = job
        .krate
        .as_ref()
        .map_or_else(|| quote!(::jobs_runtime), ToTokens::to_token_stream);
    let here = private(Span::call_site());
    let run = run(function);
    let check = check(function);
    let (on_failure_fn, on_failure) = on_failure(job);
    let fields = fields(job, &function.sig.ident);
    // A job that is compiled out must take its registration with it.
    let cfgs = function
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));

    quote! {
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

/// The user's parameter types, in order.
fn parameter_types(function: &Function) -> Vec<&Type> {
    function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(&*typed.ty),
            FnArg::Receiver(_) => None,
        })
        .collect()
}

/// `__jobs_run`: extracts each parameter, calls the function, boxes its future.
fn run(function: &Function) -> TokenStream {
    let here = private(Span::call_site());
    let sig = &function.sig;
    let types = parameter_types(function);
    // Locals are `mixed_site`, invisible to the user's tokens: a job named `context` or `arg0`
    // still calls the job, not a local of the same name.
    let context = Ident::new("context", Span::mixed_site());
    let args: Vec<Ident> = (0..types.len())
        .map(|i| Ident::new(&format!("arg{i}"), Span::mixed_site()))
        .collect();
    let extracts = types.iter().zip(&args).map(|(ty, arg)| {
        let span = at(ty.span());
        let private = private(span);
        let extract = quote_spanned!(span=> <#ty as #private::Extract>::extract(&#context));
        quote!(let #arg = #extract;)
    });
    let context_param = if types.is_empty() {
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
            #future
        }
    }
}

/// `__jobs_check`: whether the runtime was given every `State<T>` the job takes.
fn check(function: &Function) -> TokenStream {
    let here = private(Span::call_site());
    let types = parameter_types(function);
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
fn fields(job: &Job, ident: &Ident) -> TokenStream {
    let here = private(Span::call_site());
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
    let retries = job.retries;
    let backoff_ms = job.backoff_ms;
    let backoff_max_ms = job.backoff_max_ms;
    let timeout_ms = option(job.timeout_ms);
    let jitter_ms = option(job.jitter_ms);
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
            1,
            "one `use` names the runtime: {out}"
        );
        assert!(out.contains("use crate :: reexport :: jobs :: __private as __jobs ;"));
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
