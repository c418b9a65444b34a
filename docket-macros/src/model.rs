//! The task as the macro understands it.
//!
//! [`TaskFn`] is the annotated function as written: attributes, visibility and signature
//! parsed, body kept opaque. [`TaskDef`] is the task built from it: what the generated code
//! needs, with the original syn nodes kept so errors point at the user's tokens.

use std::time::Duration;

use proc_macro2::{Group, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Abi, Attribute, FnArg, GenericArgument, Ident, LitStr, Pat, PatIdent, Path, PathArguments, ReturnType,
    Signature, Token, Type, Visibility,
};

use crate::attr::TaskArgs;
use crate::helpers::ParamAttrs;

/// The function under `#[docket::task]`. The body is never parsed: it is emitted as written,
/// so a syntax error inside it is reported by rustc, and the macro keeps working meanwhile.
pub(crate) struct TaskFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) body: Group,
}

impl Parse for TaskFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        if !starts_fn(input) {
            return Err(
                input.error("`#[docket::task]` applies to an `async fn`; write `async fn name(..) { .. }`")
            );
        }
        let sig = input.parse()?;
        if !input.peek(syn::token::Brace) {
            return Err(input.error("expected the function's body `{ .. }`"));
        }
        let body = input.parse()?;
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// Whether a function signature starts here (after attributes and visibility).
fn starts_fn(input: ParseStream<'_>) -> bool {
    let fork = input.fork();
    let qualifiers = (|| -> syn::Result<()> {
        fork.parse::<Option<Token![const]>>()?;
        fork.parse::<Option<Token![async]>>()?;
        fork.parse::<Option<Token![unsafe]>>()?;
        fork.parse::<Option<Abi>>()?;
        Ok(())
    })();
    qualifiers.is_ok() && fork.peek(Token![fn])
}

impl ToTokens for TaskFn {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let Self {
            attrs,
            vis,
            sig,
            body,
        } = self;
        tokens.extend(quote!(#(#attrs)* #vis #sig #body));
    }
}

/// What names a task and where its generated items live. Valid even when the rest of the
/// signature is not, so the fallback can use it too.
pub(crate) struct Header {
    /// The function's name, which the generated module shares.
    pub(crate) ident: Ident,
    /// The function's visibility, which the generated module takes.
    pub(crate) vis: Visibility,
    /// The function's `#[cfg(..)]` attributes, repeated on the module so both exist together.
    pub(crate) cfg: Vec<Attribute>,
    /// The name the task is registered and scheduled under.
    pub(crate) name: String,
    /// The path of the `docket` crate as seen from the function's module.
    pub(crate) krate: Path,
}

impl Header {
    pub(crate) fn new(item: &TaskFn, args: &TaskArgs) -> Self {
        let ident = item.sig.ident.clone();
        Self {
            name: match &args.name {
                Some(name) => name.value(),
                None => ident.unraw().to_string(),
            },
            krate: match &args.krate {
                Some(krate) => krate.clone(),
                None => syn::parse_quote!(::docket),
            },
            cfg: item
                .attrs
                .iter()
                .filter(|attr| attr.path().is_ident("cfg"))
                .cloned()
                .collect(),
            vis: item.vis.clone(),
            ident,
        }
    }
}

/// A task: the function's identity, its parameters sorted by role, its output, and the
/// behaviours declared by helper attributes.
pub(crate) struct TaskDef {
    pub(crate) header: Header,
    /// The signature as written, for the validator's spans.
    pub(crate) sig: Signature,
    /// The parameters that could be understood, in order. Those that could not (`self`,
    /// patterns) were reported while building the definition.
    pub(crate) params: Vec<Param>,
    pub(crate) output: Output,
    pub(crate) behaviours: Behaviours,
}

impl TaskDef {
    /// Builds the task from the function (its helper attributes already taken off), the
    /// attribute's arguments, the behaviours and each input's helper attributes, pushing onto
    /// `errors` what cannot be represented. The result is then complete only if no error was
    /// pushed.
    pub(crate) fn new(
        item: &TaskFn,
        args: &TaskArgs,
        behaviours: Behaviours,
        attrs: &[ParamAttrs],
        errors: &mut Vec<syn::Error>,
    ) -> Self {
        let params = item
            .sig
            .inputs
            .iter()
            .zip(attrs)
            .filter_map(|(arg, attrs)| Param::new(arg, attrs).map_err(|error| errors.push(error)).ok())
            .collect();
        let output = Output::new(&item.sig.output).unwrap_or_else(|error| {
            errors.push(error);
            Output::Unit
        });
        Self {
            header: Header::new(item, args),
            sig: item.sig.clone(),
            params,
            output,
            behaviours,
        }
    }

