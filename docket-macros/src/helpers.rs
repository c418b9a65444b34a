//! Parsing of the helper attributes written below `#[docket::task]`: `#[retry(..)]`,
//! `#[timeout(..)]`, `#[perpetual(..)]`, `#[cron(..)]` and the admission controls
//! `#[concurrency(..)]`, `#[cooldown(..)]`, `#[debounce(..)]` and `#[rate_limit(..)]` on the
//! function, `#[logged]` and `#[inject]` on its parameters.
//!
//! They arrive in the item's tokens, so [`take`] removes them from the function (rustc would
//! report them as unknown attributes) and turns each into its part of the model. Each
//! attribute is checked on its own here (keys, values, keys that exclude each other);
//! rules between attributes and parameters are the validator's (an `arg` that names no
//! serialized parameter, an admission control declared twice).

use std::time::Duration;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, Ident, Lit, LitInt, LitStr, Meta, Token};

use crate::attr::{comma_separated, parse_eq, Once};
use crate::model::{
    Attempts, Behaviours, Concurrency, Cooldown, Cron, Debounce, Logged, Perpetual, RateLimit, Retry,
    RetryDelay, TaskFn,
};

mod kw {
    syn::custom_keyword!(every);
    syn::custom_keyword!(automatic);
    syn::custom_keyword!(tz);
    syn::custom_keyword!(attempts);
    syn::custom_keyword!(forever);
    syn::custom_keyword!(delay);
    syn::custom_keyword!(exponential);
    syn::custom_keyword!(min);
    syn::custom_keyword!(max);
    syn::custom_keyword!(length_only);
    syn::custom_keyword!(arg);
    syn::custom_keyword!(scope);
    syn::custom_keyword!(limit);
    syn::custom_keyword!(per);
    syn::custom_keyword!(drop);
}

/// The exponential retry delay's defaults (pydocket's): `min = "1s"`, `max = "64s"`.
const DEFAULT_MIN: Duration = Duration::from_secs(1);
const DEFAULT_MAX: Duration = Duration::from_secs(64);

/// The helper attributes found on one parameter.
#[derive(Default)]
pub(crate) struct ParamAttrs {
    /// `#[logged]` or `#[logged(length_only)]`, with where it is written.
    pub(crate) logged: Option<(Span, Logged)>,
    /// Whether the parameter is marked `#[inject]`.
    pub(crate) inject: bool,
}

/// Removes the helper attributes from `item` and parses them: the function's behaviours, and
/// one [`ParamAttrs`] per input of the signature (a `self` receiver included, which has none),
/// in order. Every mistake is pushed onto `errors`; what was valid is kept.
pub(crate) fn take(item: &mut TaskFn, errors: &mut Vec<syn::Error>) -> (Behaviours, Vec<ParamAttrs>) {
    let mut retry = Once::default();
    let mut timeout = Once::default();
    let mut perpetual = Once::default();
    let mut cron = Once::default();
    let mut concurrency = Vec::new();
    let mut cooldown = Vec::new();
    let mut debounce = Once::default();
    let mut rate_limit = Vec::new();
    item.attrs.retain(|attr| {
        let Some(name) = attr.path().get_ident() else {
            return true;
        };
        let span = name.span();
        let result = if name == "retry" {
            retry.set_or(span, parse_retry(attr), || {
                "a task has one retry policy, and this is its second `#[retry]`; merge the two \
                 into one attribute"
                    .to_string()
            })
        } else if name == "timeout" {
            timeout.set(span, "#[timeout]", parse_timeout(attr))
        } else if name == "perpetual" {
            perpetual.set(span, "#[perpetual]", parse_perpetual(attr))
        } else if name == "cron" {
            cron.set(span, "#[cron]", parse_cron(attr))
        } else if name == "concurrency" {
            parse_concurrency(attr).map(|limit| concurrency.push(limit))
        } else if name == "cooldown" {
            parse_cooldown(attr).map(|window| cooldown.push(window))
        } else if name == "debounce" {
            debounce.set_or(span, parse_debounce(attr), || {
                "a task has at most one `#[debounce]`, and this is its second: its submissions \
                 wait for one quiet window, for the task or per value of one `arg`; keep one of \
                 them"
                    .to_string()
            })
        } else if name == "rate_limit" {
            parse_rate_limit(attr).map(|limit| rate_limit.push(limit))
        } else {
            return true;
        };
        if let Err(error) = result {
            errors.push(error);
        }
        false
    });
    let params = item
        .sig
        .inputs
        .iter_mut()
        .map(|input| match input {
            FnArg::Typed(input) => param_attrs(&mut input.attrs, errors),
            FnArg::Receiver(_) => ParamAttrs::default(),
        })
        .collect();
    let behaviours = Behaviours {
        retry: retry.into_value(),
        timeout: timeout.into_value(),
        perpetual: perpetual.into_value(),
        cron: cron.into_value(),
        concurrency,
        cooldown,
        debounce: debounce.into_value(),
        rate_limit,
    };
    (behaviours, params)
}

/// Removes `#[logged]` and `#[inject]` from a parameter's attributes and parses them.
fn param_attrs(attrs: &mut Vec<Attribute>, errors: &mut Vec<syn::Error>) -> ParamAttrs {
    let mut logged = Once::default();
    let mut inject = Once::default();
    attrs.retain(|attr| {
        let Some(name) = attr.path().get_ident() else {
            return true;
        };
        let span = name.span();
        let result = if name == "logged" {
            logged.set(span, "#[logged]", parse_logged(attr).map(|logged| (span, logged)))
        } else if name == "inject" {
            inject.set(span, "#[inject]", parse_inject(attr))
        } else {
            return true;
        };
        if let Err(error) = result {
            errors.push(error);
        }
        false
    });
    ParamAttrs {
        logged: logged.into_value(),
        inject: inject.into_value().is_some(),
    }
}

/// Parses the arguments of `attr` with `arg`, one at a time. `#[name]` has no arguments;
/// `#[name = ..]` is an error that shows `example`. All errors are returned together.
fn parse_list(
    attr: &Attribute,
    example: &str,
    arg: impl FnMut(ParseStream<'_>) -> syn::Result<()>,
) -> syn::Result<()> {
    let tokens = match &attr.meta {
        Meta::Path(_) => return Ok(()),
        Meta::NameValue(meta) => {
            return Err(syn::Error::new(
                meta.eq_token.span,
                format!("write the arguments in parentheses: `{example}`"),
            ))
        }
        Meta::List(list) => list.tokens.clone(),
    };
    let mut errors = Vec::new();
    let parser = |input: ParseStream<'_>| {
        comma_separated(input, &mut errors, arg);
        Ok(())
    };
    if let Err(error) = parser.parse2(tokens) {
        errors.push(error);
    }
    combine(errors)
}

