//! The task's items reach exactly as far as its function.

#![deny(warnings)]

mod outer {
    pub(crate) mod inner {
        #[docket::task]
        pub(super) async fn to_outer(n: u8) -> u8 {
            n
        }

        #[docket::task]
        pub(in crate::outer) async fn to_outer_by_path(n: u8) -> u8 {
            n
        }

        #[docket::task]
        pub(crate) async fn to_crate(n: u8) -> u8 {
            n
        }

        #[docket::task]
        pub async fn everywhere(n: u8) -> u8 {
            n
        }
    }

    pub(crate) fn use_them(docket: &docket::Docket) {
        let _ = inner::to_outer::schedule(docket, 1);
        let _ = inner::to_outer_by_path::schedule(docket, 1);
        let _: inner::to_outer::Task = inner::to_outer::Task;
    }
}

fn main() {
    let _ = |docket: &docket::Docket| {
        outer::use_them(docket);
        let _ = outer::inner::to_crate::schedule(docket, 1);
        let _ = outer::inner::everywhere::schedule(docket, 1);
    };
}
