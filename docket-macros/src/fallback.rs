//! What to emit next to the errors when a task is invalid.
//!
//! The function itself is always emitted as written, so its body still type-checks and the IDE
//! keeps working inside it. Beside it comes a stub of the task's module with the same public
//! face as the real one (`Task`, `NAME`, and `schedule` with the same parameters), so call
//! sites elsewhere keep compiling and the user sees only the errors that matter:
//!
//! - `schedule`, `args` and `call` take every typed parameter that is not injected (by the same
//!   syntactic rule as the real expansion: the type's last segment, or `#[inject]`), even one
//!   the task may not have (a pattern, a borrow, `impl Trait`), with the function's own
//!   generics so those types resolve; their parameters are `_` so none is reported unused. They
//!   return the real types, built from no arguments: the crate does not compile, so they never
//!   run.
//! - `Task`'s output is the success type read from the signature when it can stand on its own,
//!   and `()` when it can't (it borrows, names a generic, or is `impl Trait`): a result type
//!   that is wrong is already reported, and repeating it here would only add noise.
//! - No adapter and no registration: nothing can run.

use proc_macro2::TokenStream;
use quote::quote;
use syn::visit::Visit;
use syn::{FnArg, GenericParam, Ident, Lifetime, Type};

use crate::expand;
use crate::helpers::ParamAttrs;
use crate::model::{Header, Injected, Output, TaskFn};

/// The stub module for `item` (its helper attributes taken off, and found in `attrs`, one per
/// input), whose errors are reported separately.
pub(crate) fn module(header: &Header, item: &TaskFn, attrs: &[ParamAttrs]) -> TokenStream {
    let private = expand::private_path(&header.krate, 2);
    let sig = &item.sig;
    let output = stub_output(item);
    let types: Vec<_> = sig
        .inputs
        .iter()
        .zip(attrs)
        .filter_map(|(arg, attrs)| match arg {
            FnArg::Typed(arg) if Injected::classify(&arg.ty, attrs.inject).is_none() => Some(&arg.ty),
            FnArg::Typed(_) | FnArg::Receiver(_) => None,
        })
        .collect();
    let params = &sig.generics.params;
    let where_clause = &sig.generics.where_clause;
    let schedule_vis = expand::item_vis(&header.vis, 2);
    let schedule_docs = expand::schedule_docs(header);
    let args_docs = expand::args_docs(header);
    let call_docs = expand::call_docs(header);
    let inner = quote! {
        impl #private::Task for super::Task {
            const NAME: &'static str = super::NAME;
            type Output = #output;
        }

        #schedule_docs
        #[allow(clippy::too_many_arguments)]
        #schedule_vis fn schedule<'__docket, #params>(
            docket: &'__docket #private::Docket,
            #(_: #types),*
        ) -> #private::Schedule<'__docket, super::Task> #where_clause {
            #private::schedule::<super::Task, _>(docket, &())
        }

        #args_docs
        #[allow(clippy::too_many_arguments)]
        #schedule_vis fn args<#params>(#(_: #types),*) -> #private::Args<super::Task> #where_clause {
            #private::args::<super::Task, _>(&())
        }

        #call_docs
        #[allow(clippy::too_many_arguments)]
        #schedule_vis fn call<#params>(#(_: #types),*) -> #private::TaskCall #where_clause {
            #private::TaskCall::from(#private::args::<super::Task, _>(&()))
        }
    };
    expand::module(header, TokenStream::new(), inner)
}

/// The success type if it can be used outside the function, else `()`.
fn stub_output(item: &TaskFn) -> TokenStream {
    let Ok(output) = Output::new(&item.sig.output) else {
        return quote!(());
    };
    let ty = output.ty();
    if StandsAlone::check(&ty, item) {
        quote!(#ty)
    } else {
        quote!(())
    }
}

/// Whether a type borrows nothing, names none of the function's generics and is not opaque.
struct StandsAlone<'a> {
    generics: Vec<&'a Ident>,
    ok: bool,
}

impl<'a> StandsAlone<'a> {
    fn check(ty: &Type, item: &'a TaskFn) -> bool {
        let generics = item
            .sig
            .generics
            .params
            .iter()
            .map(|param| match param {
                GenericParam::Type(param) => &param.ident,
                GenericParam::Lifetime(param) => &param.lifetime.ident,
                GenericParam::Const(param) => &param.ident,
            })
            .collect();
        let mut visitor = Self { generics, ok: true };
        visitor.visit_type(ty);
        visitor.ok
    }
}

