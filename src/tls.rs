//! TLS for the connections `migcheck stats` and `migcheck trace --database-url` open: rustls
//! with the system's root certificates plus `PGSSLROOTCERT` (a PEM bundle, e.g. a cloud
//! provider's CA). The server certificate is always verified. `sslmode=disable` turns TLS off,
//! `prefer` (the default) uses it when the server offers it, `require` insists on it.

use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

static CONFIG: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();

fn config() -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = std::env::var_os("PGSSLROOTCERT").filter(|p| !p.is_empty()) {
        let shown = std::path::Path::new(&path).display().to_string();
        let certs = CertificateDer::pem_file_iter(&path)
            .map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
            roots
                .add(cert)
                .map_err(|e| format!("PGSSLROOTCERT {shown}: {e}"))?;
        }
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth())
        .map_err(|e| format!("TLS set-up failed: {e}"))
}

/// The connector for `postgres::Config::connect`.
pub fn connector() -> Result<MakeRustlsConnect, String> {
    CONFIG
        .get_or_init(config)
        .clone()
        .map(MakeRustlsConnect::new)
}
