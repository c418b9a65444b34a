//! A private task may use private types: no `private_interfaces` or dead-code warnings, even
//! when nothing in the crate schedules it.

#![deny(warnings)]

mod jobs {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    struct Private {
        value: u8,
    }

    #[derive(Serialize, Deserialize)]
    pub(super) struct Visible {
        value: u8,
    }

    #[docket::task]
    async fn private(input: Private) -> Private {
        input
    }

    #[docket::task]
    pub(super) async fn visible(input: Visible) -> Visible {
        input
    }

    #[docket::task]
    async fn never_scheduled(input: Private) {
        let _ = input.value;
    }

    pub(super) fn schedule_private(docket: &docket::Docket) {
        let _ = private::schedule(docket, Private { value: 1 });
    }
}

fn main() {
    let _ = |docket: &docket::Docket| {
        jobs::schedule_private(docket);
        let _ = jobs::visible::schedule;
    };
}
