//! Build-time preparation of the API reference served at `/openapi.json` and `/docs`, and how
//! the `waras` binary is linked.
//!
//! Swagger UI comes as a zip of its whole source tree (the `utoipa-swagger-ui-vendored` crate, so
//! the build needs no network). Only two of its files are needed in a browser: the bundle and its
//! stylesheet. They are taken out of the zip and gzip-compressed into `OUT_DIR`, so the binary
//! carries about 0.5 MB for the reference instead of the 11 MB of the full distribution.

use std::env;
use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::PathBuf;

use flate2::Compression;
use flate2::write::GzEncoder;

/// The files of Swagger UI's `dist/` folder that the `/docs` page loads.
const FILES: &[&str] = &["swagger-ui-bundle.js", "swagger-ui.css"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    link_at_a_fixed_address();
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
    compact_openapi(&out)?;
    let mut zip =
        zip::ZipArchive::new(Cursor::new(utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED))
            .map_err(|e| format!("the vendored Swagger UI is not a zip archive: {e}"))?;
    for name in FILES {
        let suffix = format!("/dist/{name}");
        let entry = zip
            .file_names()
            .find(|n| n.ends_with(&suffix))
            .map(str::to_owned)
            .ok_or_else(|| format!("Swagger UI's dist/{name} is missing from the zip"))?;
        let mut body = Vec::new();
        zip.by_name(&entry)
            .and_then(|mut f| f.read_to_end(&mut body).map_err(Into::into))
            .map_err(|e| format!("reading dist/{name}: {e}"))?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&body)?;
        let gz = gz.finish()?;
        fs::write(out.join(format!("{name}.gz")), gz)
            .map_err(|e| format!("writing {name}.gz: {e}"))?;
    }
    Ok(())
}

/// `clients/openapi.json` is pretty-printed for people and for the clients' generators; the
/// binary serves it without the layout (198 KB instead of 411 KB), keys in the same order.
fn compact_openapi(out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    const SOURCE: &str = "clients/openapi.json";
    println!("cargo:rerun-if-changed={SOURCE}");
    let text = fs::read_to_string(SOURCE).map_err(|e| format!("reading {SOURCE}: {e}"))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{SOURCE} is not JSON: {e}"))?;
    fs::write(out.join("openapi.json"), serde_json::to_string(&doc)?)
        .map_err(|e| format!("writing openapi.json: {e}"))?;
    Ok(())
}

/// On glibc Linux, `waras` is linked as a fixed-address (non-PIE) executable. A position-
/// independent one carries a relocation for every pointer in its read-only data (2.5 MB of
/// `.rela.dyn`), and the loader writes every page holding one at start-up, so those pages become
/// private memory of each process. Linked at a fixed address, the linker resolves them once and
/// the pages stay shared with the file, unread until used. The price: the executable's own code
/// is not placed at a random address (its libraries, heap and stacks still are). The static musl
/// build of the container image is linked as before.
///
/// There, Rust links with LLD (the toolchain's default for this target since 1.90), which is
/// also asked to fold functions whose machine code is identical into one (`--icf=all`): the
/// monomorphized generics of different types often compile to the same instructions.
fn link_at_a_fixed_address() {
    let linux_gnu = env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux")
        && env::var("CARGO_CFG_TARGET_ENV").is_ok_and(|e| e == "gnu");
    if linux_gnu {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        println!("cargo:rustc-link-arg-bins=-Wl,--icf=all");
    }
}
