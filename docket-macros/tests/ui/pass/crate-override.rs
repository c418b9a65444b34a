//! `crate = path` reaches docket through a re-export, absolute or relative to the function's
//! module.

mod runtime {
    pub use ::docket as reexported;
}

#[docket::task(crate = crate::runtime::reexported)]
async fn through_crate_path(n: u8) -> u8 {
    n
}

mod inner {
    use super::runtime;

    #[docket::task(crate = self::runtime::reexported)]
    pub(crate) async fn through_self_path(n: u8) -> u8 {
        n
    }

    #[docket::task(crate = runtime::reexported)]
    pub(crate) async fn through_an_import(n: u8) -> u8 {
        n
    }
}

fn main() {
    let _ = |docket: &docket::Docket| {
        let _ = through_crate_path::schedule(docket, 1);
        let _ = inner::through_self_path::schedule(docket, 1);
        let _ = inner::through_an_import::schedule(docket, 1);
    };
}