/// `Ok` when there is no error, else all of them as one.
fn combine(errors: Vec<syn::Error>) -> syn::Result<()> {
    let mut errors = errors.into_iter();
    let Some(mut all) = errors.next() else {
        return Ok(());
    };
    all.extend(errors);
    Err(all)
}

/// The error for a key `attribute` does not accept, listing those it does.
fn unknown(input: ParseStream<'_>, attribute: &str, allowed: &str) -> syn::Error {
    match input.call(Ident::parse_any) {
        Ok(key) => syn::Error::new(
            key.span(),
            format!("unknown key `{key}` in `#[{attribute}]`; it accepts {allowed}"),
        ),
        Err(_) => input.error(format!("expected a key; `#[{attribute}]` accepts {allowed}")),
    }
}

/// Checks that a flag such as `automatic` is not given a value.
fn flag(input: ParseStream<'_>, name: &str) -> syn::Result<()> {
    if input.peek(Token![=]) {
        let eq: Token![=] = input.parse()?;
        return Err(syn::Error::new(
            eq.span,
            format!("`{name}` is a flag and takes no value; write just `{name}`"),
        ));
    }
    Ok(())
}

/// A duration given as a string literal, such as `"1s"` or `"1h30m"`, read by the same parser
/// as the runtime's; `what` names it in errors and `example` shows how to write it.
fn duration(input: ParseStream<'_>, what: &str, example: &str) -> syn::Result<(Duration, Span)> {
    let value: Expr = input.parse()?;
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Str(text), ..
    }) = &value
    else {
        return Err(syn::Error::new_spanned(
            value,
            format!("{what} is a duration in quotes, with a unit: `{example}`"),
        ));
    };
    docket_time::parse_duration(&text.value())
        .map(|duration| (duration, text.span()))
        .map_err(|message| syn::Error::new(text.span(), format!("{what} is not a valid duration: {message}")))
}

/// A key's duration value: `key = "..."`.
fn duration_key(
    input: ParseStream<'_>,
    key: Span,
    name: &str,
    example: &str,
) -> syn::Result<(Duration, Span)> {
    parse_eq(input, key, name, example)?;
    duration(input, &format!("`{name}`"), example)
}

/// A string literal, for `what`.
fn string(input: ParseStream<'_>, what: &str, example: &str) -> syn::Result<LitStr> {
    let value: Expr = input.parse()?;
    match value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Str(text), ..
        }) => Ok(text),
        value => Err(syn::Error::new_spanned(
            value,
            format!("{what} is a string literal: `{example}`"),
        )),
    }
}

const RETRY_KEYS: &str = "`attempts = N`, `forever`, `delay = \"...\"`, `exponential`, `min = \"...\"` \
                          and `max = \"...\"`";

/// `#[retry(attempts = 3, delay = "1s")]`, `#[retry(attempts = 5, exponential, min = "1s",
/// max = "5m")]`, `#[retry(forever, ..)]`.
fn parse_retry(attr: &Attribute) -> syn::Result<Retry> {
    let mut attempts = Once::default();
    let mut forever = Once::default();
    let mut delay = Once::default();
    let mut exponential = Once::default();
    let mut min = Once::default();
    let mut max = Once::default();
    let example = "#[retry(attempts = 3, delay = \"1s\")]";
    parse_list(attr, example, |input| {
        if input.peek(kw::attempts) {
            let key: kw::attempts = input.parse()?;
            let value =
                parse_eq(input, key.span, "attempts", "attempts = 3").and_then(|()| attempts_value(input));
            attempts.set(key.span, "attempts", value.map(|n| (n, key.span)))
        } else if input.peek(kw::forever) {
            let key: kw::forever = input.parse()?;
            forever.set(key.span, "forever", flag(input, "forever").map(|()| key.span))
        } else if input.peek(kw::delay) {
            let key: kw::delay = input.parse()?;
            let value = duration_key(input, key.span, "delay", "delay = \"1s\"");
            delay.set(key.span, "delay", value.map(|(value, _)| (value, key.span)))
        } else if input.peek(kw::exponential) {
            let key: kw::exponential = input.parse()?;
            exponential.set(
                key.span,
                "exponential",
                flag(input, "exponential").map(|()| key.span),
            )
        } else if input.peek(kw::min) {
            let key: kw::min = input.parse()?;
            let value = duration_key(input, key.span, "min", "min = \"1s\"");
            min.set(key.span, "min", value.map(|value| (value, key.span)))
        } else if input.peek(kw::max) {
            let key: kw::max = input.parse()?;
            let value = duration_key(input, key.span, "max", "max = \"5m\"");
            max.set(key.span, "max", value.map(|value| (value, key.span)))
        } else {
            Err(unknown(input, "retry", RETRY_KEYS))
        }
    })?;

    let mut errors = Vec::new();
    let path = attr.path().span();
    let attempts = match (attempts.into_value(), forever.into_value()) {
        (Some((_, key)), Some(_)) => {
            errors.push(syn::Error::new(
                key,
                "`attempts` and `forever` exclude each other; keep `attempts = N` for at most N \
                 runs, or `forever` to retry until it succeeds",
            ));
            Attempts::Forever
        }
        (Some((n, _)), None) => Attempts::Limited(n),
        (None, Some(_)) => Attempts::Forever,
        (None, None) => {
            errors.push(syn::Error::new(
                path,
                "`#[retry]` needs `attempts = N` (how many runs in all) or `forever`: \
                 `#[retry(attempts = 3, delay = \"1s\")]`",
            ));
            Attempts::Forever
        }
    };
    let delay = match exponential.into_value() {
        Some(_) => {
            if let Some((_, key)) = delay.into_value() {
                errors.push(syn::Error::new(
                    key,
                    "`delay` is a fixed delay, but this policy is `exponential`; give its bounds \
                     as `min = \"...\"` and `max = \"...\"`, or remove `exponential`",
                ));
            }
            let min = min.into_value().map_or(DEFAULT_MIN, |((min, _), _)| min);
            let max = match max.into_value() {
                Some(((max, at), _)) if max < min => {
                    errors.push(syn::Error::new(
                        at,
                        format!(
                            "`max` ({}) is shorter than `min` ({}); the delay grows from `min` up \
                             to `max`",
                            docket_time::format_duration(max),
                            docket_time::format_duration(min),
                        ),
                    ));
                    min
                }
                Some(((max, _), _)) => max,
                None if DEFAULT_MAX < min => {
                    errors.push(syn::Error::new(
                        path,
                        format!(
                            "`min` ({}) is longer than the default `max` (64s); add a `max` of \
                             at least `min`",
                            docket_time::format_duration(min)
                        ),
                    ));
                    min
                }
                None => DEFAULT_MAX,
            };
            RetryDelay::Exponential { min, max }
        }
        None => {
            for (key, name) in [(min.into_value(), "min"), (max.into_value(), "max")] {
                if let Some((_, key)) = key {
                    errors.push(syn::Error::new(
                        key,
                        format!(
                            "`{name}` bounds an `exponential` delay; add `exponential`, or give \
                             a fixed delay as `delay = \"...\"`"
                        ),
                    ));
                }
            }
            RetryDelay::Fixed(delay.into_value().map_or(Duration::ZERO, |(delay, _)| delay))
        }
    };
    combine(errors).map(|()| Retry { attempts, delay })
}

