//! Build-time preparation of the interactive API reference served at `/docs`.
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
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("cargo sets OUT_DIR")?);
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
