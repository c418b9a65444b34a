//! Parsing of the arguments of `#[docket::task(...)]`.
//!
//! Every argument is `key = value`, separated by commas. A wrong argument is reported and the
//! parser carries on at the next comma, so one compile shows every mistake.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Path, Token};

mod kw {
    syn::custom_keyword!(name);
}

/// What `#[docket::task(...)]` accepts, for the "unknown argument" message.
const ALLOWED: &str = "`name = \"...\"` and `crate = path`";

/// The arguments of `#[docket::task(...)]`; a missing or invalid one is `None`.
#[derive(Default)]
pub(crate) struct TaskArgs {
    /// `name = "..."`: the name the task is registered under.
    pub(crate) name: Option<LitStr>,
    /// `crate = path`: where the `docket` crate is reachable, for crates that re-export it.
    pub(crate) krate: Option<Path>,
}

/// A key that may be given at most once.
pub(crate) struct Once<T> {
    seen: bool,
    value: Option<T>,
}

impl<T> Default for Once<T> {
    fn default() -> Self {
        Self {
            seen: false,
            value: None,
        }
    }
}

impl<T> Once<T> {
    /// Records the value given for `name` at `key`. A repeated key is an error at its second
    /// occurrence, whatever its value; an invalid value leaves the key unset.
    pub(crate) fn set(&mut self, key: Span, name: &str, value: syn::Result<T>) -> syn::Result<()> {
        self.set_or(key, value, || format!("`{name}` specified more than once"))
    }

    /// Like [`set`](Self::set), with the message for a repeated key written by `repeated`.
    pub(crate) fn set_or(
        &mut self,
        key: Span,
        value: syn::Result<T>,
        repeated: impl FnOnce() -> String,
    ) -> syn::Result<()> {
        if std::mem::replace(&mut self.seen, true) {
            return Err(syn::Error::new(key, repeated()));
        }
        self.value = Some(value?);
        Ok(())
    }

    /// The value, if the key was given once with a valid value.
    pub(crate) fn into_value(self) -> Option<T> {
        self.value
    }
}

/// Parses the attribute's arguments, pushing every error onto `errors` and keeping the
/// arguments that were valid (the fallback still needs a valid `crate = path`).
pub(crate) fn parse(args: TokenStream, errors: &mut Vec<syn::Error>) -> TaskArgs {
    let mut name = Once::default();
    let mut krate = Once::default();
    let parser = |input: ParseStream<'_>| {
        comma_separated(input, errors, |input| parse_arg(input, &mut name, &mut krate));
        Ok(())
    };
    // The parser consumes all input and reports its errors itself, so this cannot fail; keep
    // any error anyway rather than assume.
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    TaskArgs {
        name: name.into_value(),
        krate: krate.into_value(),
    }
}

