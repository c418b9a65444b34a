//! Code generation: turns a valid [`TaskDef`] into the task's module. Pure: no checks, no
//! errors (those happened before), the same output for the same input.
//!
//! For `async fn process_order(order_id: u64) -> Result<Receipt, E>` it emits, next to the
//! unchanged function:
//!
//! ```text
//! mod process_order {                     // the function's visibility
//!     use super::*;
//!     pub struct Task;                    // marker: `impl docket::Task`
//!     pub const NAME: &str = "process_order";
//!     pub use self::__docket_task::{args, call, schedule};
//!     pub static DESCRIPTOR: TaskDescriptor = TaskDescriptor::new(NAME, __docket_run, ..)
//!         .with_options(TaskOptions::new().retry(..).timeout(..));   // the helper attributes
//!     inventory::submit! { TaskRef(&DESCRIPTOR) }
//!
//!     mod __docket_task {                 // resolves names as the function's module does
//!         use super::super::*;
//!         struct __DocketArgs<A0> { order_id: A0 }    // serde, a map by parameter name
//!         const _: () = assert_serialized::<u64>();   // per serialized parameter, at its type
//!         impl docket::Task for super::Task { type Output = Receipt; .. }
//!         fn __docket_run(ctx, bytes) -> RunFuture { decode, inject, call, encode the outcome }
//!         pub fn schedule(docket: &Docket, order_id: u64) -> Schedule<'_, super::Task>
//!         pub fn args(order_id: u64) -> Args<super::Task>
//!         pub fn call(order_id: u64) -> TaskCall             // for an `Agenda`
//!     }
//! }
//! ```
//!
//! Everything that names a user's type lives in the inner module, which sees exactly the names
//! of the function's module: the outer one defines `Task`, `NAME` and `schedule`, which would
//! otherwise shadow a user's own `Task` type used in a parameter.
//!
//! A parameter whose type can't be stored is reported at its type by a `const` check headed by
//! `docket::Serialized`'s message. The argument struct is generic, its fields' types given
//! where it is used, so that rustc reports no errors inside the derived serde code on top of
//! that, only one per use of the struct.

use std::time::Duration;

use proc_macro2::{Group, Literal, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Ident, LitStr, Path, PathSegment, Type, Visibility};

use crate::model::{Attempts, Behaviours, Header, Logged, Output, ParamRole, RetryDelay, TaskDef};

