//! The rules a task definition must follow beyond its shape: an `async fn` without qualifiers
//! or generics, whose parameters and output are owned, concrete types; and the rules between
//! helper attributes and parameters (each attribute on its own was checked while parsing).

use syn::visit::Visit;
use syn::{Lifetime, Signature, Type, TypeBareFn, TypeImplTrait, TypeReference};

use crate::model::{Injected, Output, ParamRole, TaskDef};

/// Checks `def`, pushing every broken rule onto `errors`.
pub(crate) fn task(def: &TaskDef, errors: &mut Vec<syn::Error>) {
    qualifiers(&def.sig, errors);
    generics(&def.sig, errors);
    for param in &def.params {
        owned(&param.ty, Subject::Parameter, errors);
    }
    match &def.output {
        Output::Unit => {}
        Output::Value(ty) | Output::Result { ok: ty, .. } => owned(ty, Subject::Output, errors),
    }
    behaviours(def, errors);
}

/// The helper attributes against each other and against the parameters.
fn behaviours(def: &TaskDef, errors: &mut Vec<syn::Error>) {
    let behaviours = &def.behaviours;
    if let (Some(_), Some(cron)) = (&behaviours.perpetual, &behaviours.cron) {
        errors.push(syn::Error::new(
            cron.span,
            "a task is either `#[perpetual]` (runs at a fixed cadence) or `#[cron]` (runs on a \
             calendar schedule), not both; remove one of them",
        ));
    }
    let serialized: Vec<_> = def
        .serialized()
        .map(|param| format!("`{}`", param.ident))
        .collect();
    if !serialized.is_empty() {
        let serialized = serialized.join(", ");
        let automatic = behaviours
            .perpetual
            .as_ref()
            .and_then(|perpetual| perpetual.automatic);
        if let Some(automatic) = automatic {
            errors.push(syn::Error::new(
                automatic,
                format!(
                    "an `automatic` task is seeded by the workers under the task's name with no \
                     arguments, so it can't have serialized parameters ({serialized}); remove \
                     them, or remove `automatic` and schedule the task yourself"
                ),
            ));
        }
        if let Some(cron) = &behaviours.cron {
            errors.push(syn::Error::new(
                cron.span,
                format!(
                    "a `#[cron]` task is seeded by the workers under the task's name with no \
                     arguments, so it can't have serialized parameters ({serialized}); remove \
                     them (injected parameters are fine)"
                ),
            ));
        }
    }
    for param in &def.params {
        let message = match param.role {
            ParamRole::Injected(Injected::Perpetual)
                if behaviours.perpetual.is_none() && behaviours.cron.is_none() =>
            {
                "`Perpetual` shapes the next run of a `#[perpetual]` or `#[cron]` task, and this \
                 task is neither; add `#[perpetual(every = \"...\")]` or `#[cron(\"...\")]`, or \
                 remove this parameter"
            }
            ParamRole::Injected(Injected::Timeout) if behaviours.timeout.is_none() => {
                "`Timeout` moves the deadline of a task with `#[timeout(\"...\")]`, and this task \
                 has none; add `#[timeout(\"10m\")]`, or remove this parameter"
            }
            _ => continue,
        };
        errors.push(syn::Error::new_spanned(&param.ty, message));
    }
}

fn qualifiers(sig: &Signature, errors: &mut Vec<syn::Error>) {
    if let Some(constness) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            constness,
            "a task can't be a `const fn`; remove `const`",
        ));
    }
    if sig.asyncness.is_none() {
        errors.push(syn::Error::new_spanned(
            sig.fn_token,
            "a task must be an `async fn`; add `async` before `fn`",
        ));
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            unsafety,
            "a task can't be an `unsafe fn`: workers call it with no way to uphold its safety \
             conditions; remove `unsafe` and use `unsafe` blocks inside",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "a task can't have an `extern` ABI: workers call it as a Rust function; remove the \
             `extern`",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "a task can't take variadic arguments; remove the `...`",
        ));
    }
}

fn generics(sig: &Signature, errors: &mut Vec<syn::Error>) {
    let generics = &sig.generics;
    if !generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            generics,
            "a task can't have generic or lifetime parameters: each run decodes its arguments \
             into owned, concrete types; use concrete types",
        ));
    }
    if let Some(where_clause) = &generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            "a task can't have a `where` clause: its types are concrete; remove the clause",
        ));
    }
}

