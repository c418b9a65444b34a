//! The task as the macro understands it.
//!
//! [`TaskFn`] is the annotated function as written: attributes, visibility and signature
//! parsed, body kept opaque. [`TaskDef`] is the task built from it: what the generated code
//! needs, with the original syn nodes kept so errors point at the user's tokens.

use proc_macro2::{Group, Span, TokenStream};
use quote::{quote, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{
    Abi, Attribute, FnArg, GenericArgument, Ident, Pat, PatIdent, Path, PathArguments, ReturnType, Signature,
    Token, Type, Visibility,
};

use crate::attr::TaskArgs;

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

/// A task: the function's identity, its parameters sorted by role, its output, and (later) the
/// behaviours declared by helper attributes.
pub(crate) struct TaskDef {
    pub(crate) header: Header,
    /// The signature as written, for the validator's spans.
    pub(crate) sig: Signature,
    /// The parameters that could be understood, in order. Those that could not (`self`,
    /// patterns) were reported while building the definition.
    pub(crate) params: Vec<Param>,
    pub(crate) output: Output,
    #[expect(dead_code, reason = "filled once helper attributes are parsed")]
    pub(crate) behaviours: Behaviours,
}

impl TaskDef {
    /// Builds the task from the function and the attribute's arguments, pushing onto `errors`
    /// what cannot be represented. The result is then complete only if no error was pushed.
    pub(crate) fn new(item: &TaskFn, args: &TaskArgs, errors: &mut Vec<syn::Error>) -> Self {
        let params = item
            .sig
            .inputs
            .iter()
            .filter_map(|arg| Param::new(arg).map_err(|error| errors.push(error)).ok())
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
            behaviours: Behaviours::default(),
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
    /// Its name: the key of its value in the stored argument map.
    pub(crate) ident: Ident,
    pub(crate) ty: Type,
    #[expect(dead_code, reason = "read once parameter attributes such as #[logged] exist")]
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) role: ParamRole,
}

impl Param {
    fn new(arg: &FnArg) -> syn::Result<Self> {
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
        Ok(Self {
            ident,
            ty: (*arg.ty).clone(),
            attrs: arg.attrs.clone(),
            role: ParamRole::Serialized { logged: Logged::No },
        })
    }
}

/// Where a parameter's value comes from when the task runs.
pub(crate) enum ParamRole {
    /// Given to `schedule`, stored in the task's argument map, decoded for each run.
    Serialized {
        #[expect(dead_code, reason = "read once #[logged] exists")]
        logged: Logged,
    },
    // Later: `Injected`, resolved from the run's context and not part of `schedule`.
}

/// Whether a serialized argument appears in the task's log lines.
pub(crate) enum Logged {
    /// Never (the default: arguments may hold secrets).
    No,
    // Later: `Value` for `#[logged]` and `Length` for `#[logged(length_only)]`.
}

/// The behaviours declared by helper attributes below `#[docket::task]` (`#[retry(..)]`,
/// `#[timeout(..)]`, `#[perpetual(..)]`, …). None are parsed yet: those attributes stay on the
/// function, where rustc reports them as unknown.
#[derive(Default)]
pub(crate) struct Behaviours {}

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

    fn def(item: TaskFn) -> (TaskDef, Vec<String>) {
        let mut errors = Vec::new();
        let def = TaskDef::new(&item, &TaskArgs::default(), &mut errors);
        (def, errors.iter().map(ToString::to_string).collect())
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