/// The value of `attempts`: a whole number of runs, at least 1.
fn attempts_value(input: ParseStream<'_>) -> syn::Result<u32> {
    let value: Expr = input.parse()?;
    let Expr::Lit(syn::ExprLit {
        lit: Lit::Int(number),
        ..
    }) = &value
    else {
        return Err(syn::Error::new_spanned(
            value,
            "`attempts` is a whole number of runs: `attempts = 3`",
        ));
    };
    match positive(number) {
        Some(n) => Ok(n),
        None => Err(syn::Error::new(
            number.span(),
            "`attempts` counts runs in all and is from 1 (no retry) to 4294967295; for no limit \
             write `forever`",
        )),
    }
}

/// A positive `u32`, or `None`.
fn positive(number: &LitInt) -> Option<u32> {
    number.base10_parse::<u32>().ok().filter(|&n| n > 0)
}

/// `#[timeout("10m")]`.
fn parse_timeout(attr: &Attribute) -> syn::Result<Duration> {
    let example = "#[timeout(\"10m\")]";
    let mut timeout = Once::default();
    parse_list(attr, example, |input| {
        if input.peek(LitStr) || !input.peek(Ident::peek_any) {
            let span = input.span();
            let value = duration(input, "the timeout", "#[timeout(\"10m\")]").and_then(|(value, at)| {
                if value.is_zero() {
                    Err(syn::Error::new(
                        at,
                        "a timeout must be longer than zero; remove `#[timeout]` for no timeout",
                    ))
                } else {
                    Ok(value)
                }
            });
            timeout.set(span, "the timeout", value)
        } else {
            Err(unknown(
                input,
                "timeout",
                "only the duration: `#[timeout(\"10m\")]`",
            ))
        }
    })?;
    timeout.into_value().ok_or_else(|| {
        syn::Error::new(
            attr.path().span(),
            "`#[timeout]` needs a duration: `#[timeout(\"10m\")]`",
        )
    })
}

/// `#[perpetual(every = "5m")]`, `#[perpetual(every = "1h", automatic)]`.
fn parse_perpetual(attr: &Attribute) -> syn::Result<Perpetual> {
    let example = "#[perpetual(every = \"5m\")]";
    let mut every = Once::default();
    let mut automatic = Once::default();
    parse_list(attr, example, |input| {
        if input.peek(kw::every) {
            let key: kw::every = input.parse()?;
            let value = duration_key(input, key.span, "every", "every = \"5m\"");
            every.set(key.span, "every", value.map(|(value, _)| value))
        } else if input.peek(kw::automatic) {
            let key: kw::automatic = input.parse()?;
            automatic.set(key.span, "automatic", flag(input, "automatic").map(|()| key.span))
        } else {
            Err(unknown(input, "perpetual", "`every = \"...\"` and `automatic`"))
        }
    })?;
    let every = every.into_value().ok_or_else(|| {
        syn::Error::new(
            attr.path().span(),
            "`#[perpetual]` needs `every`, the time from one run's start to the next: \
             `#[perpetual(every = \"5m\")]`",
        )
    })?;
    Ok(Perpetual {
        every,
        automatic: automatic.into_value(),
    })
}

/// `#[cron("0 9 * * 1")]`, `#[cron("@daily", tz = "America/Los_Angeles")]`: the expression and
/// the zone are checked by the runtime's own parser, each on its own (the expression in UTC,
/// the zone with `@daily`), so each error is at its own literal.
fn parse_cron(attr: &Attribute) -> syn::Result<Cron> {
    let example = "#[cron(\"0 9 * * 1\", tz = \"Europe/Paris\")]";
    let mut expression = Once::default();
    let mut timezone = Once::default();
    parse_list(attr, example, |input| {
        if input.peek(kw::tz) {
            let key: kw::tz = input.parse()?;
            let value = parse_eq(input, key.span, "tz", "tz = \"Europe/Paris\"")
                .and_then(|()| string(input, "`tz`", "tz = \"Europe/Paris\""))
                .and_then(
                    |tz| match docket_time::CronSchedule::parse("@daily", Some(&tz.value())) {
                        Ok(_) => Ok(tz),
                        Err(message) => Err(syn::Error::new(tz.span(), message)),
                    },
                );
            timezone.set(key.span, "tz", value)
        } else if input.peek(LitStr) || !input.peek(Ident::peek_any) {
            let span = input.span();
            let value = string(input, "the cron expression", "#[cron(\"0 9 * * 1\")]").and_then(|text| {
                match docket_time::CronSchedule::parse(&text.value(), None) {
                    Ok(_) => Ok(text),
                    Err(message) => Err(syn::Error::new(text.span(), message)),
                }
            });
            expression.set(span, "the cron expression", value)
        } else {
            Err(unknown(
                input,
                "cron",
                "the expression and `tz = \"...\"`: `#[cron(\"0 9 * * 1\", tz = \"Europe/Paris\")]`",
            ))
        }
    })?;
    let expression = expression.into_value().ok_or_else(|| {
        syn::Error::new(
            attr.path().span(),
            "`#[cron]` needs an expression: 5 fields `minute hour day month weekday` or a \
             `@keyword`, as in `#[cron(\"0 9 * * 1\")]`",
        )
    })?;
    Ok(Cron {
        span: attr.path().span(),
        expression,
        timezone: timezone.into_value(),
    })
}

/// A count such as `max` or `limit`: a whole number from 1 to `u32::MAX`. `counts` says what
/// it counts (`"runs"`), `attribute` is the attribute to remove for no limit.
fn count(
    input: ParseStream<'_>,
    name: &str,
    example: &str,
    counts: &str,
    attribute: &str,
) -> syn::Result<u32> {
    let zero = || {
        format!(
            "`{name}` must be at least 1, or no run could ever start; remove `#[{attribute}]` for no limit"
        )
    };
    let value: Expr = input.parse()?;
    let number = match &value {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(number),
            ..
        }) => number,
        Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) if matches!(&**expr, Expr::Lit(syn::ExprLit { lit: Lit::Int(_), .. })) => {
            return Err(syn::Error::new_spanned(value, zero()))
        }
        _ => {
            return Err(syn::Error::new_spanned(
                value,
                format!("`{name}` is a whole number of {counts}: `{example}`"),
            ))
        }
    };
    match number.base10_parse::<u32>() {
        Ok(0) => Err(syn::Error::new(number.span(), zero())),
        Ok(n) => Ok(n),
        Err(_) => Err(syn::Error::new(
            number.span(),
            format!("`{name}` is at most 4294967295 (it is a `u32`): `{example}`"),
        )),
    }
}