/// What an owned type is checked for, to word the error.
#[derive(Clone, Copy)]
enum Subject {
    /// A parameter: decoded anew for each run, so it can't borrow.
    Parameter,
    /// The success type: stored and decoded later, so it can't borrow either.
    Output,
}

impl Subject {
    fn must_be_owned(self) -> &'static str {
        match self {
            Self::Parameter => "task parameters must be owned",
            Self::Output => "a task's result must be owned",
        }
    }
}

/// Checks that `ty` borrows nothing and names a concrete type.
fn owned(ty: &Type, subject: Subject, errors: &mut Vec<syn::Error>) {
    Owned { subject, errors }.visit_type(ty);
}

struct Owned<'e> {
    subject: Subject,
    errors: &'e mut Vec<syn::Error>,
}

impl<'ast> Visit<'ast> for Owned<'_> {
    fn visit_type_reference(&mut self, reference: &'ast TypeReference) {
        let fix = match &*reference.elem {
            Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => {
                "use `String` instead of `&str`"
            }
            Type::Slice(_) => "use `Vec<T>` instead of `&[T]`",
            _ => "remove the `&` and take the value itself",
        };
        self.errors.push(syn::Error::new_spanned(
            reference,
            format!("{}; {fix}", self.subject.must_be_owned()),
        ));
        // The reference's own lifetime and contents are covered by this error.
    }

    fn visit_lifetime(&mut self, lifetime: &'ast Lifetime) {
        if lifetime.ident != "static" {
            self.errors.push(syn::Error::new_spanned(
                lifetime,
                format!(
                    "{}; replace `{lifetime}` with `'static` or use an owned type",
                    self.subject.must_be_owned()
                ),
            ));
        }
    }

    fn visit_type_impl_trait(&mut self, impl_trait: &'ast TypeImplTrait) {
        let message = match self.subject {
            Subject::Parameter => {
                "`impl Trait` would make the task generic, but each run decodes its arguments \
                 into a concrete type; name a concrete type"
            }
            Subject::Output => {
                "a task's result needs a type that can be named: it is stored and decoded as \
                 the task's output; name a concrete type instead of `impl Trait`"
            }
        };
        self.errors.push(syn::Error::new_spanned(impl_trait, message));
    }

    fn visit_type_bare_fn(&mut self, _: &'ast TypeBareFn) {
        // A function pointer's parameters may borrow: they belong to the pointer, not to the
        // stored value. (It does not serialize, which the derive reports.)
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;
    use crate::attr::TaskArgs;
    use crate::model::TaskFn;

    fn errors(mut item: TaskFn) -> Vec<String> {
        let mut errors = Vec::new();
        let (behaviours, attrs) = crate::helpers::take(&mut item, &mut errors);
        let def = TaskDef::new(&item, &TaskArgs::default(), behaviours, &attrs, &mut errors);
        assert!(errors.is_empty(), "the model reported {errors:?}");
        task(&def, &mut errors);
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn accepts_a_plain_async_fn() {
        let item = parse_quote!(
            pub async fn f(
                a: u64,
                b: String,
                c: Vec<(u8, Option<String>)>,
                d: Cow<'static, str>,
            ) -> Result<HashMap<String, u8>, &'static str> {
            }
        );
        assert_eq!(errors(item), Vec::<String>::new());
    }

    #[test]
    fn requires_async() {
        assert_eq!(
            errors(parse_quote!(
                fn f() {}
            )),
            ["a task must be an `async fn`; add `async` before `fn`"]
        );
    }

    #[test]
    fn rejects_qualifiers() {
        assert_eq!(
            errors(parse_quote!(
                const unsafe extern "C" fn f(a: u8, ...) {}
            )),
            [
                "a task can't be a `const fn`; remove `const`",
                "a task must be an `async fn`; add `async` before `fn`",
                "a task can't be an `unsafe fn`: workers call it with no way to uphold its \
                 safety conditions; remove `unsafe` and use `unsafe` blocks inside",
                "a task can't have an `extern` ABI: workers call it as a Rust function; remove \
                 the `extern`",
                "a task can't take variadic arguments; remove the `...`",
            ]
        );
    }

    #[test]
    fn rejects_generics_and_where_clauses() {
        assert_eq!(
            errors(parse_quote!(
                async fn f<T: Clone>(t: T)
                where
                    T: Send,
                {
                }
            )),
            [
                "a task can't have generic or lifetime parameters: each run decodes its \
                 arguments into owned, concrete types; use concrete types",
                "a task can't have a `where` clause: its types are concrete; remove the clause",
            ]
        );
    }

    #[test]
    fn rejects_borrowed_parameters() {
        assert_eq!(
            errors(parse_quote!(
                async fn f(a: &str, b: &'static [u8], c: &mut Order, d: Cow<'_, str>) {}
            )),
            [
                "task parameters must be owned; use `String` instead of `&str`",
                "task parameters must be owned; use `Vec<T>` instead of `&[T]`",
                "task parameters must be owned; remove the `&` and take the value itself",
                "task parameters must be owned; replace `'_` with `'static` or use an owned type",
            ]
        );
    }

    #[test]
    fn rejects_impl_trait_parameters() {
        assert_eq!(
            errors(parse_quote!(
                async fn f(a: impl Into<String>) {}
            )),
            [
                "`impl Trait` would make the task generic, but each run decodes its arguments \
              into a concrete type; name a concrete type"
            ]
        );
    }

    #[test]
    fn allows_function_pointers_with_borrowed_arguments() {
        assert_eq!(
            errors(parse_quote!(
                async fn f(a: fn(&str) -> u8) {}
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn rejects_borrowed_and_opaque_outputs() {
        assert_eq!(
            errors(parse_quote!(
                async fn f() -> &'static str {}
            )),
            ["a task's result must be owned; use `String` instead of `&str`"]
        );
        assert_eq!(
            errors(parse_quote!(
                async fn f() -> Result<impl Serialize, E> {}
            )),
            [
                "a task's result needs a type that can be named: it is stored and decoded as the \
              task's output; name a concrete type instead of `impl Trait`"
            ]
        );
    }

    #[test]
    fn the_error_type_may_borrow() {
        assert_eq!(
            errors(parse_quote!(
                async fn f() -> Result<u8, &'static str> {}
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn perpetual_and_cron_exclude_each_other() {
        assert_eq!(
            errors(parse_quote!(
                #[perpetual(every = "1m")]
                #[cron("@daily")]
                async fn f() {}
            )),
            [
                "a task is either `#[perpetual]` (runs at a fixed cadence) or `#[cron]` (runs on a \
                 calendar schedule), not both; remove one of them"
            ]
        );
    }

    #[test]
    fn cron_tasks_take_no_serialized_parameters() {
        assert_eq!(
            errors(parse_quote!(
                #[cron("0 9 * * 1")]
                async fn f(team: String, perpetual: Perpetual) {}
            )),
            [
                "a `#[cron]` task is seeded by the workers under the task's name with no \
                 arguments, so it can't have serialized parameters (`team`); remove them \
                 (injected parameters are fine)"
            ]
        );
    }

    #[test]
    fn automatic_tasks_take_no_serialized_parameters() {
        assert_eq!(
            errors(parse_quote!(
                #[perpetual(every = "1m", automatic)]
                async fn f(a: u8, docket: Docket, b: String) {}
            )),
            [
                "an `automatic` task is seeded by the workers under the task's name with no \
                 arguments, so it can't have serialized parameters (`a`, `b`); remove them, or \
                 remove `automatic` and schedule the task yourself"
            ]
        );
        assert_eq!(
            errors(parse_quote!(
                #[perpetual(every = "1m", automatic)]
                async fn f(docket: Docket, perpetual: Perpetual, #[inject] conn: Conn) {}
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(parse_quote!(
                #[perpetual(every = "1m")]
                async fn f(a: u8, perpetual: docket::Perpetual) {}
            )),
            Vec::<String>::new()
        );
    }

    #[test]
    fn handles_need_their_attribute() {
        assert_eq!(
            errors(parse_quote!(
                async fn f(perpetual: docket::Perpetual, timeout: Timeout, retry: Retry) {}
            )),
            [
                "`Perpetual` shapes the next run of a `#[perpetual]` or `#[cron]` task, and this \
                 task is neither; add `#[perpetual(every = \"...\")]` or `#[cron(\"...\")]`, or \
                 remove this parameter",
                "`Timeout` moves the deadline of a task with `#[timeout(\"...\")]`, and this task \
                 has none; add `#[timeout(\"10m\")]`, or remove this parameter",
            ]
        );
        assert_eq!(
            errors(parse_quote!(
                #[timeout("1s")]
                #[perpetual(every = "1m")]
                async fn f(perpetual: docket::Perpetual, timeout: Timeout) {}
            )),
            Vec::<String>::new()
        );
    }
}
