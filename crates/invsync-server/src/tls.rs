//! HTTPS through rustls (ring provider) when the configuration names a certificate.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::ServerError;
use crate::config::TlsConfig;

/// The acceptor for `config`'s certificate chain and key.
pub(crate) fn acceptor(config: &TlsConfig) -> Result<TlsAcceptor, ServerError> {
    let err = |path: &str, message: String| ServerError::Tls { path: path.to_owned(), message };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&config.certificate)
        .map_err(|e| err(&config.certificate, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&config.certificate, e.to_string()))?;
    if certs.is_empty() {
        return Err(err(&config.certificate, "no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_file(&config.key).map_err(|e| err(&config.key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(&config.certificate, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| err(&config.key, e.to_string()))?;
    let mut server = server;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(server)))
}
