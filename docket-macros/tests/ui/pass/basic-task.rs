//! A task with serialized parameters: the function stays callable, the module schedules it.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub struct Receipt {
    pub order_id: u64,
}

#[docket::task]
pub async fn process_order(order_id: u64, customer_id: String, lines: Vec<String>) -> Receipt {
    let _ = (customer_id, lines);
    Receipt { order_id }
}

#[docket::task]
async fn no_arguments() {}

#[docket::task]
async fn r#type(r#in: u8) -> u8 {
    r#in
}

fn main() {
    let _ = process_order(1, "c".into(), vec![]);
    let _ = no_arguments();
    let _ = r#type(1);

    let _ = |docket: &docket::Docket| {
        let _: docket::Schedule<'_, process_order::Task> =
            process_order::schedule(docket, 1, "c".into(), vec![]);
        let _ = no_arguments::schedule(docket);
        let _ = r#type::schedule(docket, 1);
    };

    fn output<T: docket::Task<Output = O>, O>(_: T) {}
    output::<_, Receipt>(process_order::Task);
    output::<_, ()>(no_arguments::Task);
    assert_eq!(process_order::NAME, "process_order");
    assert_eq!(r#type::NAME, "type");
}
