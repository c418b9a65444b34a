//! Return types whose last segment is `Result` store their first type argument.

use std::io;

#[derive(Debug)]
struct MyError;

impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("my error")
    }
}

type Result<T> = std::result::Result<T, MyError>;

#[docket::task]
async fn std_result() -> std::result::Result<u64, String> {
    Ok(1)
}

#[docket::task]
async fn anyhow_result() -> anyhow::Result<String> {
    Ok(String::new())
}

#[docket::task]
async fn io_result() -> io::Result<Vec<u8>> {
    Ok(Vec::new())
}

#[docket::task]
async fn local_alias() -> Result<()> {
    Err(MyError)
}

#[docket::task]
async fn static_str_error() -> std::result::Result<bool, &'static str> {
    Err("no")
}

#[docket::task]
async fn plain_option() -> Option<u8> {
    None
}

fn output<T: docket::Task<Output = O>, O>(_: T) {}

fn main() {
    output::<_, u64>(std_result::Task);
    output::<_, String>(anyhow_result::Task);
    output::<_, Vec<u8>>(io_result::Task);
    output::<_, ()>(local_alias::Task);
    output::<_, bool>(static_str_error::Task);
    output::<_, Option<u8>>(plain_option::Task);
}