/// The value of `arg = "customer_id"`: a parameter's name, which the validator looks up.
fn arg_value(input: ParseStream<'_>, key: Span) -> syn::Result<LitStr> {
    let example = "arg = \"customer_id\"";
    parse_eq(input, key, "arg", example)?;
    string(input, "`arg`, the name of a parameter,", example)
}

/// The value of `scope = "tenants"`: a name several tasks share a limit under, not empty and
/// without surrounding whitespace.
fn scope_value(input: ParseStream<'_>, key: Span) -> syn::Result<LitStr> {
    let example = "scope = \"tenants\"";
    parse_eq(input, key, "scope", example)?;
    let scope = string(input, "`scope`", example)?;
    let text = scope.value();
    if text.trim().is_empty() {
        return Err(syn::Error::new(
            scope.span(),
            "`scope` must not be empty: it names the limit the tasks that give it share; leave \
             it out for the task's own limit",
        ));
    }
    if text.trim() != text {
        return Err(syn::Error::new(
            scope.span(),
            "`scope` must not start or end with whitespace",
        ));
    }
    Ok(scope)
}

/// The window of `#[cooldown]` or `#[debounce]`: a duration longer than zero. `what` names it
/// in errors, `example` shows the attribute and `zero` says why zero is no window.
fn window(input: ParseStream<'_>, what: &str, example: &str, zero: &str) -> syn::Result<Duration> {
    let (window, at) = duration(input, what, example)?;
    if window.is_zero() {
        return Err(syn::Error::new(at, zero));
    }
    Ok(window)
}

const CONCURRENCY_KEYS: &str = "`max = N`, `arg = \"...\"` and `scope = \"...\"`";

/// `#[concurrency(max = 3)]`, `#[concurrency(arg = "customer_id", max = 1)]`,
/// `#[concurrency(max = 2, scope = "tenants")]`.
fn parse_concurrency(attr: &Attribute) -> syn::Result<Concurrency> {
    let mut max = Once::default();
    let mut arg = Once::default();
    let mut scope = Once::default();
    parse_list(attr, "#[concurrency(max = 3)]", |input| {
        if input.peek(kw::max) {
            let key: kw::max = input.parse()?;
            let value = parse_eq(input, key.span, "max", "max = 3")
                .and_then(|()| count(input, "max", "max = 3", "runs", "concurrency"));
            max.set(key.span, "max", value)
        } else if input.peek(kw::arg) {
            let key: kw::arg = input.parse()?;
            arg.set(key.span, "arg", arg_value(input, key.span))
        } else if input.peek(kw::scope) {
            let key: kw::scope = input.parse()?;
            scope.set(key.span, "scope", scope_value(input, key.span))
        } else {
            Err(unknown(input, "concurrency", CONCURRENCY_KEYS))
        }
    })?;
    let span = attr.path().span();
    let max = max.into_value().ok_or_else(|| {
        syn::Error::new(
            span,
            "`#[concurrency]` needs `max`, how many runs may be running at once: \
             `#[concurrency(max = 3)]`",
        )
    })?;
    Ok(Concurrency {
        span,
        max,
        arg: arg.into_value(),
        scope: scope.into_value(),
    })
}

/// The window and `arg` of `#[cooldown]` or `#[debounce]`, which take the same arguments.
/// `sample` is a window for the examples in errors, `missing` the error for no window and
/// `zero` that for a window of zero.
fn parse_window(
    attr: &Attribute,
    name: &str,
    sample: &str,
    missing: &str,
    zero: &str,
) -> syn::Result<(Duration, Option<LitStr>)> {
    let example = format!("#[{name}(\"{sample}\", arg = \"customer_id\")]");
    let what = format!("the {name} window");
    let mut duration = Once::default();
    let mut arg = Once::default();
    parse_list(attr, &example, |input| {
        if input.peek(kw::arg) {
            let key: kw::arg = input.parse()?;
            arg.set(key.span, "arg", arg_value(input, key.span))
        } else if input.peek(LitStr) || !input.peek(Ident::peek_any) {
            let span = input.span();
            let value = window(input, &what, &format!("#[{name}(\"{sample}\")]"), zero);
            duration.set_or(span, value, || {
                format!("`#[{name}]` has one window; remove this second one")
            })
        } else {
            Err(unknown(
                input,
                name,
                &format!("the window and `arg = \"...\"`: `{example}`"),
            ))
        }
    })?;
    let window = duration
        .into_value()
        .ok_or_else(|| syn::Error::new(attr.path().span(), missing))?;
    Ok((window, arg.into_value()))
}

/// `#[cooldown("30s")]`, `#[cooldown("30s", arg = "customer_id")]`.
fn parse_cooldown(attr: &Attribute) -> syn::Result<Cooldown> {
    let (window, arg) = parse_window(
        attr,
        "cooldown",
        "30s",
        "`#[cooldown]` needs a window, how long after a submission that runs the duplicates \
         are dropped: `#[cooldown(\"30s\")]`",
        "a cooldown window must be longer than zero; remove `#[cooldown]` to run every \
         submission",
    )?;
    Ok(Cooldown {
        span: attr.path().span(),
        window,
        arg,
    })
}

/// `#[debounce("5s")]`, `#[debounce("5s", arg = "customer_id")]`.
fn parse_debounce(attr: &Attribute) -> syn::Result<Debounce> {
    let (window, arg) = parse_window(
        attr,
        "debounce",
        "5s",
        "`#[debounce]` needs a window, how long the submissions must be quiet before the run: \
         `#[debounce(\"5s\")]`",
        "a debounce window must be longer than zero; remove `#[debounce]` to run every \
         submission",
    )?;
    Ok(Debounce { window, arg })
}

const RATE_LIMIT_KEYS: &str = "`limit = N`, `per = \"...\"`, `arg = \"...\"`, `scope = \"...\"` and \
                               `drop`";

