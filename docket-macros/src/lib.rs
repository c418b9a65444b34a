#![doc = include_str!("lib.md")]

mod attr;
mod expand;
mod fallback;
mod helpers;
mod model;
#[cfg(test)]
mod snapshot;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::model::{TaskDef, TaskFn};

/// Turns an `async fn` into a docket task: see the crate documentation.
#[proc_macro_attribute]
pub fn task(args: proc_macro::TokenStream, item: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand_task(args.into(), item.into()).into()
}

/// `#[docket::task]` on `proc_macro2` tokens, so every stage can be tested.
pub(crate) fn expand_task(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Vec::new();
    let args = attr::parse(args, &mut errors);
    let mut item = match syn::parse2::<TaskFn>(item.clone()) {
        Ok(item) => item,
        Err(error) => {
            // Not a function: leave the item to rustc as it was.
            errors.push(error);
            let errors = compile_errors(errors);
            return quote!(#item #errors);
        }
    };
    // From here on `item` is the function without its helper attributes, as it is emitted.
    let (behaviours, param_attrs) = helpers::take(&mut item, &mut errors);
    let def = TaskDef::new(&item, &args, behaviours, &param_attrs, &mut errors);
    validate::task(&def, &mut errors);
    if errors.is_empty() {
        let task = expand::task(&def);
        quote!(#item #task)
    } else {
        let stub = fallback::module(&def.header, &item, &param_attrs);
        let errors = compile_errors(errors);
        quote!(#item #stub #errors)
    }
}

/// All errors as one `compile_error!` per message, each at its own span.
fn compile_errors(errors: Vec<syn::Error>) -> TokenStream {
    let mut errors = errors.into_iter();
    let Some(mut all) = errors.next() else {
        return TokenStream::new();
    };
    all.extend(errors);
    all.into_compile_error()
}