/// The full expansion of a valid task (without the function itself).
pub(crate) fn task(def: &TaskDef) -> TokenStream {
    let private = private_path(&def.header.krate, 2);
    let serde = LitStr::new(&quote!(#private::serde).to_string(), Span::call_site());
    let fn_ident = &def.header.ident;
    let output = def.output.ty();
    let outcome = match &def.output {
        Output::Unit | Output::Value(_) => quote!(#private::value_outcome),
        // An error type that is not `Display` is reported where it is written.
        Output::Result { error_span, .. } => {
            let private = respan(private.clone(), *error_span);
            quote_spanned!(*error_span=> #private::result_outcome)
        }
    };

    let serialized: Vec<_> = def.serialized().collect();
    let fields: Vec<_> = serialized.iter().map(|param| &param.ident).collect();
    let types: Vec<_> = serialized.iter().map(|param| &param.ty).collect();
    let type_params: Vec<_> = (0..fields.len()).map(|i| format_ident!("__DocketA{i}")).collect();
    let (args_generics, args_ty) = if fields.is_empty() {
        (quote!(), quote!(__DocketArgs))
    } else {
        (quote!(<#(#type_params),*>), quote!(__DocketArgs<#(#types),*>))
    };
    // One bound per direction, so that each use of a type that can't be stored adds one
    // error, not two.
    let bound = |bound: TokenStream| {
        let bounds: Vec<_> = type_params
            .iter()
            .map(|param| format!("{param}: {bound}"))
            .collect();
        LitStr::new(&bounds.join(", "), Span::call_site())
    };
    let serialize_bound = bound(quote!(#private::serde::Serialize));
    let deserialize_bound = bound(quote!(#private::serde::de::DeserializeOwned));
    // Each check is at its parameter's type, where rustc reports a type that can't be stored.
    let checks = types.iter().map(|ty| {
        let span = ty.span();
        let private = respan(private.clone(), span);
        quote_spanned!(span=> const _: () = #private::assert_serialized::<#ty>();)
    });
    // Each injection is resolved at its parameter's type, where rustc reports a type that
    // doesn't implement `FromContext`.
    let injections = def.params.iter().filter_map(|param| match param.role {
        ParamRole::Serialized { .. } => None,
        ParamRole::Injected(_) => {
            let (ident, ty) = (&param.ident, &param.ty);
            let name = ident.unraw().to_string();
            // Located at the type, resolved as the rest of the adapter (`__docket_ctx`).
            let span = Span::call_site().located_at(ty.span());
            let inject = respan(quote!(#private::inject), span);
            let resolve = quote_spanned!(span=> #inject::<#ty>(&__docket_ctx, #name).await?);
            Some(quote!(let #ident = #resolve;))
        }
    });
    let call_args = def.params.iter().map(|param| param.ident.to_token_stream());

    // `schedule`'s first parameter is `docket`, unless a task parameter already has that name.
    let docket = if fields.iter().any(|field| field.unraw() == "docket") {
        format_ident!("__docket_docket")
    } else {
        format_ident!("docket")
    };
    // Elision ties the builder to `docket`, unless a parameter's type (`Cow<'static, str>`)
    // holds a lifetime too; then the lifetime is named.
    let (generics, docket_ty, lifetime) = if types.iter().any(|ty| has_lifetime(ty)) {
        (
            quote!(<'__docket>),
            quote!(&'__docket #private::Docket),
            quote!('__docket),
        )
    } else {
        (quote!(), quote!(&#private::Docket), quote!('_))
    };
    let schedule_vis = item_vis(&def.header.vis, 2);
    let schedule_docs = schedule_docs(&def.header);
    let args_docs = args_docs(&def.header);
    let call_docs = call_docs(&def.header);

    let inner = quote! {
        #[derive(#private::serde::Serialize, #private::serde::Deserialize)]
        #[serde(crate = #serde, bound(serialize = #serialize_bound, deserialize = #deserialize_bound))]
        struct __DocketArgs #args_generics {
            #(#fields: #type_params,)*
        }

        #(#checks)*

        impl #private::Task for super::Task {
            const NAME: &'static str = super::NAME;
            type Output = #output;
            fn options() -> &'static #private::TaskOptions {
                super::DESCRIPTOR.options()
            }
        }

        // Registering a deprecated task is not a use of it.
        #[allow(deprecated)]
        pub(super) fn __docket_run(
            __docket_ctx: #private::TaskContext,
            __docket_args: ::std::vec::Vec<u8>,
        ) -> #private::RunFuture {
            #private::Box::pin(async move {
                let __DocketArgs { #(#fields),* } =
                    #private::decode_args::<#args_ty>(super::NAME, &__docket_args)?;
                #(#injections)*
                #outcome(super::super::#fn_ident(#(#call_args),*).await)
            })
        }

        #schedule_docs
        #[allow(clippy::too_many_arguments)]
        #schedule_vis fn schedule #generics(
            #docket: #docket_ty,
            #(#fields: #types),*
        ) -> #private::Schedule<#lifetime, super::Task> {
            #private::schedule::<super::Task, #args_ty>(#docket, &__DocketArgs { #(#fields),* })
        }

        #args_docs
        #[allow(clippy::too_many_arguments)]
        #schedule_vis fn args(#(#fields: #types),*) -> #private::Args<super::Task> {
            #private::args::<super::Task, #args_ty>(&__DocketArgs { #(#fields),* })
        }

        #call_docs
        #[allow(clippy::too_many_arguments)]
        #schedule_vis fn call(#(#fields: #types),*) -> #private::TaskCall {
            #private::TaskCall::from(self::args(#(#fields),*))
        }
    };

    let outer_private = private_path(&def.header.krate, 1);
    let descriptor_vis = item_vis(&def.header.vis, 1);
    let descriptor_doc = format!(
        " The task `{}` as workers run it: name, entry point and behaviours.",
        def.header.name
    );
    let (options, cron_static) = options(def, &outer_private);
    let outer = quote! {
        #cron_static

        #[doc = #descriptor_doc]
        #descriptor_vis static DESCRIPTOR: #outer_private::TaskDescriptor = #outer_private::TaskDescriptor::new(
            self::NAME,
            self::__docket_task::__docket_run,
            ::core::module_path!(),
            ::core::file!(),
            ::core::line!(),
        )
        .with_options(#options);

        #outer_private::inventory::submit! {
            #outer_private::TaskRef(&self::DESCRIPTOR)
        }
    };
    module(&def.header, outer, inner)
}

/// The descriptor's `TaskOptions` for the behaviours (admission controls in the order
/// written) and `#[logged]` parameters of `def`, and
/// the `static` that caches a cron schedule, if the task has one.
fn options(def: &TaskDef, private: &TokenStream) -> (TokenStream, TokenStream) {
    let Behaviours {
        retry,
        timeout,
        perpetual,
        cron,
        concurrency,
        cooldown,
        debounce,
        rate_limit,
    } = &def.behaviours;
    let duration = |duration: &Duration| {
        let millis = Literal::u128_unsuffixed(duration.as_millis());
        quote!(#private::Duration::from_millis(#millis))
    };
    let mut options = quote!(#private::TaskOptions::new());
    if let Some(retry) = retry {
        let attempts = match retry.attempts {
            Attempts::Limited(n) => {
                let n = Literal::u32_unsuffixed(n);
                quote!(#private::Attempts::Limited(#n))
            }
            Attempts::Forever => quote!(#private::Attempts::Forever),
        };
        let delay = match &retry.delay {
            RetryDelay::Fixed(delay) => {
                let delay = duration(delay);
                quote!(#private::RetryDelay::Fixed(#delay))
            }
            RetryDelay::Exponential { min, max } => {
                let (min, max) = (duration(min), duration(max));
                quote!(#private::RetryDelay::Exponential { min: #min, max: #max })
            }
        };
        options.extend(quote!(.retry(#private::RetryPolicy::new(#attempts, #delay))));
    }
    if let Some(timeout) = timeout {
        let timeout = duration(timeout);
        options.extend(quote!(.timeout(#timeout)));
    }
    if let Some(perpetual) = perpetual {
        let every = duration(&perpetual.every);
        let automatic = perpetual.automatic.map(|_| quote!(.automatic()));
        options.extend(quote!(.perpetual(#private::PerpetualPolicy::new(#every)#automatic)));
    }
    let mut cron_static = TokenStream::new();
    if let Some(cron) = cron {
        let expression = &cron.expression;
        let timezone = match &cron.timezone {
            Some(timezone) => quote!(::core::option::Option::Some(#timezone)),
            None => quote!(::core::option::Option::None),
        };
        cron_static = quote! {
            static __DOCKET_CRON: #private::OnceLock<::core::option::Option<#private::CronSchedule>> =
                #private::OnceLock::new();
        };
        options
            .extend(quote!(.cron(#private::CronPolicy::new(#expression, #timezone, &self::__DOCKET_CRON))));
    }
    // `arg` and `scope` as written: the validator checked `arg` names a serialized parameter.
    let arg = |arg: &Option<LitStr>| arg.as_ref().map(|arg| quote!(.arg(#arg)));
    let scope = |scope: &Option<LitStr>| scope.as_ref().map(|scope| quote!(.scope(#scope)));
    if !concurrency.is_empty() {
        let limits = concurrency.iter().map(|limit| {
            let max = Literal::u32_unsuffixed(limit.max);
            let (arg, scope) = (arg(&limit.arg), scope(&limit.scope));
            quote!(#private::ConcurrencyLimit::new(#max)#arg #scope)
        });
        options.extend(quote!(.concurrency(&[#(#limits),*])));
    }
    if !cooldown.is_empty() {
        let windows = cooldown.iter().map(|cooldown| {
            let (window, arg) = (duration(&cooldown.window), arg(&cooldown.arg));
            quote!(#private::Cooldown::new(#window)#arg)
        });
        options.extend(quote!(.cooldown(&[#(#windows),*])));
    }
    if let Some(debounce) = debounce {
        let (window, arg) = (duration(&debounce.window), arg(&debounce.arg));
        options.extend(quote!(.debounce(#private::Debounce::new(#window)#arg)));
    }
    if !rate_limit.is_empty() {
        let limits = rate_limit.iter().map(|limit| {
            let (count, per) = (Literal::u32_unsuffixed(limit.limit), duration(&limit.per));
            let (arg, scope) = (arg(&limit.arg), scope(&limit.scope));
            let drop = limit.drop.then(|| quote!(.dropping()));
            quote!(#private::RateLimit::new(#count, #per)#arg #scope #drop)
        });
        options.extend(quote!(.rate_limit(&[#(#limits),*])));
    }
    let logged: Vec<_> = def
        .params
        .iter()
        .filter_map(|param| {
            let name = param.ident.unraw().to_string();
            match param.role {
                ParamRole::Serialized {
                    logged: Logged::Value,
                } => Some(quote!(#private::LoggedParam::value(#name))),
                ParamRole::Serialized {
                    logged: Logged::Length,
                } => Some(quote!(#private::LoggedParam::length(#name))),
                ParamRole::Serialized { logged: Logged::No } | ParamRole::Injected(_) => None,
            }
        })
        .collect();
    if !logged.is_empty() {
        options.extend(quote!(.logged(&[#(#logged),*])));
    }
    (options, cron_static)
}

/// The task's module around `outer` (items next to `Task`) and `inner` (items that name the
/// user's types, in a module that sees what the function's module sees). The fallback uses it
/// too, so both present the same `Task`, `NAME` and `schedule` to call sites.
pub(crate) fn module(header: &Header, outer: TokenStream, inner: TokenStream) -> TokenStream {
    let Header {
        ident,
        vis,
        cfg,
        name,
        ..
    } = header;
    let item_vis = item_vis(vis, 1);
    let module_doc = format!(
        " The docket task `{name}`: `schedule` runs the function on a worker; `call` is a call of \
         it for an `Agenda`; `args` builds the arguments of a next run for \
         `Perpetual::perpetuate`."
    );
    let task_doc = format!(" Marker type of the task `{name}`, implementing `docket::Task`.");
    let name_doc = format!(" The name the task is registered and scheduled under: `{name}`.");
    quote! {
        #(#cfg)*
        #[doc = #module_doc]
        // A task is used by being registered: its items need not be used in this crate.
        #[allow(dead_code)]
        #vis mod #ident {
            #[allow(unused_imports)]
            use super::*;

            #[doc = #task_doc]
            #[derive(::core::fmt::Debug, ::core::clone::Clone, ::core::marker::Copy)]
            #item_vis struct Task;

            #[doc = #name_doc]
            #item_vis const NAME: &str = #name;

            #item_vis use self::__docket_task::{args, call, schedule};

            #outer

            mod __docket_task {
                #[allow(unused_imports)]
                use super::super::*;

                #inner
            }
        }
    }
}

/// The doc comment of `schedule`.
pub(crate) fn schedule_docs(header: &Header) -> TokenStream {
    let summary = format!(" Schedules the task `{}` with these arguments.", header.name);
    quote! {
        #[doc = #summary]
        #[doc = ""]
        #[doc = " The task runs now unless the returned builder is given `.at(..)` or `.after(..)`;"]
        #[doc = " `.key(..)` names the execution. Nothing is scheduled until the builder is awaited,"]
        #[doc = " which returns the `Execution`."]
    }
}

/// The doc comment of `args`.
pub(crate) fn args_docs(header: &Header) -> TokenStream {
    let summary = format!(
        " The arguments of a call of the task `{}`, typed and encoded, without scheduling it.",
        header.name
    );
    quote! {
        #[doc = #summary]
        #[doc = ""]
        #[doc = " Give them to `Perpetual::perpetuate` to run the next run of a perpetual task with"]
        #[doc = " other arguments."]
    }
}

/// The doc comment of `call`.
pub(crate) fn call_docs(header: &Header) -> TokenStream {
    let summary = format!(
        " A call of the task `{}` with these arguments, without scheduling it.",
        header.name
    );
    quote! {
        #[doc = #summary]
        #[doc = ""]
        #[doc = " Add it to a `docket::Agenda` to schedule it with other calls, scattered over time."]
    }
}

/// `path::__private`, for code `depth` modules below the function's module.
pub(crate) fn private_path(krate: &Path, depth: usize) -> TokenStream {
    let krate = rebase(krate, depth);
    quote!(#krate::__private)
}

/// The visibility that reaches as far as the function's `vis` does, for an item declared
/// `depth` modules below the function's module: a private function's items are visible in its
/// module, a `pub(super)` function's in the parent of that, and so on.
pub(crate) fn item_vis(vis: &Visibility, depth: usize) -> TokenStream {
    let restricted = match vis {
        Visibility::Public(_) => return quote!(pub),
        Visibility::Inherited => syn::parse_quote!(self),
        Visibility::Restricted(restricted) => (*restricted.path).clone(),
    };
    if restricted.is_ident("crate") {
        return quote!(pub(crate));
    }
    let path = rebase(&restricted, depth);
    if path.is_ident("super") {
        quote!(pub(super))
    } else {
        quote!(pub(in #path))
    }
}

/// `path` as written in the function's module, for use `depth` modules below it: a leading
/// `self` or `super` gets `depth` more `super`s; other paths mean the same everywhere.
pub(crate) fn rebase(path: &Path, depth: usize) -> Path {
    let Some(first) = path.segments.first() else {
        return path.clone();
    };
    if path.leading_colon.is_some() {
        return path.clone();
    }
    let skip = if first.ident == "self" {
        1
    } else if first.ident == "super" {
        0
    } else {
        return path.clone();
    };
    let span = first.ident.span();
    let mut segments: Punctuated<PathSegment, syn::Token![::]> = (0..depth)
        .map(|_| PathSegment::from(Ident::new("super", span)))
        .collect();
    segments.extend(path.segments.iter().skip(skip).cloned());
    Path {
        leading_colon: None,
        segments,
    }
}

/// `tokens` with every token placed at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut group = Group::new(group.delimiter(), respan(group.stream(), span));
                group.set_span(span);
                TokenTree::Group(group)
            } else {
                token.set_span(span);
                token
            }
        })
        .collect()
}

/// Whether `ty` names a lifetime.
fn has_lifetime(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_lifetime(&mut self, _: &syn::Lifetime) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::attr::TaskArgs;
    use crate::model::TaskFn;

    fn expand(mut item: TaskFn, args: TaskArgs) -> String {
        let mut errors = Vec::new();
        let (behaviours, attrs) = crate::helpers::take(&mut item, &mut errors);
        let def = TaskDef::new(&item, &args, behaviours, &attrs, &mut errors);
        crate::validate::task(&def, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        task(&def).to_string()
    }

    fn vis(vis: Visibility, depth: usize) -> String {
        item_vis(&vis, depth).to_string()
    }

    #[test]
    fn snapshot_of_a_public_task() {
        crate::snapshot::assert_expansion(
            "public-result-task",
            quote!(name = "orders.process"),
            quote! {
                /// Processes an order.
                pub async fn process_order(order_id: u64, customer_id: String)
                    -> Result<Receipt, OrderError>
                {
                    charge(order_id, customer_id).await
                }
            },
        );
    }

    #[test]
    fn snapshot_of_a_private_task_through_a_reexport() {
        crate::snapshot::assert_expansion(
            "private-unit-task",
            quote!(crate = self::runtime::docket),
            quote! {
                async fn cleanup() {}
            },
        );
    }

    #[test]
    fn visibility_reaches_as_far_as_the_function() {
        assert_eq!(vis(parse_quote!(), 1), "pub (super)");
        assert_eq!(vis(parse_quote!(), 2), "pub (in super :: super)");
        assert_eq!(vis(parse_quote!(pub(self)), 1), "pub (super)");
        assert_eq!(vis(parse_quote!(pub), 2), "pub");
        assert_eq!(vis(parse_quote!(pub(crate)), 2), "pub (crate)");
        assert_eq!(vis(parse_quote!(pub(super)), 1), "pub (in super :: super)");
        assert_eq!(
            vis(parse_quote!(pub(in super::super)), 2),
            "pub (in super :: super :: super :: super)"
        );
        assert_eq!(
            vis(parse_quote!(pub(in crate::orders)), 2),
            "pub (in crate :: orders)"
        );
    }

    #[test]
    fn rebases_relative_crate_paths_only() {
        let rebased = |path: Path, depth| {
            let path = rebase(&path, depth);
            quote!(#path).to_string()
        };
        assert_eq!(rebased(parse_quote!(::docket), 2), ":: docket");
        assert_eq!(rebased(parse_quote!(crate::reexport), 2), "crate :: reexport");
        assert_eq!(rebased(parse_quote!(my_app::docket), 2), "my_app :: docket");
        assert_eq!(rebased(parse_quote!(self::docket), 2), "super :: super :: docket");
        assert_eq!(
            rebased(parse_quote!(super::docket), 1),
            "super :: super :: docket"
        );
    }

    #[test]
    fn emits_the_task_items() {
        let out = expand(
            parse_quote!(
                pub async fn process_order(order_id: u64, customer_id: String) -> Receipt {}
            ),
            TaskArgs::default(),
        );
        for part in [
            "pub mod process_order",
            "pub struct Task ;",
            "pub const NAME : & str = \"process_order\" ;",
            "struct __DocketArgs < __DocketA0 , __DocketA1 > { order_id : __DocketA0 , customer_id : __DocketA1 , }",
            "# [serde (crate = \":: docket :: __private :: serde\" , bound (serialize = \"__DocketA0: :: docket :: __private :: serde :: Serialize, __DocketA1: :: docket :: __private :: serde :: Serialize\" , deserialize = \"__DocketA0: :: docket :: __private :: serde :: de :: DeserializeOwned, __DocketA1: :: docket :: __private :: serde :: de :: DeserializeOwned\"))]",
            "const _ : () = :: docket :: __private :: assert_serialized :: < u64 > () ;",
            "const _ : () = :: docket :: __private :: assert_serialized :: < String > () ;",
            "impl :: docket :: __private :: Task for super :: Task { const NAME : & 'static str = super :: NAME ; type Output = Receipt ; fn options () -> & 'static :: docket :: __private :: TaskOptions { super :: DESCRIPTOR . options () } }",
            "let __DocketArgs { order_id , customer_id } = :: docket :: __private :: decode_args :: < __DocketArgs < u64 , String > > (super :: NAME , & __docket_args) ? ;",
            ":: docket :: __private :: value_outcome (super :: super :: process_order (order_id , customer_id) . await)",
            "pub fn schedule (docket : & :: docket :: __private :: Docket , order_id : u64 , customer_id : String) -> :: docket :: __private :: Schedule < '_ , super :: Task >",
            ":: docket :: __private :: schedule :: < super :: Task , __DocketArgs < u64 , String > > (docket , & __DocketArgs { order_id , customer_id })",
            "pub fn args (order_id : u64 , customer_id : String) -> :: docket :: __private :: Args < super :: Task >",
            ":: docket :: __private :: args :: < super :: Task , __DocketArgs < u64 , String > > (& __DocketArgs { order_id , customer_id })",
            "pub fn call (order_id : u64 , customer_id : String) -> :: docket :: __private :: TaskCall",
            ":: docket :: __private :: TaskCall :: from (self :: args (order_id , customer_id))",
            "pub use self :: __docket_task :: { args , call , schedule } ;",
            ". with_options (:: docket :: __private :: TaskOptions :: new ()) ;",
            ":: docket :: __private :: inventory :: submit !",
        ] {
            assert!(out.contains(part), "missing `{part}` in\n{out}");
        }
    }

    #[test]
    fn results_store_their_success_type() {
        let out = expand(
            parse_quote!(
                async fn f() -> anyhow::Result<Vec<u8>> {}
            ),
            TaskArgs::default(),
        );
        assert!(out.contains("type Output = Vec < u8 > ;"), "{out}");
        assert!(
            out.contains(":: docket :: __private :: result_outcome (super :: super :: f () . await)"),
            "{out}"
        );
    }

    #[test]
    fn unit_tasks_store_unit() {
        let out = expand(
            parse_quote!(
                async fn f() {}
            ),
            TaskArgs::default(),
        );
        assert!(out.contains("type Output = () ;"), "{out}");
        assert!(out.contains("struct __DocketArgs { }"), "{out}");
        assert!(
            out.contains("value_outcome (super :: super :: f () . await)"),
            "{out}"
        );
    }

    #[test]
    fn name_and_crate_overrides() {
        let args = TaskArgs {
            name: Some(parse_quote!("orders.process")),
            krate: Some(parse_quote!(self::reexport)),
        };
        let out = expand(
            parse_quote!(
                async fn f() {}
            ),
            args,
        );
        assert!(out.contains("const NAME : & str = \"orders.process\" ;"), "{out}");
        assert!(
            out.contains("super :: super :: reexport :: __private :: Task for super :: Task"),
            "{out}"
        );
        assert!(
            out.contains("super :: reexport :: __private :: inventory :: submit !"),
            "{out}"
        );
        assert!(
            out.contains("# [serde (crate = \"super :: super :: reexport :: __private :: serde\" , bound (serialize = \"\" , deserialize = \"\"))]"),
            "{out}"
        );
        assert!(!out.contains(":: docket ::"), "{out}");
    }

    #[test]
    fn private_functions_get_module_visible_items() {
        let out = expand(
            parse_quote!(
                async fn f(a: Local) {}
            ),
            TaskArgs::default(),
        );
        assert!(out.contains("mod f {"), "{out}");
        assert!(!out.contains("pub mod f"), "{out}");
        assert!(out.contains("pub (super) struct Task ;"), "{out}");
        assert!(out.contains("pub (in super :: super) fn schedule"), "{out}");
    }

    #[test]
    fn a_parameter_named_docket_moves_the_docket_aside() {
        let out = expand(
            parse_quote!(
                async fn f(docket: String) {}
            ),
            TaskArgs::default(),
        );
        assert!(
            out.contains(
                "fn schedule (__docket_docket : & :: docket :: __private :: Docket , docket : String)"
            ),
            "{out}"
        );
    }

    #[test]
    fn lifetimes_in_parameters_name_the_builder_lifetime() {
        let out = expand(
            parse_quote!(
                async fn f(a: Cow<'static, str>) {}
            ),
            TaskArgs::default(),
        );
        assert!(out.contains("fn schedule < '__docket > (docket : & '__docket :: docket :: __private :: Docket , a : Cow < 'static , str >) -> :: docket :: __private :: Schedule < '__docket , super :: Task >"), "{out}");
    }

    #[test]
    fn cfg_attributes_follow_the_function() {
        let out = expand(
            parse_quote!(
                #[cfg(feature = "x")]
                #[inline]
                async fn f() {}
            ),
            TaskArgs::default(),
        );
        assert!(out.starts_with("# [cfg (feature = \"x\")] # [doc ="), "{out}");
        assert!(!out.contains("inline"), "{out}");
    }

    #[test]
    fn snapshot_of_a_task_with_behaviours_and_injections() {
        crate::snapshot::assert_expansion(
            "behaviours-and-injections",
            quote!(),
            quote! {
                #[retry(attempts = 5, exponential, min = "1s", max = "5m")]
                #[timeout("10m")]
                #[perpetual(every = "1h")]
                pub(crate) async fn sync_account(
                    #[logged] account: u64,
                    docket: docket::Docket,
                    #[logged(length_only)] items: Vec<String>,
                    #[inject] conn: Conn,
                    perpetual: Perpetual,
                    state: State<App>,
                ) -> anyhow::Result<()> {
                    Ok(())
                }
            },
        );
    }

    #[test]
    fn injected_parameters_are_resolved_in_order_and_left_out_of_schedule() {
        let out = expand(
            parse_quote!(
                async fn f(a: u8, ctx: TaskContext, #[inject] r#conn: Conn, b: String) {}
            ),
            TaskArgs::default(),
        );
        for part in [
            "struct __DocketArgs < __DocketA0 , __DocketA1 > { a : __DocketA0 , b : __DocketA1 , }",
            "let __DocketArgs { a , b } = :: docket :: __private :: decode_args :: < __DocketArgs < u8 , String > > (super :: NAME , & __docket_args) ? ; \
             let ctx = :: docket :: __private :: inject :: < TaskContext > (& __docket_ctx , \"ctx\") . await ? ; \
             let r#conn = :: docket :: __private :: inject :: < Conn > (& __docket_ctx , \"conn\") . await ? ; \
             :: docket :: __private :: value_outcome (super :: super :: f (a , ctx , r#conn , b) . await)",
            "fn schedule (docket : & :: docket :: __private :: Docket , a : u8 , b : String)",
            "fn args (a : u8 , b : String)",
        ] {
            assert!(out.contains(part), "missing `{part}` in\n{out}");
        }
    }

    #[test]
    fn behaviours_become_descriptor_options() {
        let out = expand(
            parse_quote!(
                #[retry(attempts = 3, delay = "1s")]
                #[perpetual(every = "5m")]
                async fn f(#[logged] a: u8, b: u8, #[logged(length_only)] r#c: Vec<u8>) {}
            ),
            TaskArgs::default(),
        );
        let p = ":: docket :: __private ::";
        let expected = format!(
            ". with_options ({p} TaskOptions :: new () \
             . retry ({p} RetryPolicy :: new ({p} Attempts :: Limited (3) , {p} RetryDelay :: Fixed ({p} Duration :: from_millis (1000)))) \
             . perpetual ({p} PerpetualPolicy :: new ({p} Duration :: from_millis (300000))) \
             . logged (& [{p} LoggedParam :: value (\"a\") , {p} LoggedParam :: length (\"c\")])) ;"
        );
        assert!(out.contains(&expected), "missing `{expected}` in\n{out}");
        assert!(!out.contains("__DOCKET_CRON"), "{out}");

        let out = expand(
            parse_quote!(
                #[retry(forever)]
                #[perpetual(every = "1s", automatic)]
                async fn f(docket: Docket) {}
            ),
            TaskArgs::default(),
        );
        let expected = format!(
            ". retry ({p} RetryPolicy :: new ({p} Attempts :: Forever , {p} RetryDelay :: Fixed ({p} Duration :: from_millis (0))))"
        );
        assert!(out.contains(&expected), "missing `{expected}` in\n{out}");
        let expected = format!(
            ". perpetual ({p} PerpetualPolicy :: new ({p} Duration :: from_millis (1000)) . automatic ())"
        );
        assert!(out.contains(&expected), "missing `{expected}` in\n{out}");
    }

    #[test]
    fn snapshot_of_a_cron_task() {
        crate::snapshot::assert_expansion(
            "cron-task",
            quote!(),
            quote! {
                #[cron("0 9 * * 1", tz = "Europe/Paris")]
                pub async fn weekly_report(docket: Docket) {}
            },
        );
    }

    #[test]
    fn cron_tasks_cache_their_schedule_in_a_static() {
        let out = expand(
            parse_quote!(
                #[cron("@daily")]
                async fn f() {}
            ),
            TaskArgs::default(),
        );
        for part in [
            "static __DOCKET_CRON : :: docket :: __private :: OnceLock < :: core :: option :: Option < :: docket :: __private :: CronSchedule >> = :: docket :: __private :: OnceLock :: new () ;",
            ". cron (:: docket :: __private :: CronPolicy :: new (\"@daily\" , :: core :: option :: Option :: None , & self :: __DOCKET_CRON))",
        ] {
            assert!(out.contains(part), "missing `{part}` in\n{out}");
        }
    }

    #[test]
    fn admission_controls_become_descriptor_options_in_order() {
        let out = expand(
            parse_quote!(
                #[concurrency(max = 3)]
                #[rate_limit(limit = 10, per = "1m")]
                #[concurrency(arg = "customer_id", max = 1, scope = "customers")]
                #[cooldown("30s", arg = "customer_id")]
                #[debounce("5s")]
                #[cooldown("1h")]
                #[rate_limit(drop, limit = 2, per = "1s", arg = "customer_id", scope = "api")]
                async fn f(r#customer_id: u64) {}
            ),
            TaskArgs::default(),
        );
        let p = ":: docket :: __private ::";
        let expected = format!(
            ". with_options ({p} TaskOptions :: new () \
             . concurrency (& [{p} ConcurrencyLimit :: new (3) , {p} ConcurrencyLimit :: new (1) . arg (\"customer_id\") . scope (\"customers\")]) \
             . cooldown (& [{p} Cooldown :: new ({p} Duration :: from_millis (30000)) . arg (\"customer_id\") , {p} Cooldown :: new ({p} Duration :: from_millis (3600000))]) \
             . debounce ({p} Debounce :: new ({p} Duration :: from_millis (5000))) \
             . rate_limit (& [{p} RateLimit :: new (10 , {p} Duration :: from_millis (60000)) , {p} RateLimit :: new (2 , {p} Duration :: from_millis (1000)) . arg (\"customer_id\") . scope (\"api\") . dropping ()])) ;"
        );
        assert!(out.contains(&expected), "missing `{expected}` in\n{out}");
    }

    #[test]
    fn snapshot_of_admission_controls() {
        crate::snapshot::assert_expansion(
            "admission-controls",
            quote!(),
            quote! {
                #[retry(attempts = 3)]
                #[concurrency(max = 10)]
                #[concurrency(arg = "customer_id", max = 1)]
                #[concurrency(max = 2, scope = "tenants")]
                #[cooldown("30s", arg = "customer_id")]
                #[debounce("5s", arg = "customer_id")]
                #[rate_limit(limit = 100, per = "1m", scope = "payments-api", drop)]
                pub async fn charge_customer(customer_id: u64, docket: Docket) {}
            },
        );
    }
}