impl<'ast> Visit<'ast> for StandsAlone<'_> {
    fn visit_type_reference(&mut self, _: &'ast syn::TypeReference) {
        self.ok = false;
    }

    fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
        self.ok = false;
    }

    fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
        if lifetime.ident != "static" {
            self.ok = false;
        }
    }

    fn visit_ident(&mut self, ident: &'ast Ident) {
        if self.generics.contains(&ident) {
            self.ok = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::attr::TaskArgs;

    fn stub(mut item: TaskFn) -> String {
        let (_, attrs) = crate::helpers::take(&mut item, &mut Vec::new());
        let header = Header::new(&item, &TaskArgs::default());
        module(&header, &item, &attrs).to_string()
    }

    #[test]
    fn snapshot_of_an_invalid_task() {
        crate::snapshot::assert_expansion(
            "invalid-task",
            quote::quote!(name = ""),
            quote::quote! {
                pub fn greet(name: &str) -> String {
                    format!("hello, {name}")
                }
            },
        );
    }

    #[test]
    fn keeps_the_public_face_with_the_same_parameters() {
        let out = stub(parse_quote!(
            pub fn f(&self, (a, b): (u8, u8), c: &str) -> Result<Receipt, E> {}
        ));
        for part in [
            "pub mod f",
            "pub struct Task ;",
            "pub const NAME : & str = \"f\" ;",
            "pub use self :: __docket_task :: { args , call , schedule } ;",
            "type Output = Receipt ;",
            "pub fn schedule < '__docket , > (docket : & '__docket :: docket :: __private :: Docket , _ : (u8 , u8) , _ : & str) -> :: docket :: __private :: Schedule < '__docket , super :: Task >",
            ":: docket :: __private :: schedule :: < super :: Task , _ > (docket , & ())",
            "pub fn args < > (_ : (u8 , u8) , _ : & str) -> :: docket :: __private :: Args < super :: Task >",
            "pub fn call < > (_ : (u8 , u8) , _ : & str) -> :: docket :: __private :: TaskCall",
        ] {
            assert!(out.contains(part), "missing `{part}` in\n{out}");
        }
        assert!(!out.contains("submit"), "{out}");
        assert!(!out.contains("__docket_run"), "{out}");
    }

    #[test]
    fn keeps_generics_so_parameter_types_resolve() {
        let out = stub(parse_quote!(
            async fn f<T: Display>(t: T, u: impl Clone) -> T
            where
                T: Send,
            {
            }
        ));
        assert!(out.contains("fn schedule < '__docket , T : Display > (docket : & '__docket :: docket :: __private :: Docket , _ : T , _ : impl Clone) -> :: docket :: __private :: Schedule < '__docket , super :: Task > where T : Send"), "{out}");
        assert!(out.contains("type Output = () ;"), "{out}");
    }

    #[test]
    fn an_output_that_cannot_stand_alone_becomes_unit() {
        for item in [
            parse_quote!(
                async fn f() -> &'static str {}
            ),
            parse_quote!(
                async fn f() -> impl Serialize {}
            ),
            parse_quote!(
                async fn f<'a>() -> Cow<'a, str> {}
            ),
            parse_quote!(
                async fn f() -> fmt::Result {}
            ),
        ] {
            let out = stub(item);
            assert!(out.contains("type Output = () ;"), "{out}");
        }
        let out = stub(parse_quote!(
            async fn f<T>() -> Vec<String> {}
        ));
        assert!(out.contains("type Output = Vec < String > ;"), "{out}");
    }

    #[test]
    fn leaves_out_injected_parameters_by_the_same_rule() {
        let out = stub(parse_quote!(
            #[retry(attempts = 0)]
            pub async fn f(
                a: u8,
                ctx: docket::TaskContext,
                #[inject] conn: Conn,
                state: State<App>,
                b: &str,
            ) {
            }
        ));
        assert!(out.contains("pub fn schedule < '__docket , > (docket : & '__docket :: docket :: __private :: Docket , _ : u8 , _ : & str)"), "{out}");
        assert!(out.contains("pub fn args < > (_ : u8 , _ : & str)"), "{out}");
    }
}
