//! The public API of invsync-server. The server process itself is driven over HTTP by
//! crates/invsync-cli/tests/it/serve.rs (through `invsync serve`).

use invsync_server::{OPENAPI, ROUTES, ServerConfig, ServerError, hash_token};

/// The checked-in OpenAPI document lists exactly the router's routes (every route the
/// router has is in `ROUTES`: the router is built from the same list, see http.rs).
#[test]
fn openapi_lists_every_route() {
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), p.clone())))
        .collect();
    let mut routes: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    documented.sort();
    routes.sort();
    assert_eq!(documented, routes);
}

#[test]
fn errors_are_send_sync_static() {
    fn check<T: std::error::Error + Send + Sync + 'static>() {}
    check::<ServerError>();
    check::<invsync_server::ConfigError>();
    check::<invsync_server::RecordError>();
}

#[test]
fn a_config_refuses_plain_http_off_loopback_unless_allowed() {
    let base = format!("admin_token_sha256 = \"{}\"\nlisten = \"0.0.0.0:8080\"\n", hash_token("admin"));
    let config = ServerConfig::parse(&base, "server.toml").unwrap();
    let err = config.check_listen(config.listen, "server.toml").unwrap_err();
    assert!(err.to_string().contains("not loopback"), "{err}");
    let allowed = ServerConfig::parse(&format!("allow_plain_http = true\n{base}"), "server.toml").unwrap();
    assert!(allowed.check_listen(allowed.listen, "server.toml").is_ok());
}