    /// The parameters that are stored in the task's arguments and passed to `schedule`.
    pub(crate) fn serialized(&self) -> impl Iterator<Item = &Param> {
        self.params
            .iter()
            .filter(|param| matches!(param.role, ParamRole::Serialized { .. }))
    }
}

/// One parameter of the task function.
pub(crate) struct Param {
    /// Its name: the key of its value in the stored argument map, or the name an injection
    /// failure reports.
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    pub(crate) role: ParamRole,
}

impl Param {
    fn new(arg: &FnArg, attrs: &ParamAttrs) -> syn::Result<Self> {
        let arg = match arg {
            FnArg::Typed(arg) => arg,
            FnArg::Receiver(receiver) => {
                return Err(syn::Error::new_spanned(
                    receiver,
                    "a task can't take `self`; make it a free function and pass what it needs \
                     as parameters",
                ))
            }
        };
        let ident = match &*arg.pat {
            Pat::Ident(PatIdent {
                by_ref: None,
                subpat: None,
                ident,
                ..
            }) => ident.clone(),
            Pat::Ident(PatIdent {
                by_ref: Some(by_ref), ..
            }) => {
                return Err(syn::Error::new_spanned(
                    by_ref,
                    "task parameters are taken by value; remove `ref`",
                ))
            }
            Pat::Wild(wild) => {
                return Err(syn::Error::new_spanned(
                    wild,
                    "task parameters need a name, under which their value is stored; write \
                     `name: Type` (prefix it with `_` if the body does not use it)",
                ))
            }
            pat => {
                return Err(syn::Error::new_spanned(
                    pat,
                    "task parameters must be plain names, under which their value is stored; \
                     write `name: Type` and destructure it in the body",
                ))
            }
        };
        let ty = (*arg.ty).clone();
        let role = match (Injected::classify(&ty, attrs.inject), attrs.logged) {
            (None, logged) => ParamRole::Serialized {
                logged: logged.map_or(Logged::No, |(_, logged)| logged),
            },
            (Some(injected), None) => ParamRole::Injected(injected),
            (Some(_), Some((span, _))) => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "`#[logged]` shows a stored argument in log lines, but `{ident}` is \
                         injected by the worker and not stored; remove `#[logged]`"
                    ),
                ))
            }
        };
        Ok(Self { ident, ty, role })
    }
}

/// Where a parameter's value comes from when the task runs.
pub(crate) enum ParamRole {
    /// Given to `schedule`, stored in the task's argument map, decoded for each run.
    Serialized { logged: Logged },
    /// Resolved from the run's context through `docket::FromContext`; not part of `schedule`.
    Injected(Injected),
}

/// Why a parameter is injected: the last segment of its type names one of docket's injectable
/// types, or it is marked `#[inject]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Injected {
    Docket,
    TaskContext,
    Perpetual,
    Progress,
    Retry,
    Timeout,
    State,
    /// `#[inject]` on a type of another name.
    Marked,
}