/// `#[rate_limit(limit = 10, per = "1m")]`, with `arg = ".."`, `scope = ".."` and `drop` as
/// options.
fn parse_rate_limit(attr: &Attribute) -> syn::Result<RateLimit> {
    let example = "#[rate_limit(limit = 10, per = \"1m\")]";
    let mut limit = Once::default();
    let mut per = Once::default();
    let mut arg = Once::default();
    let mut scope = Once::default();
    let mut drop = Once::default();
    parse_list(attr, example, |input| {
        if input.peek(kw::limit) {
            let key: kw::limit = input.parse()?;
            let value = parse_eq(input, key.span, "limit", "limit = 10")
                .and_then(|()| count(input, "limit", "limit = 10", "starts", "rate_limit"));
            limit.set(key.span, "limit", value)
        } else if input.peek(kw::per) {
            let key: kw::per = input.parse()?;
            let value = duration_key(input, key.span, "per", "per = \"1m\"").and_then(|(per, at)| {
                if per.is_zero() {
                    Err(syn::Error::new(
                        at,
                        "`per` must be longer than zero: it is the window in which at most \
                         `limit` runs start",
                    ))
                } else {
                    Ok(per)
                }
            });
            per.set(key.span, "per", value)
        } else if input.peek(kw::arg) {
            let key: kw::arg = input.parse()?;
            arg.set(key.span, "arg", arg_value(input, key.span))
        } else if input.peek(kw::scope) {
            let key: kw::scope = input.parse()?;
            scope.set(key.span, "scope", scope_value(input, key.span))
        } else if input.peek(kw::drop) {
            let key: kw::drop = input.parse()?;
            let value = match input.parse::<Option<Token![=]>>()? {
                Some(eq) => Err(syn::Error::new(
                    eq.span,
                    "`drop` is a flag and takes no value: write `drop` to drop the executions \
                     over the limit, or leave it out to make them wait",
                )),
                None => Ok(()),
            };
            drop.set(key.span, "drop", value)
        } else {
            Err(unknown(input, "rate_limit", RATE_LIMIT_KEYS))
        }
    })?;
    let span = attr.path().span();
    let needs = |needs: &str| syn::Error::new(span, format!("`#[rate_limit]` needs {needs}: `{example}`"));
    let (limit, per) = match (limit.into_value(), per.into_value()) {
        (Some(limit), Some(per)) => (limit, per),
        (None, None) => {
            return Err(needs(
                "`limit` and `per`: at most `limit` runs start in any window of `per`",
            ))
        }
        (None, Some(_)) => return Err(needs("`limit`, how many runs may start in any window of `per`")),
        (Some(_), None) => return Err(needs("`per`, the window in which at most `limit` runs start")),
    };
    Ok(RateLimit {
        span,
        limit,
        per,
        arg: arg.into_value(),
        scope: scope.into_value(),
        drop: drop.into_value().is_some(),
    })
}

/// `#[logged]` or `#[logged(length_only)]`.
fn parse_logged(attr: &Attribute) -> syn::Result<Logged> {
    let mut length_only = Once::default();
    parse_list(attr, "#[logged(length_only)]", |input| {
        if input.peek(kw::length_only) {
            let key: kw::length_only = input.parse()?;
            length_only.set(key.span, "length_only", flag(input, "length_only"))
        } else {
            Err(unknown(
                input,
                "logged",
                "only `length_only`: write `#[logged]` to show the value or \
                 `#[logged(length_only)]` to show its length",
            ))
        }
    })?;
    Ok(match length_only.into_value() {
        Some(()) => Logged::Length,
        None => Logged::Value,
    })
}

