//! Compile tests of `#[docket::task]`: `ui/pass` must compile, `ui/fail` must fail with the
//! errors in the `.stderr` file beside each. Regenerate those with `TRYBUILD=overwrite` and
//! review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