impl Injected {
    /// The names docket's own injectable types are recognised by, as the crate docs list them.
    const NAMES: [(&'static str, Self); 7] = [
        ("Docket", Self::Docket),
        ("TaskContext", Self::TaskContext),
        ("Perpetual", Self::Perpetual),
        ("Progress", Self::Progress),
        ("Retry", Self::Retry),
        ("Timeout", Self::Timeout),
        ("State", Self::State),
    ];

    /// Whether a parameter of type `ty`, marked `#[inject]` or not, is injected. The rule is
    /// syntactic, the same in the expansion and in the fallback: the type's last path segment
    /// names one of docket's injectable types (whatever the path before it, with any generic
    /// arguments), or the parameter is marked.
    pub(crate) fn classify(ty: &Type, marked: bool) -> Option<Self> {
        let named = match ungroup(ty) {
            Type::Path(path) if path.qself.is_none() => path.path.segments.last().and_then(|last| {
                Self::NAMES
                    .iter()
                    .find(|(name, _)| last.ident == name)
                    .map(|(_, injected)| *injected)
            }),
            _ => None,
        };
        named.or(marked.then_some(Self::Marked))
    }
}

/// Whether a serialized argument appears in the task's log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logged {
    /// Never (the default: arguments may hold secrets).
    No,
    /// `#[logged]`: its value.
    Value,
    /// `#[logged(length_only)]`: only its length.
    Length,
}

/// The behaviours declared by helper attributes below `#[docket::task]`, each checked on its
/// own (see `helpers.rs`); `None` where the attribute is absent or was invalid.
#[derive(Default)]
pub(crate) struct Behaviours {
    /// `#[retry(..)]`.
    pub(crate) retry: Option<Retry>,
    /// `#[timeout("..")]`: longer than zero.
    pub(crate) timeout: Option<Duration>,
    /// `#[perpetual(..)]`.
    pub(crate) perpetual: Option<Perpetual>,
    /// `#[cron(..)]`.
    pub(crate) cron: Option<Cron>,
    /// Each `#[concurrency(..)]`, in the order written.
    pub(crate) concurrency: Vec<Concurrency>,
    /// Each `#[cooldown(..)]`, in the order written.
    pub(crate) cooldown: Vec<Cooldown>,
    /// `#[debounce(..)]`.
    pub(crate) debounce: Option<Debounce>,
    /// Each `#[rate_limit(..)]`, in the order written.
    pub(crate) rate_limit: Vec<RateLimit>,
}

/// `#[retry(..)]`: how many runs, and the wait between them.
pub(crate) struct Retry {
    pub(crate) attempts: Attempts,
    pub(crate) delay: RetryDelay,
}

/// `attempts = N` (at least 1) or `forever`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempts {
    Limited(u32),
    Forever,
}

/// `delay = ".."` (default zero), or `exponential` with `min <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryDelay {
    Fixed(Duration),
    Exponential { min: Duration, max: Duration },
}

/// `#[perpetual(every = "..", automatic)]`.
pub(crate) struct Perpetual {
    pub(crate) every: Duration,
    /// Where `automatic` is written, if it is.
    pub(crate) automatic: Option<Span>,
}

/// `#[cron("..", tz = "..")]`, with an expression and zone the runtime's parser accepts.
pub(crate) struct Cron {
    /// The attribute's name, for errors about the attribute as a whole.
    pub(crate) span: Span,
    pub(crate) expression: LitStr,
    pub(crate) timezone: Option<LitStr>,
}

/// `#[concurrency(max = N, arg = "..", scope = "..")]`: at most `max` runs at once.
pub(crate) struct Concurrency {
    /// The attribute's name, for errors about the attribute as a whole.
    pub(crate) span: Span,
    /// At least 1.
    pub(crate) max: u32,
    /// The parameter the limit is counted per, as written; the validator checks it names a
    /// serialized parameter.
    pub(crate) arg: Option<LitStr>,
    /// The name several tasks share the limit under: not empty, no surrounding whitespace.
    pub(crate) scope: Option<LitStr>,
}

/// `#[cooldown("..", arg = "..")]`: duplicates within the window after a submission are
/// dropped.
pub(crate) struct Cooldown {
    /// The attribute's name, for errors about the attribute as a whole.
    pub(crate) span: Span,
    /// Longer than zero.
    pub(crate) window: Duration,
    /// The parameter the window is kept per, as written (see [`Concurrency::arg`]).
    pub(crate) arg: Option<LitStr>,
}