/// `#[inject]`, which takes no arguments.
fn parse_inject(attr: &Attribute) -> syn::Result<()> {
    match &attr.meta {
        Meta::Path(_) => Ok(()),
        meta => Err(syn::Error::new_spanned(
            meta,
            "`#[inject]` takes no arguments: write `#[inject]`; the parameter's type resolves \
             itself through `docket::FromContext`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use syn::parse_quote;

    use super::*;

    fn take_from(mut item: TaskFn) -> (TaskFn, Behaviours, Vec<ParamAttrs>, Vec<String>) {
        let mut errors = Vec::new();
        let (behaviours, params) = take(&mut item, &mut errors);
        let messages = errors
            .into_iter()
            .flat_map(|error| error.into_iter().map(|error| error.to_string()))
            .collect();
        (item, behaviours, params, messages)
    }

    fn behaviours(item: TaskFn) -> Behaviours {
        let (_, behaviours, _, errors) = take_from(item);
        assert!(errors.is_empty(), "{errors:?}");
        behaviours
    }

    fn errors(item: TaskFn) -> Vec<String> {
        take_from(item).3
    }

    #[test]
    fn removes_helper_attributes_and_keeps_the_others() {
        let (item, _, params, errors) = take_from(parse_quote!(
            /// Docs.
            #[retry(attempts = 3)]
            #[inline]
            #[timeout("1m")]
            #[perpetual(every = "5m")]
            #[cron::other]
            async fn f(
                #[logged] a: u8,
                #[inject]
                #[other]
                b: Conn,
                c: u8,
            ) {
            }
        ));
        assert!(errors.is_empty(), "{errors:?}");
        let attrs: Vec<_> = item
            .attrs
            .iter()
            .map(|attr| quote::quote!(#attr).to_string())
            .collect();
        assert_eq!(
            attrs,
            ["# [doc = r\" Docs.\"]", "# [inline]", "# [cron :: other]"]
        );
        let sig = &item.sig;
        assert_eq!(
            quote::quote!(#sig).to_string(),
            "async fn f (a : u8 , # [other] b : Conn , c : u8 ,)"
        );
        assert!(matches!(params[0].logged, Some((_, Logged::Value))));
        assert!(!params[0].inject && params[1].inject && !params[2].inject);
        assert!(params[2].logged.is_none());
    }

    #[test]
    fn removes_helper_attributes_even_when_they_are_wrong() {
        let (item, _, _, errors) = take_from(parse_quote!(
            #[retry(tries = 3)]
            async fn f(#[logged(full)] a: u8) {}
        ));
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(item.attrs.is_empty());
        let sig = &item.sig;
        assert_eq!(quote::quote!(#sig).to_string(), "async fn f (a : u8)");
    }

    #[test]
    fn parses_fixed_retries() {
        let retry = behaviours(parse_quote!(
            #[retry(attempts = 3, delay = "1s")]
            async fn f() {}
        ))
        .retry;
        let Some(Retry {
            attempts: Attempts::Limited(3),
            delay: RetryDelay::Fixed(delay),
        }) = retry
        else {
            panic!("not a fixed retry of 3 attempts");
        };
        assert_eq!(delay, Duration::from_secs(1));

        let retry = behaviours(parse_quote!(
            #[retry(attempts = 1)]
            async fn f() {}
        ))
        .retry;
        assert!(matches!(
            retry,
            Some(Retry {
                attempts: Attempts::Limited(1),
                delay: RetryDelay::Fixed(Duration::ZERO),
            })
        ));
    }

    #[test]
    fn parses_exponential_and_forever_retries_with_defaults() {
        let retry = behaviours(parse_quote!(
            #[retry(attempts = 5, exponential, min = "2s", max = "5m")]
            async fn f() {}
        ))
        .retry;
        let Some(Retry {
            attempts: Attempts::Limited(5),
            delay: RetryDelay::Exponential { min, max },
        }) = retry
        else {
            panic!("not an exponential retry");
        };
        assert_eq!((min, max), (Duration::from_secs(2), Duration::from_secs(300)));

        let retry = behaviours(parse_quote!(
            #[retry(forever, exponential)]
            async fn f() {}
        ))
        .retry;
        let Some(Retry {
            attempts: Attempts::Forever,
            delay: RetryDelay::Exponential { min, max },
        }) = retry
        else {
            panic!("not an exponential retry forever");
        };
        assert_eq!((min, max), (Duration::from_secs(1), Duration::from_secs(64)));

        let retry = behaviours(parse_quote!(
            #[retry(forever, delay = "5m")]
            async fn f() {}
        ))
        .retry;
        assert!(matches!(
            retry,
            Some(Retry {
                attempts: Attempts::Forever,
                delay: RetryDelay::Fixed(delay),
            }) if delay == Duration::from_secs(300)
        ));
    }

    #[test]
    fn rejects_bad_retries() {
        for (item, expected) in [
            (
                parse_quote!(
                    #[retry(delay = "1s")]
                    async fn f() {}
                ),
                vec![
                    "`#[retry]` needs `attempts = N` (how many runs in all) or `forever`: \
                     `#[retry(attempts = 3, delay = \"1s\")]`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, forever)]
                    async fn f() {}
                ),
                vec![
                    "`attempts` and `forever` exclude each other; keep `attempts = N` for at most \
                     N runs, or `forever` to retry until it succeeds",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 0)]
                    async fn f() {}
                ),
                vec![
                    "`attempts` counts runs in all and is from 1 (no retry) to 4294967295; for \
                     no limit write `forever`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = "3")]
                    async fn f() {}
                ),
                vec!["`attempts` is a whole number of runs: `attempts = 3`"],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, exponential, delay = "1s")]
                    async fn f() {}
                ),
                vec![
                    "`delay` is a fixed delay, but this policy is `exponential`; give its bounds \
                     as `min = \"...\"` and `max = \"...\"`, or remove `exponential`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, min = "1s", max = "2s")]
                    async fn f() {}
                ),
                vec![
                    "`min` bounds an `exponential` delay; add `exponential`, or give a fixed \
                     delay as `delay = \"...\"`",
                    "`max` bounds an `exponential` delay; add `exponential`, or give a fixed \
                     delay as `delay = \"...\"`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, exponential, min = "1m", max = "1s")]
                    async fn f() {}
                ),
                vec![
                    "`max` (1s) is shorter than `min` (1m); the delay grows from `min` up to \
                     `max`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, exponential, min = "2m")]
                    async fn f() {}
                ),
                vec![
                    "`min` (2m) is longer than the default `max` (64s); add a `max` of at least \
                     `min`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, tries = 2, forever = true)]
                    async fn f() {}
                ),
                vec![
                    "unknown key `tries` in `#[retry]`; it accepts `attempts = N`, `forever`, \
                     `delay = \"...\"`, `exponential`, `min = \"...\"` and `max = \"...\"`",
                    "`forever` is a flag and takes no value; write just `forever`",
                ],
            ),
            (
                parse_quote!(
                    #[retry(attempts = 3, attempts = 4)]
                    async fn f() {}
                ),
                vec!["`attempts` specified more than once"],
            ),
            (
                parse_quote!(
                    #[retry = "3"]
                    async fn f() {}
                ),
                vec!["write the arguments in parentheses: `#[retry(attempts = 3, delay = \"1s\")]`"],
            ),
        ] {
            assert_eq!(errors(item), expected);
        }
    }

    #[test]
    fn a_second_retry_policy_is_an_error() {
        assert_eq!(
            errors(parse_quote!(
                #[retry(attempts = 3)]
                #[retry(forever)]
                async fn f() {}
            )),
            [
                "a task has one retry policy, and this is its second `#[retry]`; merge the two \
                 into one attribute"
            ]
        );
    }

    #[test]
    fn durations_use_the_runtime_grammar() {
        let b = behaviours(parse_quote!(
            #[timeout("1h30m")]
            #[perpetual(every = "250ms", automatic)]
            async fn f() {}
        ));
        assert_eq!(b.timeout, Some(Duration::from_secs(5400)));
        let perpetual = b.perpetual.expect("perpetual");
        assert_eq!(perpetual.every, Duration::from_millis(250));
        assert!(perpetual.automatic.is_some());

        assert_eq!(
            errors(parse_quote!(
                #[timeout("10 minutes")]
                async fn f() {}
            )),
            [format!(
                "the timeout is not a valid duration: {}",
                docket_time::parse_duration("10 minutes").unwrap_err()
            )]
        );
        assert_eq!(
            errors(parse_quote!(
                #[perpetual(every = 5)]
                async fn f() {}
            )),
            ["`every` is a duration in quotes, with a unit: `every = \"5m\"`"]
        );
    }

    #[test]
    fn rejects_bad_timeouts_and_perpetuals() {
        for (item, expected) in [
            (
                parse_quote!(
                    #[timeout("0s")]
                    async fn f() {}
                ),
                vec!["a timeout must be longer than zero; remove `#[timeout]` for no timeout"],
            ),
            (
                parse_quote!(
                    #[timeout]
                    async fn f() {}
                ),
                vec!["`#[timeout]` needs a duration: `#[timeout(\"10m\")]`"],
            ),
            (
                parse_quote!(
                    #[timeout(after = "1s")]
                    async fn f() {}
                ),
                vec!["unknown key `after` in `#[timeout]`; it accepts only the duration: `#[timeout(\"10m\")]`"],
            ),
            (
                parse_quote!(
                    #[timeout("1s")]
                    #[timeout("2s")]
                    async fn f() {}
                ),
                vec!["`#[timeout]` specified more than once"],
            ),
            (
                parse_quote!(
                    #[perpetual(automatic)]
                    async fn f() {}
                ),
                vec![
                    "`#[perpetual]` needs `every`, the time from one run's start to the next: \
                     `#[perpetual(every = \"5m\")]`",
                ],
            ),
            (
                parse_quote!(
                    #[perpetual(every = "1m", jitter = "1s")]
                    async fn f() {}
                ),
                vec!["unknown key `jitter` in `#[perpetual]`; it accepts `every = \"...\"` and `automatic`"],
            ),
            (
                parse_quote!(
                    #[perpetual(every = "1m")]
                    #[perpetual(every = "2m")]
                    async fn f() {}
                ),
                vec!["`#[perpetual]` specified more than once"],
            ),
        ] {
            assert_eq!(errors(item), expected);
        }
    }

    #[test]
    fn rejects_bad_cron_attributes_before_parsing_the_expression() {
        for (item, expected) in [
            (
                parse_quote!(
                    #[cron(every = "1m")]
                    async fn f() {}
                ),
                "unknown key `every` in `#[cron]`; it accepts the expression and `tz = \"...\"`: \
                 `#[cron(\"0 9 * * 1\", tz = \"Europe/Paris\")]`",
            ),
            (
                parse_quote!(
                    #[cron]
                    async fn f() {}
                ),
                "`#[cron]` needs an expression: 5 fields `minute hour day month weekday` or a \
                 `@keyword`, as in `#[cron(\"0 9 * * 1\")]`",
            ),
            (
                parse_quote!(
                    #[cron(5)]
                    async fn f() {}
                ),
                "the cron expression is a string literal: `#[cron(\"0 9 * * 1\")]`",
            ),
        ] {
            assert_eq!(errors(item).first().map(String::as_str), Some(expected));
        }
    }

    #[test]
    fn parses_parameter_attributes() {
        let (_, _, params, messages) = take_from(parse_quote!(
            async fn f(#[logged] a: u8, #[logged(length_only)] b: Vec<u8>, #[inject] c: Conn) {}
        ));
        assert!(messages.is_empty(), "{messages:?}");
        assert!(matches!(params[0].logged, Some((_, Logged::Value))));
        assert!(matches!(params[1].logged, Some((_, Logged::Length))));
        assert!(params[2].inject);

        assert_eq!(
            errors(parse_quote!(
                async fn f(
                    #[logged(full)] a: u8,
                    #[inject(state)] b: u8,
                    #[logged]
                    #[logged]
                    c: u8,
                ) {
                }
            )),
            [
                "unknown key `full` in `#[logged]`; it accepts only `length_only`: write \
                 `#[logged]` to show the value or `#[logged(length_only)]` to show its length",
                "`#[inject]` takes no arguments: write `#[inject]`; the parameter's type \
                 resolves itself through `docket::FromContext`",
                "`#[logged]` specified more than once",
            ]
        );
    }

    #[test]
    fn parses_cron_attributes_with_the_runtime_parser() {
        let cron = behaviours(parse_quote!(
            #[cron("0 9 * * 1")]
            async fn f() {}
        ))
        .cron
        .expect("cron");
        assert_eq!(cron.expression.value(), "0 9 * * 1");
        assert!(cron.timezone.is_none());
        let cron = behaviours(parse_quote!(
            #[cron("@daily", tz = "America/Los_Angeles")]
            async fn f() {}
        ))
        .cron
        .expect("cron");
        assert_eq!(
            cron.timezone.map(|tz| tz.value()).as_deref(),
            Some("America/Los_Angeles")
        );

        let message = |expression, tz| docket_time::CronSchedule::parse(expression, tz).unwrap_err();
        assert_eq!(
            errors(parse_quote!(
                #[cron("0 9 * *", tz = "Mars/Olympus")]
                async fn f() {}
            )),
            [message("0 9 * *", None), message("@daily", Some("Mars/Olympus"))]
        );
        assert_eq!(
            errors(parse_quote!(
                #[cron("@daily", tz = "UTC", tz = "Europe/Paris")]
                async fn f() {}
            )),
            ["`tz` specified more than once"]
        );
    }

    fn text(lit: &Option<LitStr>) -> Option<String> {
        lit.as_ref().map(LitStr::value)
    }

    #[test]
    fn parses_admission_controls_in_order() {
        let b = behaviours(parse_quote!(
            #[concurrency(max = 3)]
            #[concurrency(arg = "customer_id", max = 1)]
            #[cooldown("30s")]
            #[concurrency(max = 2, scope = "tenants", arg = "customer_id")]
            #[debounce("5s", arg = "customer_id")]
            #[rate_limit(limit = 10, per = "1m")]
            #[cooldown(arg = "customer_id", "1h")]
            #[rate_limit(drop, per = "1s", limit = 4294967295, arg = "region", scope = "api")]
            async fn f(customer_id: u64, region: String) {}
        ));
        let concurrency: Vec<_> = b
            .concurrency
            .iter()
            .map(|limit| (limit.max, text(&limit.arg), text(&limit.scope)))
            .collect();
        let customer = Some("customer_id".to_string());
        assert_eq!(
            concurrency,
            [
                (3, None, None),
                (1, customer.clone(), None),
                (2, customer.clone(), Some("tenants".to_string())),
            ]
        );
        let cooldown: Vec<_> = b
            .cooldown
            .iter()
            .map(|cooldown| (cooldown.window, text(&cooldown.arg)))
            .collect();
        assert_eq!(
            cooldown,
            [
                (Duration::from_secs(30), None),
                (Duration::from_secs(3600), customer.clone()),
            ]
        );
        let debounce = b.debounce.expect("debounce");
        assert_eq!(
            (debounce.window, text(&debounce.arg)),
            (Duration::from_secs(5), customer)
        );
        let rate_limit: Vec<_> = b
            .rate_limit
            .iter()
            .map(|limit| {
                (
                    limit.limit,
                    limit.per,
                    text(&limit.arg),
                    text(&limit.scope),
                    limit.drop,
                )
            })
            .collect();
        assert_eq!(
            rate_limit,
            [
                (10, Duration::from_secs(60), None, None, false),
                (
                    u32::MAX,
                    Duration::from_secs(1),
                    Some("region".to_string()),
                    Some("api".to_string()),
                    true
                ),
            ]
        );
    }

    #[test]
    fn a_task_without_admission_controls_has_none() {
        let b = behaviours(parse_quote!(
            async fn f() {}
        ));
        assert!(b.concurrency.is_empty() && b.cooldown.is_empty() && b.rate_limit.is_empty());
        assert!(b.debounce.is_none());
    }

    #[test]
    fn rejects_bad_concurrency_limits() {
        for (item, expected) in [
            (
                parse_quote!(
                    #[concurrency(arg = "customer_id")]
                    async fn f() {}
                ),
                vec![
                    "`#[concurrency]` needs `max`, how many runs may be running at once: \
                     `#[concurrency(max = 3)]`",
                ],
            ),
            (
                parse_quote!(
                    #[concurrency]
                    async fn f() {}
                ),
                vec![
                    "`#[concurrency]` needs `max`, how many runs may be running at once: \
                     `#[concurrency(max = 3)]`",
                ],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 0)]
                    async fn f() {}
                ),
                vec![
                    "`max` must be at least 1, or no run could ever start; remove `#[concurrency]` for no \
                     limit",
                ],
            ),
            (
                parse_quote!(
                    #[concurrency(max = -1)]
                    async fn f() {}
                ),
                vec![
                    "`max` must be at least 1, or no run could ever start; remove `#[concurrency]` for no \
                     limit",
                ],
            ),
            (
                parse_quote!(
                    #[concurrency(max = "3")]
                    async fn f() {}
                ),
                vec!["`max` is a whole number of runs: `max = 3`"],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 1.5)]
                    async fn f() {}
                ),
                vec!["`max` is a whole number of runs: `max = 3`"],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 4294967296)]
                    async fn f() {}
                ),
                vec!["`max` is at most 4294967295 (it is a `u32`): `max = 3`"],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 1, max = 2, per = "1s")]
                    async fn f() {}
                ),
                vec![
                    "`max` specified more than once",
                    "unknown key `per` in `#[concurrency]`; it accepts `max = N`, `arg = \"...\"` \
                     and `scope = \"...\"`",
                ],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 1, scope = "")]
                    async fn f() {}
                ),
                vec![
                    "`scope` must not be empty: it names the limit the tasks that give it share; \
                     leave it out for the task's own limit",
                ],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 1, scope = " tenants")]
                    async fn f() {}
                ),
                vec!["`scope` must not start or end with whitespace"],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 1, arg = customer_id)]
                    async fn f() {}
                ),
                vec!["`arg`, the name of a parameter, is a string literal: `arg = \"customer_id\"`"],
            ),
            (
                parse_quote!(
                    #[concurrency(max = 1, arg)]
                    async fn f() {}
                ),
                vec!["`arg` needs a value: `arg = \"customer_id\"`"],
            ),
            (
                parse_quote!(
                    #[concurrency = 3]
                    async fn f() {}
                ),
                vec!["write the arguments in parentheses: `#[concurrency(max = 3)]`"],
            ),
        ] {
            assert_eq!(errors(item), expected);
        }
    }

    #[test]
    fn rejects_bad_cooldowns_and_debounces() {
        for (item, expected) in [
            (
                parse_quote!(
                    #[cooldown(arg = "customer_id")]
                    async fn f() {}
                ),
                vec![
                    "`#[cooldown]` needs a window, how long after a submission that runs the \
                     duplicates are dropped: `#[cooldown(\"30s\")]`",
                ],
            ),
            (
                parse_quote!(
                    #[debounce]
                    async fn f() {}
                ),
                vec![
                    "`#[debounce]` needs a window, how long the submissions must be quiet before \
                     the run: `#[debounce(\"5s\")]`",
                ],
            ),
            (
                parse_quote!(
                    #[cooldown("0s")]
                    async fn f() {}
                ),
                vec![
                    "a cooldown window must be longer than zero; remove `#[cooldown]` to run \
                     every submission",
                ],
            ),
            (
                parse_quote!(
                    #[debounce("0ms")]
                    async fn f() {}
                ),
                vec![
                    "a debounce window must be longer than zero; remove `#[debounce]` to run \
                     every submission",
                ],
            ),
            (
                parse_quote!(
                    #[cooldown(30)]
                    async fn f() {}
                ),
                vec!["the cooldown window is a duration in quotes, with a unit: `#[cooldown(\"30s\")]`"],
            ),
            (
                parse_quote!(
                    #[cooldown("1s", "2s")]
                    async fn f() {}
                ),
                vec!["`#[cooldown]` has one window; remove this second one"],
            ),
            (
                parse_quote!(
                    #[debounce("1s", per = "customer_id", arg = "a", arg = "b")]
                    async fn f() {}
                ),
                vec![
                    "unknown key `per` in `#[debounce]`; it accepts the window and `arg = \
                     \"...\"`: `#[debounce(\"5s\", arg = \"customer_id\")]`",
                    "`arg` specified more than once",
                ],
            ),
            (
                parse_quote!(
                    #[debounce("1s")]
                    #[debounce("2s", arg = "customer_id")]
                    async fn f() {}
                ),
                vec![
                    "a task has at most one `#[debounce]`, and this is its second: its \
                     submissions wait for one quiet window, for the task or per value of one \
                     `arg`; keep one of them",
                ],
            ),
        ] {
            assert_eq!(errors(item), expected);
        }
    }

    #[test]
    fn windows_use_the_runtime_grammar() {
        assert_eq!(
            errors(parse_quote!(
                #[debounce("5 s")]
                async fn f() {}
            )),
            [format!(
                "the debounce window is not a valid duration: {}",
                docket_time::parse_duration("5 s").unwrap_err()
            )]
        );
        let b = behaviours(parse_quote!(
            #[debounce("1m30s")]
            #[cooldown("250ms")]
            async fn f() {}
        ));
        assert_eq!(
            b.debounce.map(|debounce| debounce.window),
            Some(Duration::from_secs(90))
        );
        assert_eq!(b.cooldown[0].window, Duration::from_millis(250));
    }

    #[test]
    fn rejects_bad_rate_limits() {
        for (item, expected) in [
            (
                parse_quote!(
                    #[rate_limit(arg = "a")]
                    async fn f() {}
                ),
                "`#[rate_limit]` needs `limit` and `per`: at most `limit` runs start in any \
                 window of `per`: `#[rate_limit(limit = 10, per = \"1m\")]`",
            ),
            (
                parse_quote!(
                    #[rate_limit(per = "1m")]
                    async fn f() {}
                ),
                "`#[rate_limit]` needs `limit`, how many runs may start in any window of `per`: \
                 `#[rate_limit(limit = 10, per = \"1m\")]`",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10)]
                    async fn f() {}
                ),
                "`#[rate_limit]` needs `per`, the window in which at most `limit` runs start: \
                 `#[rate_limit(limit = 10, per = \"1m\")]`",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 0, per = "1m")]
                    async fn f() {}
                ),
                "`limit` must be at least 1, or no run could ever start; remove `#[rate_limit]` for no \
                 limit",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = ten, per = "1m")]
                    async fn f() {}
                ),
                "`limit` is a whole number of starts: `limit = 10`",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10, per = "0s")]
                    async fn f() {}
                ),
                "`per` must be longer than zero: it is the window in which at most `limit` runs \
                 start",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10, per = 60)]
                    async fn f() {}
                ),
                "`per` is a duration in quotes, with a unit: `per = \"1m\"`",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10, per = "1m", drop = true)]
                    async fn f() {}
                ),
                "`drop` is a flag and takes no value: write `drop` to drop the executions over \
                 the limit, or leave it out to make them wait",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10, per = "1m", drop, drop)]
                    async fn f() {}
                ),
                "`drop` specified more than once",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10, per = "1m", burst = 3)]
                    async fn f() {}
                ),
                "unknown key `burst` in `#[rate_limit]`; it accepts `limit = N`, `per = \"...\"`, \
                 `arg = \"...\"`, `scope = \"...\"` and `drop`",
            ),
            (
                parse_quote!(
                    #[rate_limit(limit = 10, per = "1m", scope = "")]
                    async fn f() {}
                ),
                "`scope` must not be empty: it names the limit the tasks that give it share; \
                 leave it out for the task's own limit",
            ),
        ] {
            assert_eq!(errors(item), [expected]);
        }
    }
}
