//! Every publishable package carries the metadata crates.io and docs.rs need (issue 22):
//! read from `cargo metadata`, so a new crate without it fails here.

use std::process::Command;

use serde_json::Value;

#[test]
fn publishable_packages_have_registry_and_docs_rs_metadata() {
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--offline", "--format-version", "1", "--manifest-path", manifest])
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let mut published = Vec::new();
    for p in meta["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().expect("name");
        // `publish = false` is an empty registry list; absent (null) means crates.io.
        if p["publish"].as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        published.push(name.to_owned());
        for field in ["description", "repository", "license", "readme", "rust_version"] {
            assert!(p[field].as_str().is_some_and(|s| !s.is_empty()), "{name}: no {field}");
        }
        let keywords = p["keywords"].as_array().expect("keywords");
        assert!((1..=5).contains(&keywords.len()), "{name}: crates.io takes 1 to 5 keywords, not {}", keywords.len());
        for k in keywords {
            let k = k.as_str().expect("keyword");
            assert!(
                k.len() <= 20
                    && k.starts_with(|c: char| c.is_ascii_alphabetic())
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_+".contains(c)),
                "{name}: keyword {k:?} is not one crates.io accepts"
            );
        }
        let categories = p["categories"].as_array().expect("categories");
        assert!((1..=5).contains(&categories.len()), "{name}: 1 to 5 categories");
        let docs_rs = &p["metadata"]["docs"]["rs"];
        assert_eq!(docs_rs["all-features"], Value::Bool(true), "{name}: docs.rs all-features");
        assert_eq!(docs_rs["rustdoc-args"], serde_json::json!(["--cfg", "docsrs"]), "{name}: docs.rs rustdoc-args");
    }
    published.sort();
    assert_eq!(
        published,
        ["invsync", "invsync-cli", "invsync-core", "invsync-csv", "invsync-json", "invsync-server", "invsync-store"]
    );
}
