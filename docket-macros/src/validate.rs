//! The rules a task definition must follow beyond its shape: an `async fn` without qualifiers
//! or generics, whose parameters and output are owned, concrete types; and the rules between
//! helper attributes and parameters (each attribute on its own was checked while parsing).

use syn::ext::IdentExt;
use syn::visit::Visit;
use syn::{FnArg, Lifetime, LitStr, Pat, Signature, Type, TypeBareFn, TypeImplTrait, TypeReference};

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
    admission(def, errors);
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

/// The admission controls: each `arg` names a serialized parameter, and no limit is declared
/// twice on one key.
fn admission(def: &TaskDef, errors: &mut Vec<syn::Error>) {
    let behaviours = &def.behaviours;
    let args = behaviours
        .concurrency
        .iter()
        .map(|limit| (&limit.arg, "the runs are counted per"))
        .chain(
            behaviours
                .cooldown
                .iter()
                .map(|cooldown| (&cooldown.arg, "the window is kept per")),
        )
        .chain(
            behaviours
                .debounce
                .iter()
                .map(|debounce| (&debounce.arg, "the submissions are grouped by")),
        )
        .chain(
            behaviours
                .rate_limit
                .iter()
                .map(|limit| (&limit.arg, "the starts are counted per")),
        );
    for (arg, keyed) in args {
        if let Some(arg) = arg {
            arg_names_a_serialized_parameter(def, arg, keyed, errors);
        }
    }

    let value = |text: &Option<LitStr>| text.as_ref().map(LitStr::value);
    for (i, limit) in behaviours.concurrency.iter().enumerate() {
        let key = (value(&limit.arg), value(&limit.scope));
        let twice = behaviours.concurrency[..i]
            .iter()
            .any(|earlier| (value(&earlier.arg), value(&earlier.scope)) == key);
        if twice {
            errors.push(syn::Error::new(
                limit.span,
                format!(
                    "this `#[concurrency]` is declared twice: an earlier one also limits the runs \
                     {}; keep one of them, with the `max` you mean",
                    keyed_by(&limit.arg, &limit.scope)
                ),
            ));
        }
    }
    for (i, cooldown) in behaviours.cooldown.iter().enumerate() {
        let key = value(&cooldown.arg);
        if behaviours.cooldown[..i]
            .iter()
            .any(|earlier| value(&earlier.arg) == key)
        {
            errors.push(syn::Error::new(
                cooldown.span,
                format!(
                    "this `#[cooldown]` is declared twice: an earlier one also keeps a window {}; \
                     keep one of them, with the window you mean",
                    keyed_by(&cooldown.arg, &None)
                ),
            ));
        }
    }
    for (i, limit) in behaviours.rate_limit.iter().enumerate() {
        let key = (value(&limit.arg), value(&limit.scope), limit.per);
        let twice = behaviours.rate_limit[..i]
            .iter()
            .any(|earlier| (value(&earlier.arg), value(&earlier.scope), earlier.per) == key);
        if twice {
            errors.push(syn::Error::new(
                limit.span,
                format!(
                    "this `#[rate_limit]` is declared twice: an earlier one also counts the starts \
                     in any window of {} {}; only the lower `limit` of the two can apply, so keep \
                     that one",
                    docket_time::format_duration(limit.per),
                    keyed_by(&limit.arg, &limit.scope)
                ),
            ));
        }
    }
}

/// What a limit is kept per, for errors: "for the task", "per value of `customer_id`", ...
fn keyed_by(arg: &Option<LitStr>, scope: &Option<LitStr>) -> String {
    let arg = arg.as_ref().map(|arg| format!("per value of `{}`", arg.value()));
    let scope = scope
        .as_ref()
        .map(|scope| format!("in the scope `{}`", scope.value()));
    match (arg, scope) {
        (None, None) => "for the task".to_string(),
        (Some(keyed), None) | (None, Some(keyed)) => keyed,
        (Some(arg), Some(scope)) => format!("{arg} {scope}"),
    }
}

/// Checks that `arg`, whose value `keyed` (as in "the runs are counted per"), names one of the
/// task's serialized parameters: they are the ones with a stored value.
fn arg_names_a_serialized_parameter(def: &TaskDef, arg: &LitStr, keyed: &str, errors: &mut Vec<syn::Error>) {
    let name = arg.value();
    let serialized: Vec<_> = def
        .serialized()
        .map(|param| format!("`{}`", param.ident.unraw()))
        .collect();
    let hint = if serialized.is_empty() {
        format!(
            "`arg` names a serialized parameter, whose value {keyed}, and this task has none; remove `arg`"
        )
    } else {
        format!(
            "`arg` names one of the serialized parameters, whose value {keyed}: {}",
            serialized.join(", ")
        )
    };
    let message = match def.params.iter().find(|param| param.ident.unraw() == name) {
        Some(param) => {
            match param.role {
                ParamRole::Serialized { .. } => return,
                ParamRole::Injected(_) => {
                    format!("`{name}` is injected by the worker and not stored, so it has no value to key on; {hint}")
                }
            }
        }
        // A parameter that could not be understood is already reported.
        None if named_in(&def.sig, &name) => return,
        None => format!("this task has no parameter `{name}`; {hint}"),
    };
    errors.push(syn::Error::new(arg.span(), message));
}

