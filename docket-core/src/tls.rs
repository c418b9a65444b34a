//! TLS for `rediss://` dockets: the files a [`DocketBuilder`](crate::DocketBuilder) is given
//! and the rustls configuration built from them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result};

/// The TLS files given to a [`DocketBuilder`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsFiles {
    pub(crate) ca_file: Option<PathBuf>,
    /// The client certificate chain and its private key.
    pub(crate) client_auth: Option<(PathBuf, PathBuf)>,
}

impl TlsFiles {
    pub(crate) fn is_empty(&self) -> bool {
        self.ca_file.is_none() && self.client_auth.is_none()
    }
}

/// The TLS settings of a `rediss://` connection: the roots to trust (the CA file's
/// certificates, or else the system's) and the client certificate, if any.
pub(crate) fn tls_config(files: &TlsFiles) -> Result<fred::types::config::TlsConfig> {
    use fred::rustls::crypto::CryptoProvider;
    use fred::rustls::pki_types::pem::PemObject;
    use fred::rustls::pki_types::PrivateKeyDer;
    use fred::rustls::{ClientConfig, RootCertStore};

    let mut roots = RootCertStore::empty();
    match &files.ca_file {
        Some(path) => {
            for cert in read_certificates(path, "CA certificate")? {
                roots.add(cert).map_err(|error| {
                    Error::Config(format!("invalid CA certificate in `{}`: {error}", path.display()))
                })?;
            }
        }
        None => {
            let system = fred::rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(system.certs);
            if roots.is_empty() {
                let errors: Vec<String> = system.errors.iter().map(ToString::to_string).collect();
                return Err(Error::Config(format!(
                    "no system root certificates were found to verify the server's TLS \
                     certificate{}; give its CA with `tls_ca_file`",
                    if errors.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", errors.join("; "))
                    }
                )));
            }
            for error in &system.errors {
                tracing::debug!(%error, "a system root certificate could not be loaded");
            }
        }
    }
    // The process-wide provider if the application installed one, else ring (the one docket
    // builds with): `ClientConfig::builder()` would panic when several are compiled in.
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(fred::rustls::crypto::ring::default_provider()));
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| Error::Config(format!("cannot set up TLS: {error}")))?
        .with_root_certificates(roots);
    let config = match &files.client_auth {
        Some((cert, key)) => {
            let chain = read_certificates(cert, "client certificate")?;
            let pem = read_file(key, "client key")?;
            let private_key = PrivateKeyDer::from_pem_slice(&pem).map_err(|error| {
                Error::Config(format!(
                    "no private key (PKCS#8, PKCS#1 or SEC1 PEM) in client key file `{}`: {error}",
                    key.display()
                ))
            })?;
            builder
                .with_client_auth_cert(chain, private_key)
                .map_err(|error| {
                    Error::Config(format!(
                        "client certificate `{}` and key `{}` cannot be used together: {error}",
                        cert.display(),
                        key.display()
                    ))
                })?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(config.into())
}

/// The certificates in the PEM file at `path` (at least one); `what` names the file in errors.
fn read_certificates(
    path: &Path,
    what: &str,
) -> Result<Vec<fred::rustls::pki_types::CertificateDer<'static>>> {
    use fred::rustls::pki_types::pem::PemObject;
    use fred::rustls::pki_types::CertificateDer;

    let pem = read_file(path, what)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            Error::Config(format!(
                "invalid PEM in {what} file `{}`: {error}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Config(format!(
            "no PEM certificate (`-----BEGIN CERTIFICATE-----`) in {what} file `{}`",
            path.display()
        )));
    }
    Ok(certs)
}

/// The contents of the file at `path`; `what` names it in errors.
fn read_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|error| Error::Config(format!("cannot read {what} file `{}`: {error}", path.display())))
}
