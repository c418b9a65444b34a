//! The `#[docket::task]` attribute. Use it through the `docket` crate, which re-exports it as
//! `docket::task` and provides the runtime the generated code calls.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! pub struct Receipt {
//!     pub order_id: u64,
//! }
//!
//! /// Charges an order.
//! #[docket::task(name = "orders.process")]
//! pub async fn process_order(order_id: u64, customer: String) -> std::io::Result<Receipt> {
//!     let _ = customer;
//!     Ok(Receipt { order_id })
//! }
//!
//! // The function stays as written; next to it, a module of the same name holds the task.
//! async fn submit(docket: &docket::Docket) -> Result<Receipt, docket::Error> {
//!     let execution = process_order::schedule(docket, 42, "c-7".into()).await?;
//!     execution.result().await
//! }
//! # fn main() { assert_eq!(process_order::NAME, "orders.process"); }
//! ```
//!
//! # Rules
//!
//! - The task is an `async fn` at module level, not inside a function body: the generated
//!   module can't see a function body's items (a doctest that defines a task needs its own
//!   `fn main`). It has no `self`, generics, `const`, `unsafe` or `extern`.
//! - Each parameter is `name: Type` with an owned type (`String`, not `&str`) that is
//!   `Serialize + DeserializeOwned`: its value is stored under its name and decoded for each
//!   run. `schedule` takes the parameters in order.
//! - The return type, as spelled, decides what a run stores. None or `()` stores `()`. A type
//!   whose last path segment is `Result` (`Result<T, E>`, `anyhow::Result<T>`,
//!   `io::Result<T>`, and also any type of your own named `Result`) stores `T` on `Ok` and
//!   fails the run with the error's `Display` on `Err`. Any other type is stored as is.
//! - The module (`Task`, `NAME`, `schedule`) reaches as far as the function's visibility.
//!
//! Arguments: `name = "..."` registers the task under another name than the function's (names
//! are unique in a worker); `crate = path` finds `docket` through a re-export.
//!
//! Mistakes are compile errors at the offending tokens; the function and a stub module are
//! still emitted.

mod attr;
mod expand;
mod fallback;
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
    let item = match syn::parse2::<TaskFn>(item.clone()) {
        Ok(item) => item,
        Err(error) => {
            // Not a function: leave the item to rustc as it was.
            errors.push(error);
            let errors = compile_errors(errors);
            return quote!(#item #errors);
        }
    };
    let def = TaskDef::new(&item, &args, &mut errors);
    validate::task(&def, &mut errors);
    if errors.is_empty() {
        let task = expand::task(&def);
        quote!(#item #task)
    } else {
        let stub = fallback::module(&def.header, &item);
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