/// Parses comma-separated arguments with `arg`, to the end of `input`. A wrong argument is
/// pushed onto `errors` and parsing carries on after the next comma, so one compile shows every
/// mistake.
pub(crate) fn comma_separated(
    input: ParseStream<'_>,
    errors: &mut Vec<syn::Error>,
    mut arg: impl FnMut(ParseStream<'_>) -> syn::Result<()>,
) {
    while !input.is_empty() {
        if let Err(error) = arg(input) {
            errors.push(error);
            skip_past_comma(input);
            continue;
        }
        if !input.is_empty() {
            if let Err(error) = input.parse::<Token![,]>() {
                errors.push(syn::Error::new(error.span(), "expected `,` between arguments"));
                skip_past_comma(input);
            }
        }
    }
}

fn parse_arg(input: ParseStream<'_>, name: &mut Once<LitStr>, krate: &mut Once<Path>) -> syn::Result<()> {
    if input.peek(kw::name) {
        let key: kw::name = input.parse()?;
        let value =
            parse_eq(input, key.span, "name", "name = \"orders.process\"").and_then(|()| parse_name(input));
        name.set(key.span, "name", value)
    } else if input.peek(Token![crate]) {
        let key: Token![crate] = input.parse()?;
        let value =
            parse_eq(input, key.span, "crate", "crate = my_app::docket").and_then(|()| parse_crate(input));
        krate.set(key.span, "crate", value)
    } else if input.peek(Ident::peek_any) {
        let key = input.call(Ident::parse_any)?;
        Err(syn::Error::new(
            key.span(),
            format!("unknown argument `{key}`; `#[docket::task]` accepts {ALLOWED}"),
        ))
    } else {
        Err(input.error(format!(
            "expected an argument; `#[docket::task]` accepts {ALLOWED}"
        )))
    }
}

/// Parses the `=` after a key and checks that a value follows it.
pub(crate) fn parse_eq(input: ParseStream<'_>, key: Span, name: &str, example: &str) -> syn::Result<()> {
    let Some(eq) = input.parse::<Option<Token![=]>>()? else {
        return Err(syn::Error::new(
            key,
            format!("`{name}` needs a value: `{example}`"),
        ));
    };
    if input.is_empty() || input.peek(Token![,]) {
        return Err(syn::Error::new(
            eq.span,
            format!("expected a value after `{name} =`: `{example}`"),
        ));
    }
    Ok(())
}

fn parse_name(input: ParseStream<'_>) -> syn::Result<LitStr> {
    let value: Expr = input.parse()?;
    let Expr::Lit(ExprLit {
        lit: Lit::Str(name), ..
    }) = value
    else {
        return Err(syn::Error::new_spanned(
            value,
            "`name` must be a string literal: `name = \"orders.process\"`",
        ));
    };
    let text = name.value();
    if text.trim().is_empty() {
        return Err(syn::Error::new(
            name.span(),
            "`name` must not be empty; leave it out to use the function's name",
        ));
    }
    if text.trim() != text {
        return Err(syn::Error::new(
            name.span(),
            "`name` must not start or end with whitespace",
        ));
    }
    Ok(name)
}

fn parse_crate(input: ParseStream<'_>) -> syn::Result<Path> {
    if input.peek(LitStr) {
        let path: LitStr = input.parse()?;
        return Err(syn::Error::new(
            path.span(),
            format!("`crate` takes a path, not a string: `crate = {}`", path.value()),
        ));
    }
    input.call(Path::parse_mod_style).map_err(|error| {
        syn::Error::new(
            error.span(),
            "`crate` takes the path to the docket crate: `crate = my_app::docket`",
        )
    })
}

/// Skips to just after the next top-level comma (or to the end), where the next argument starts.
fn skip_past_comma(input: ParseStream<'_>) {
    // The step always succeeds: it only moves the cursor.
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            rest = next;
            if matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
        }
        Ok(((), rest))
    });
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn parse_ok(args: TokenStream) -> TaskArgs {
        let mut errors = Vec::new();
        let parsed = parse(args, &mut errors);
        assert!(errors.is_empty(), "unexpected errors: {errors:?}");
        parsed
    }

    fn messages(args: TokenStream) -> (TaskArgs, Vec<String>) {
        let mut errors = Vec::new();
        let parsed = parse(args, &mut errors);
        (parsed, errors.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn empty_arguments_are_all_defaults() {
        let args = parse_ok(quote!());
        assert!(args.name.is_none());
        assert!(args.krate.is_none());
    }

    #[test]
    fn parses_name_and_crate() {
        let args = parse_ok(quote!(name = "orders.process", crate = ::my_app::docket,));
        assert_eq!(
            args.name.map(|name| name.value()).as_deref(),
            Some("orders.process")
        );
        let krate = args.krate.map(|path| quote!(#path).to_string());
        assert_eq!(krate.as_deref(), Some(":: my_app :: docket"));
    }

    #[test]
    fn accepts_crate_relative_paths() {
        let args = parse_ok(quote!(crate = crate::reexport::docket));
        let krate = args.krate.map(|path| quote!(#path).to_string());
        assert_eq!(krate.as_deref(), Some("crate :: reexport :: docket"));
    }

    #[test]
    fn unknown_key_lists_the_allowed_ones() {
        let (_, errors) = messages(quote!(retries = 3));
        assert_eq!(
            errors,
            ["unknown argument `retries`; `#[docket::task]` accepts `name = \"...\"` and `crate = path`"]
        );
    }

    #[test]
    fn duplicate_key_is_reported_once_and_keeps_the_first() {
        let (args, errors) = messages(quote!(name = "a", name = "b"));
        assert_eq!(errors, ["`name` specified more than once"]);
        assert_eq!(args.name.map(|name| name.value()).as_deref(), Some("a"));
    }

    #[test]
    fn duplicate_key_is_reported_even_when_the_first_value_was_bad() {
        let (args, errors) = messages(quote!(name = 5, name = "b"));
        assert_eq!(
            errors,
            [
                "`name` must be a string literal: `name = \"orders.process\"`",
                "`name` specified more than once",
            ]
        );
        assert!(args.name.is_none());
    }

    #[test]
    fn rejects_bad_names() {
        for (args, expected) in [
            (
                quote!(name = ""),
                "`name` must not be empty; leave it out to use the function's name",
            ),
            (
                quote!(name = "   "),
                "`name` must not be empty; leave it out to use the function's name",
            ),
            (
                quote!(name = " padded"),
                "`name` must not start or end with whitespace",
            ),
            (
                quote!(name = orders.process),
                "`name` must be a string literal: `name = \"orders.process\"`",
            ),
            (quote!(name), "`name` needs a value: `name = \"orders.process\"`"),
            (
                quote!(name("x")),
                "`name` needs a value: `name = \"orders.process\"`",
            ),
            (
                quote!(name = ),
                "expected a value after `name =`: `name = \"orders.process\"`",
            ),
        ] {
            let (_, errors) = messages(args.clone());
            assert_eq!(errors, [expected], "for `{args}`");
        }
    }

    #[test]
    fn rejects_bad_crate_paths() {
        let (_, errors) = messages(quote!(crate = "my_app::docket"));
        assert_eq!(
            errors,
            ["`crate` takes a path, not a string: `crate = my_app::docket`"]
        );
        let (_, errors) = messages(quote!(crate = 5));
        assert_eq!(
            errors,
            ["`crate` takes the path to the docket crate: `crate = my_app::docket`"]
        );
    }

    #[test]
    fn accumulates_errors_and_keeps_valid_arguments() {
        let (args, errors) = messages(quote!(name = 1, colour = "red", crate = my::docket, 7));
        assert_eq!(
            errors,
            [
                "`name` must be a string literal: `name = \"orders.process\"`",
                "unknown argument `colour`; `#[docket::task]` accepts `name = \"...\"` and `crate = path`",
                "expected an argument; `#[docket::task]` accepts `name = \"...\"` and `crate = path`",
            ]
        );
        assert!(args.krate.is_some());
    }

    #[test]
    fn requires_commas_between_arguments() {
        let (args, errors) = messages(quote!(name = "a" crate = x));
        assert_eq!(errors, ["expected `,` between arguments"]);
        assert_eq!(args.name.map(|name| name.value()).as_deref(), Some("a"));
    }
}
