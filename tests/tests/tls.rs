//! `rediss://`: TLS against a real `redis-server --tls-port …`, with certificates generated
//! for each test (a CA, a server certificate for 127.0.0.1 and localhost and a client
//! certificate signed by it, and an unrelated second CA).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use docket::{Docket, Error};
use docket_tests::{RedisServer, TlsRedisServer, TlsServerFiles};
use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// How long a connection that must fail fast may take at most.
const FAIL_WITHIN: Duration = Duration::from_secs(5);

/// A certificate for `names` with common name `name`, for `usage`, signed by `ca`.
fn issue(
    names: Vec<String>,
    name: &str,
    usage: ExtendedKeyUsagePurpose,
    ca: &Certificate,
    ca_key: &KeyPair,
) -> (Certificate, KeyPair) {
    let mut params = CertificateParams::new(names).expect("certificate parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![usage];
    let key = KeyPair::generate().expect("generate a key");
    let certificate = params.signed_by(&key, ca, ca_key).expect("sign the certificate");
    (certificate, key)
}

/// PEM files for one test, in a directory removed on drop.
struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// Generates the certificates: `ca.pem` signs `server.pem` (for 127.0.0.1 and localhost)
    /// and `client.pem`; `other-ca.pem` signs nothing here.
    fn generate() -> Pki {
        let dir = docket_tests::unique_temp_dir("docket-tls");
        std::fs::create_dir_all(&dir).expect("create a directory for the certificates");
        let pki = Pki { dir };

        let (ca, ca_key) = certificate_authority("docket test CA");
        pki.write("ca.pem", &ca.pem());
        let (other_ca, _) = certificate_authority("docket unrelated CA");
        pki.write("other-ca.pem", &other_ca.pem());

        let names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
        let server = issue(
            names,
            "docket test server",
            ExtendedKeyUsagePurpose::ServerAuth,
            &ca,
            &ca_key,
        );
        pki.write("server.pem", &server.0.pem());
        pki.write("server.key", &server.1.serialize_pem());
        let client = issue(
            Vec::new(),
            "docket test client",
            ExtendedKeyUsagePurpose::ClientAuth,
            &ca,
            &ca_key,
        );
        pki.write("client.pem", &client.0.pem());
        pki.write("client.key", &client.1.serialize_pem());
        pki
    }

    fn write(&self, name: &str, contents: &str) {
        std::fs::write(self.path(name), contents).expect("write a PEM file");
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// What a server signed by `ca.pem` is started with (client certificates by `ca.pem`).
    fn server_files(&self) -> TlsServerFiles {
        TlsServerFiles {
            cert: self.path("server.pem"),
            key: self.path("server.key"),
            ca: self.path("ca.pem"),
        }
    }

    /// A builder for `url` that trusts `ca` and presents the client certificate.
    fn mutual(&self, url: &str, ca: &str) -> docket::DocketBuilder {
        Docket::builder(url)
            .tls_ca_file(self.path(ca))
            .tls_client_auth(self.path("client.pem"), self.path("client.key"))
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn certificate_authority(name: &str) -> (Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().expect("generate a CA key");
    let cert = params.self_signed(&key).expect("self-sign the CA");
    (cert, key)
}

/// Schedules a task through `producer` and checks that a worker on `worker` runs it and
/// that its result comes back.
async fn round_trip(producer: &Docket, worker: &Docket) {
    let _worker = start(test_worker(worker));
    let execution = add::schedule(producer, 2, 3).await.expect("schedule over TLS");
    assert_eq!(
        execution.result_timeout(WAIT).await.expect("the result over TLS"),
        5
    );
    let info = execution.info().await.unwrap().expect("the execution's record");
    assert_eq!(info.state, docket::ExecutionState::Completed);
}

/// Connects with `builder`, which must fail within [`FAIL_WITHIN`]; returns the error.
async fn connect_fails(builder: docket::DocketBuilder) -> Error {
    connect_fails_within(FAIL_WITHIN, builder).await
}

/// Connects with `builder`, which must fail within `bound`; returns the error.
async fn connect_fails_within(bound: Duration, builder: docket::DocketBuilder) -> Error {
    let started = Instant::now();
    let outcome = tokio::time::timeout(bound, builder.connect())
        .await
        .unwrap_or_else(|_| panic!("connecting did not fail within {bound:?}"));
    match outcome {
        Ok(docket) => panic!("connected although it should not have: {docket:?}"),
        Err(error) => {
            eprintln!("failed after {:?}: {error}", started.elapsed());
            error
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_runs_over_mutual_tls() {
    let pki = Pki::generate();
    let server = TlsRedisServer::start(&pki.server_files(), true);
    let producer = pki
        .mutual(&server.url(), "ca.pem")
        .connect()
        .await
        .expect("connect over TLS");
    let worker = pki
        .mutual(&server.url(), "ca.pem")
        .connect()
        .await
        .expect("connect the worker over TLS");
    assert!(producer.url().starts_with("rediss://"), "{}", producer.url());
    round_trip(&producer, &worker).await;
    producer.close().await;
    worker.close().await;
}

/// Sleeps, then returns how long it slept (the same task as the `test-worker` binary's).
#[docket::task]
async fn slow(millis: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    millis
}

/// A child process, killed when dropped.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_command_line_connects_over_mutual_tls() {
    let pki = Pki::generate();
    let server = TlsRedisServer::start(&pki.server_files(), true);
    let _worker = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_test-worker"))
            .args(["worker", "--url", &server.url(), "--worker-name", "tls-cli"])
            .args(["--scheduling-resolution", "20ms"])
            .arg("--tls-ca-file")
            .arg(pki.path("ca.pem"))
            .env("DOCKET_TLS_CERT_FILE", pki.path("client.pem"))
            .env("DOCKET_TLS_KEY_FILE", pki.path("client.key"))
            .env("DOCKET_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the test-worker binary"),
    );
    let docket = pki
        .mutual(&server.url(), "ca.pem")
        .connect()
        .await
        .expect("connect over TLS");
    let execution = slow::schedule(&docket, 1).await.expect("schedule over TLS");
    assert_eq!(
        execution.result_timeout(WAIT).await.expect("the result over TLS"),
        1
    );
    let info = execution.info().await.unwrap().expect("the execution's record");
    assert_eq!(info.worker.as_deref(), Some("tls-cli"));
    docket.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_command_line_refuses_a_client_certificate_without_its_key() {
    let pki = Pki::generate();
    let output = Command::new(env!("CARGO_BIN_EXE_test-worker"))
        .args(["worker", "--url", "rediss://127.0.0.1:1/0", "--tls-cert-file"])
        .arg(pki.path("client.pem"))
        .env_remove("DOCKET_TLS_KEY_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("run the test-worker binary");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--tls-key-file"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_file_alone_works_when_the_server_asks_for_no_client_certificate() {
    let pki = Pki::generate();
    let server = TlsRedisServer::start(&pki.server_files(), false);
    let connect = || {
        Docket::builder(&server.url())
            .tls_ca_file(pki.path("ca.pem"))
            .connect()
    };
    let producer = connect().await.expect("connect over TLS");
    let worker = connect().await.expect("connect the worker over TLS");
    round_trip(&producer, &worker).await;
    // By name as well as by address: the certificate names both.
    let by_name = Docket::builder(&format!("rediss://localhost:{}/0", server.port()))
        .tls_ca_file(pki.path("ca.pem"))
        .connect()
        .await
        .expect("connect over TLS to localhost");
    assert!(by_name.workers().await.is_ok());
    producer.close().await;
    worker.close().await;
    by_name.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_another_ca_fails_fast_and_clearly() {
    let pki = Pki::generate();
    let server = TlsRedisServer::start(&pki.server_files(), true);
    let url = format!("rediss://app:hunter2@127.0.0.1:{}/0", server.port());
    let error = connect_fails(pki.mutual(&url, "other-ca.pem")).await;
    let message = error.to_string();
    assert!(matches!(error, Error::Backend(_)), "{error:?}");
    assert!(message.contains("TLS"), "{message}");
    assert!(message.contains("certificate"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{error:?}").contains("hunter2"), "{error:?}");
    // Without a CA file the system's roots are trusted, which do not include the test CA.
    let error = connect_fails(Docket::builder(&server.url())).await;
    assert!(error.to_string().contains("certificate"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_a_client_certificate_refuses_a_client_without_one() {
    let pki = Pki::generate();
    let server = TlsRedisServer::start(&pki.server_files(), true);
    let error = connect_fails(Docket::builder(&server.url()).tls_ca_file(pki.path("ca.pem"))).await;
    let message = error.to_string();
    assert!(message.contains("TLS"), "{message}");
    assert!(message.contains("certificate"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_and_plain_ports_do_not_mix() {
    let pki = Pki::generate();
    let plain = RedisServer::start();
    // A plain server waits for the end of a command line that a TLS handshake never sends:
    // only the 5 s connect timeout ends the attempt.
    let url = format!("rediss://127.0.0.1:{}/0", plain.port());
    let bound = Duration::from_secs(12);
    let error = connect_fails_within(bound, Docket::builder(&url).tls_ca_file(pki.path("ca.pem"))).await;
    assert!(error.to_string().contains("a plain port"), "{error}");

    // A TLS server drops a connection that does not start with a handshake.
    let tls = TlsRedisServer::start(&pki.server_files(), false);
    let url = format!("redis://127.0.0.1:{}/0", tls.port());
    connect_fails(Docket::builder(&url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tls_files_are_configuration_errors_that_name_the_file() {
    let pki = Pki::generate();
    let url = "rediss://127.0.0.1:1/0";
    let assert_config_error = |builder: docket::DocketBuilder, file: &Path, what: &str| {
        let error = builder.validate().expect_err(what);
        assert!(matches!(error, Error::Config(_)), "{what}: {error:?}");
        let message = error.to_string();
        assert!(message.contains(&file.display().to_string()), "{what}: {message}");
        message
    };
    let missing = pki.path("missing.pem");
    let message = assert_config_error(Docket::builder(url).tls_ca_file(&missing), &missing, "missing CA");
    assert!(message.contains("cannot read CA certificate file"), "{message}");

    let garbage = pki.path("garbage.pem");
    pki.write("garbage.pem", "not a certificate\n");
    let message = assert_config_error(Docket::builder(url).tls_ca_file(&garbage), &garbage, "garbage CA");
    assert!(message.contains("no PEM certificate"), "{message}");

    // A key is not a certificate, nor a certificate a key.
    let key = pki.path("client.key");
    assert_config_error(Docket::builder(url).tls_ca_file(&key), &key, "key as CA");
    let cert = pki.path("client.pem");
    let builder = Docket::builder(url).tls_client_auth(&cert, &cert);
    let message = assert_config_error(builder, &cert, "certificate as key");
    assert!(message.contains("no private key"), "{message}");

    // The server's key does not belong to the client's certificate.
    let server_key = pki.path("server.key");
    let builder = Docket::builder(url).tls_client_auth(&cert, &server_key);
    let message = assert_config_error(builder, &server_key, "mismatched key");
    assert!(message.contains("cannot be used together"), "{message}");

    // Well-formed files pass.
    pki.mutual(url, "ca.pem").validate().expect("valid TLS files");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_options_need_a_rediss_url() {
    let pki = Pki::generate();
    for url in [
        "redis://:hunter2@127.0.0.1:1/0",
        "unix:///tmp/none.sock",
        "memory://tls",
    ] {
        let error = Docket::builder(url)
            .tls_ca_file(pki.path("ca.pem"))
            .connect()
            .await
            .expect_err(url);
        let message = error.to_string();
        assert!(matches!(error, Error::Config(_)), "{url}: {error:?}");
        assert!(message.contains("rediss://"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }
    let error = pki
        .mutual("redis://127.0.0.1:1/0", "ca.pem")
        .validate()
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error:?}");
}