/// Whether the signature has a parameter written `name: Type` of this name, valid or not.
fn named_in(sig: &Signature, name: &str) -> bool {
    sig.inputs.iter().any(|input| match input {
        FnArg::Typed(input) => matches!(&*input.pat, Pat::Ident(pat) if pat.ident.unraw() == name),
        FnArg::Receiver(_) => false,
    })
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

    #[test]
    fn admission_args_name_serialized_parameters() {
        assert_eq!(
            errors(parse_quote!(
                #[concurrency(arg = "customer_id", max = 1)]
                #[cooldown("30s", arg = "type")]
                #[debounce("5s", arg = "type")]
                #[rate_limit(limit = 1, per = "1s", arg = "customer_id")]
                async fn f(customer_id: u64, r#type: String, docket: Docket) {}
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(parse_quote!(
                #[concurrency(arg = "customer", max = 1)]
                #[cooldown("30s", arg = "docket")]
                #[debounce("5s", arg = "conn")]
                #[rate_limit(limit = 1, per = "1s", arg = "")]
                async fn f(customer_id: u64, docket: Docket, #[inject] conn: Conn, region: String) {}
            )),
            [
                "this task has no parameter `customer`; `arg` names one of the serialized \
                 parameters, whose value the runs are counted per: `customer_id`, `region`",
                "`docket` is injected by the worker and not stored, so it has no value to key on; \
                 `arg` names one of the serialized parameters, whose value the window is kept \
                 per: `customer_id`, `region`",
                "`conn` is injected by the worker and not stored, so it has no value to key on; \
                 `arg` names one of the serialized parameters, whose value the submissions are \
                 grouped by: `customer_id`, `region`",
                "this task has no parameter ``; `arg` names one of the serialized parameters, \
                 whose value the starts are counted per: `customer_id`, `region`",
            ]
        );
        assert_eq!(
            errors(parse_quote!(
                #[concurrency(arg = "ctx", max = 1)]
                async fn f(ctx: TaskContext) {}
            )),
            [
                "`ctx` is injected by the worker and not stored, so it has no value to key on; \
                 `arg` names a serialized parameter, whose value the runs are counted per, and \
                 this task has none; remove `arg`"
            ]
        );
    }

    #[test]
    fn an_arg_naming_a_parameter_already_reported_adds_no_error() {
        let mut item: TaskFn = parse_quote!(
            #[concurrency(arg = "ctx", max = 1)]
            async fn f(#[logged] ctx: TaskContext) {}
        );
        let mut errors = Vec::new();
        let (behaviours, attrs) = crate::helpers::take(&mut item, &mut errors);
        let def = TaskDef::new(&item, &TaskArgs::default(), behaviours, &attrs, &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
        task(&def, &mut errors);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn an_admission_control_is_declared_once_per_key() {
        assert_eq!(
            errors(parse_quote!(
                #[concurrency(max = 3)]
                #[concurrency(max = 1, arg = "a")]
                #[concurrency(max = 1, scope = "s")]
                #[concurrency(max = 1, arg = "a", scope = "s")]
                #[concurrency(max = 1, arg = "b", scope = "s")]
                #[cooldown("1s")]
                #[cooldown("1s", arg = "a")]
                #[rate_limit(limit = 10, per = "1s")]
                #[rate_limit(limit = 100, per = "1m")]
                #[rate_limit(limit = 10, per = "1s", arg = "a")]
                #[rate_limit(limit = 10, per = "1s", scope = "s", drop)]
                async fn f(a: u8, b: u8) {}
            )),
            Vec::<String>::new()
        );
        assert_eq!(
            errors(parse_quote!(
                #[concurrency(max = 3)]
                #[concurrency(max = 2)]
                #[concurrency(arg = "a", max = 1, scope = "s")]
                #[concurrency(scope = "s", max = 1, arg = "a")]
                #[cooldown("1s", arg = "a")]
                #[cooldown("1m", arg = "a")]
                #[cooldown("1h")]
                #[cooldown("1h")]
                #[rate_limit(limit = 10, per = "60s", arg = "a")]
                #[rate_limit(limit = 5, per = "1m", arg = "a", drop)]
                async fn f(a: u8) {}
            )),
            [
                "this `#[concurrency]` is declared twice: an earlier one also limits the runs for \
                 the task; keep one of them, with the `max` you mean",
                "this `#[concurrency]` is declared twice: an earlier one also limits the runs per \
                 value of `a` in the scope `s`; keep one of them, with the `max` you mean",
                "this `#[cooldown]` is declared twice: an earlier one also keeps a window per \
                 value of `a`; keep one of them, with the window you mean",
                "this `#[cooldown]` is declared twice: an earlier one also keeps a window for the \
                 task; keep one of them, with the window you mean",
                "this `#[rate_limit]` is declared twice: an earlier one also counts the starts in \
                 any window of 1m per value of `a`; only the lower `limit` of the two can apply, \
                 so keep that one",
            ]
        );
    }
}
