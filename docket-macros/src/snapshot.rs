//! Expansion snapshots (tests only): the formatted output of the macro for an input, compared
//! with `tests/expand/<name>.expanded.rs`. Run with `DOCKET_SNAPSHOTS=overwrite` to write them,
//! then review the diff.

use std::path::PathBuf;

use proc_macro2::TokenStream;

/// Expands `#[docket::task(args)] item` and compares the formatted result with the snapshot.
pub(crate) fn assert_expansion(name: &str, args: TokenStream, item: TokenStream) {
    let expanded = crate::expand_task(args, item);
    let file: syn::File = syn::parse2(expanded.clone())
        .unwrap_or_else(|error| panic!("the expansion does not parse: {error}\n{expanded}"));
    let actual = prettyplease::unparse(&file);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expand")
        .join(format!("{name}.expanded.rs"));
    if std::env::var_os("DOCKET_SNAPSHOTS").is_some_and(|value| value == "overwrite") {
        std::fs::create_dir_all(path.parent().unwrap_or(&path))
            .and_then(|()| std::fs::write(&path, &actual))
            .unwrap_or_else(|error| panic!("writing {}: {error}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "reading {}: {error}; run with DOCKET_SNAPSHOTS=overwrite to create it",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "the expansion differs from {}; run with DOCKET_SNAPSHOTS=overwrite and review the \
         diff\n--- actual ---\n{actual}",
        path.display()
    );
}