/// `#[debounce("..", arg = "..")]`: one run once the submissions are quiet for the window.
pub(crate) struct Debounce {
    /// Longer than zero.
    pub(crate) window: Duration,
    /// The parameter submissions are grouped by, as written (see [`Concurrency::arg`]).
    pub(crate) arg: Option<LitStr>,
}

/// `#[rate_limit(limit = N, per = "..", arg = "..", scope = "..", drop)]`: at most `limit`
/// starts per `per`.
pub(crate) struct RateLimit {
    /// The attribute's name, for errors about the attribute as a whole.
    pub(crate) span: Span,
    /// At least 1.
    pub(crate) limit: u32,
    /// Longer than zero.
    pub(crate) per: Duration,
    /// The parameter starts are counted per, as written (see [`Concurrency::arg`]).
    pub(crate) arg: Option<LitStr>,
    /// The name several tasks share the limit under (see [`Concurrency::scope`]).
    pub(crate) scope: Option<LitStr>,
    /// `drop`: an execution over the limit is dropped instead of waiting.
    pub(crate) drop: bool,
}

/// What a successful run stores, decided from the return type as written.
pub(crate) enum Output {
    /// No return type, or `()`.
    Unit,
    /// Any type that is not a `Result`: the value itself is the output.
    Value(Type),
    /// A type whose last path segment is `Result` (`Result<T, E>`, `anyhow::Result<T>`,
    /// `io::Result<T>`, a user's own alias or type named `Result`): its first type argument is
    /// the output, and an `Err` fails the run with the error's `Display`.
    Result {
        /// The success type: the first type argument.
        ok: Type,
        /// Where the error type is written (the whole return type if it names none), for
        /// errors about it.
        error_span: Span,
    },
}

impl Output {
    pub(crate) fn new(output: &ReturnType) -> syn::Result<Self> {
        let ty = match output {
            ReturnType::Default => return Ok(Self::Unit),
            ReturnType::Type(_, ty) => &**ty,
        };
        let inner = ungroup(ty);
        if matches!(inner, Type::Tuple(tuple) if tuple.elems.is_empty()) {
            return Ok(Self::Unit);
        }
        let Type::Path(path) = inner else {
            return Ok(Self::Value(ty.clone()));
        };
        let Some(last) = path.path.segments.last() else {
            return Ok(Self::Value(ty.clone()));
        };
        if last.ident != "Result" {
            return Ok(Self::Value(ty.clone()));
        }
        let mut types = match &last.arguments {
            PathArguments::AngleBracketed(args) => args
                .args
                .iter()
                .filter_map(|arg| match arg {
                    GenericArgument::Type(ty) => Some(ty),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
        .into_iter();
        match types.next() {
            Some(ok) => Ok(Self::Result {
                ok: ok.clone(),
                error_span: types.next().unwrap_or(ty).span(),
            }),
            None => Err(syn::Error::new_spanned(
                ty,
                "the success type of this `Result` can't be read from the signature; write its \
                 type arguments out, e.g. `Result<(), MyError>`",
            )),
        }
    }

    /// The type a successful run stores: the task's `Output`.
    pub(crate) fn ty(&self) -> Type {
        match self {
            Self::Unit => syn::parse_quote!(()),
            Self::Value(ty) | Self::Result { ok: ty, .. } => ty.clone(),
        }
    }
}

/// Looks through parentheses and invisible groups around a type.
fn ungroup(ty: &Type) -> &Type {
    match ty {
        Type::Paren(paren) => ungroup(&paren.elem),
        Type::Group(group) => ungroup(&group.elem),
        ty => ty,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;
    use syn::parse_quote;

    use super::*;

    fn def(mut item: TaskFn) -> (TaskDef, Vec<String>) {
        let mut errors = Vec::new();
        let (behaviours, attrs) = crate::helpers::take(&mut item, &mut errors);
        let def = TaskDef::new(&item, &TaskArgs::default(), behaviours, &attrs, &mut errors);
        (def, errors.iter().map(ToString::to_string).collect())
    }

    fn classify(ty: Type) -> Option<Injected> {
        Injected::classify(&ty, false)
    }

    #[test]
    fn classifies_injected_types_by_their_last_segment() {
        assert_eq!(classify(parse_quote!(Docket)), Some(Injected::Docket));
        assert_eq!(classify(parse_quote!(docket::Docket)), Some(Injected::Docket));
        assert_eq!(
            classify(parse_quote!(::docket::TaskContext)),
            Some(Injected::TaskContext)
        );
        assert_eq!(classify(parse_quote!(Perpetual)), Some(Injected::Perpetual));
        assert_eq!(classify(parse_quote!(docket::Progress)), Some(Injected::Progress));
        assert_eq!(classify(parse_quote!(docket::Retry)), Some(Injected::Retry));
        assert_eq!(classify(parse_quote!(Timeout)), Some(Injected::Timeout));
        assert_eq!(classify(parse_quote!(State<AppState>)), Some(Injected::State));
        assert_eq!(
            classify(parse_quote!(docket::State<Arc<Pool>>)),
            Some(Injected::State)
        );
        assert_eq!(classify(parse_quote!((Retry))), Some(Injected::Retry));
        // Everything else is serialized, even when it contains an injectable type.
        assert_eq!(classify(parse_quote!(Option<Docket>)), None);
        assert_eq!(classify(parse_quote!(Vec<State<u8>>)), None);
        assert_eq!(classify(parse_quote!(docket::Docket::Inner)), None);
        assert_eq!(classify(parse_quote!(<T as Trait>::Retry)), None);
        assert_eq!(classify(parse_quote!(&TaskContext)), None);
        assert_eq!(classify(parse_quote!(RetryPolicy)), None);
        assert_eq!(classify(parse_quote!(u64)), None);
        // `#[inject]` makes any type injected.
        assert_eq!(
            Injected::classify(&parse_quote!(Conn), true),
            Some(Injected::Marked)
        );
        assert_eq!(
            Injected::classify(&parse_quote!(Retry), true),
            Some(Injected::Retry)
        );
    }

    #[test]
    fn sorts_parameters_by_role_in_order() {
        let (def, errors) = def(parse_quote!(
            async fn f(
                #[logged] a: u64,
                docket: docket::Docket,
                #[logged(length_only)] b: Vec<u8>,
                #[inject] conn: Conn,
                c: String,
                state: State<App>,
            ) {
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let roles: Vec<_> = def
            .params
            .iter()
            .map(|param| match &param.role {
                ParamRole::Serialized { logged } => format!("{} {logged:?}", param.ident),
                ParamRole::Injected(injected) => format!("{} {injected:?}", param.ident),
            })
            .collect();
        assert_eq!(
            roles,
            [
                "a Value",
                "docket Docket",
                "b Length",
                "conn Marked",
                "c No",
                "state State"
            ]
        );
        let serialized: Vec<_> = def.serialized().map(|p| p.ident.to_string()).collect();
        assert_eq!(serialized, ["a", "b", "c"]);
    }

    #[test]
    fn an_injected_parameter_is_not_logged() {
        let (def, errors) = def(parse_quote!(
            async fn f(
                #[logged] ctx: TaskContext,
                #[inject]
                #[logged(length_only)]
                conn: Conn,
                a: u8,
            ) {
            }
        ));
        let message = |name: &str| {
            format!(
                "`#[logged]` shows a stored argument in log lines, but `{name}` is injected by the \
                 worker and not stored; remove `#[logged]`"
            )
        };
        assert_eq!(errors, [message("ctx"), message("conn")]);
        assert_eq!(def.params.len(), 1);
    }

    fn output(ty: TokenStream) -> String {
        let item: TaskFn = parse_quote!(async fn f() -> #ty {});
        let (def, errors) = def(item);
        assert!(errors.is_empty(), "{errors:?}");
        let kind = match def.output {
            Output::Unit => "unit",
            Output::Value(_) => "value",
            Output::Result { .. } => "result",
        };
        let ty = def.output.ty();
        format!("{kind} {}", quote!(#ty))
    }

    #[test]
    fn keeps_the_body_opaque() {
        let item: TaskFn = syn::parse2(quote! {
            #[doc = "docs"]
            pub async fn f(a: u8) -> u8 { this is not rust ; a }
        })
        .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(item.attrs.len(), 1);
        assert_eq!(item.sig.ident, "f");
        assert_eq!(
            item.to_token_stream().to_string(),
            "# [doc = \"docs\"] pub async fn f (a : u8) -> u8 { this is not rust ; a }"
        );
    }

    #[test]
    fn rejects_items_that_are_not_functions() {
        for item in [
            quote!(
                struct S;
            ),
            quote!(
                pub const X: u8 = 1;
            ),
            quote!(
                extern crate std;
            ),
        ] {
            let error = syn::parse2::<TaskFn>(item.clone()).err().map(|e| e.to_string());
            assert_eq!(
                error.as_deref(),
                Some("`#[docket::task]` applies to an `async fn`; write `async fn name(..) { .. }`"),
                "for `{item}`"
            );
        }
    }

    #[test]
    fn header_defaults_to_the_function_name_and_docket() {
        let item: TaskFn = parse_quote!(
            #[cfg(test)]
            #[inline]
            pub(crate) async fn r#type() {}
        );
        let header = Header::new(&item, &TaskArgs::default());
        assert_eq!(header.name, "type");
        let krate = &header.krate;
        assert_eq!(quote!(#krate).to_string(), ":: docket");
        assert_eq!(header.cfg.len(), 1);
    }

    #[test]
    fn parameters_keep_names_and_types() {
        let (def, errors) = def(parse_quote!(
            async fn f(mut a: u64, #[some] b: Vec<String>, _unused: ()) {}
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<_> = def.serialized().map(|p| p.ident.to_string()).collect();
        assert_eq!(names, ["a", "b", "_unused"]);
        let ty = &def.params[1].ty;
        assert_eq!(quote!(#ty).to_string(), "Vec < String >");
    }

    #[test]
    fn rejects_self_and_patterns_and_keeps_the_rest() {
        let (def, errors) = def(parse_quote!(
            async fn f(&self, (a, b): (u8, u8), _: u8, ref c: u8, d: u8) {}
        ));
        assert_eq!(
            errors,
            [
                "a task can't take `self`; make it a free function and pass what it needs as \
                 parameters",
                "task parameters must be plain names, under which their value is stored; write \
                 `name: Type` and destructure it in the body",
                "task parameters need a name, under which their value is stored; write `name: \
                 Type` (prefix it with `_` if the body does not use it)",
                "task parameters are taken by value; remove `ref`",
            ]
        );
        let names: Vec<_> = def.params.iter().map(|p| p.ident.to_string()).collect();
        assert_eq!(names, ["d"]);
    }

    #[test]
    fn classifies_return_types() {
        assert_eq!(output(quote!(())), "unit ()");
        assert_eq!(output(quote!(u64)), "value u64");
        assert_eq!(output(quote!(Option<u64>)), "value Option < u64 >");
        assert_eq!(output(quote!(Result<Receipt, Error>)), "result Receipt");
        assert_eq!(output(quote!(std::result::Result<(), E>)), "result ()");
        assert_eq!(output(quote!(anyhow::Result<Vec<u8>>)), "result Vec < u8 >");
        assert_eq!(output(quote!(io::Result<String>)), "result String");
        assert_eq!(output(quote!((Result<u8, E>))), "result u8");
        assert_eq!(
            output(quote!(Box<Result<u8, E>>)),
            "value Box < Result < u8 , E > >"
        );
    }

    #[test]
    fn no_return_type_is_unit() {
        let (def, _) = def(parse_quote!(
            async fn f() {}
        ));
        assert!(matches!(def.output, Output::Unit));
    }

    #[test]
    fn a_result_without_type_arguments_is_an_error() {
        let (_, errors) = def(parse_quote!(
            async fn f() -> fmt::Result {}
        ));
        assert_eq!(
            errors,
            [
                "the success type of this `Result` can't be read from the signature; write its \
              type arguments out, e.g. `Result<(), MyError>`"
            ]
        );
    }
}
