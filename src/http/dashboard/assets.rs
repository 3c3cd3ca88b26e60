//! The dashboard's files, compiled into the binary and prepared once: gzipped, and named by a
//! version (a hash of every file) so that browsers may cache them for good.

use std::collections::HashMap;
use std::io::Write;
use std::sync::LazyLock;

use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};

/// One embedded file.
struct Embedded {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! embed {
    ($name:literal, $type:expr) => {
        Embedded {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/dashboard/",
                $name
            )),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file under `assets/dashboard/` but the page itself.
const FILES: &[Embedded] = &[
    embed!("app.css", "text/css; charset=utf-8"),
    embed!("favicon.svg", "image/svg+xml"),
    embed!("app.js", JS),
    embed!("api.js", JS),
    embed!("stream.js", JS),
    embed!("dom.js", JS),
    embed!("charts.js", JS),
    embed!("metrics.js", JS),
    embed!("connections-state.js", JS),
    embed!("pages/signin.js", JS),
    embed!("pages/connections.js", JS),
    embed!("pages/link.js", JS),
    embed!("pages/connection.js", JS),
    embed!("pages/send-form.js", JS),
    embed!("pages/webhook.js", JS),
    embed!("pages/events.js", JS),
    embed!("pages/keys.js", JS),
    embed!("pages/overview.js", JS),
];

const INDEX: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/assets/dashboard/index.html"
));

/// Where `index.html` names the version in its asset URLs.
const VERSION_MARK: &str = "__VERSION__";

/// A file ready to serve.
pub struct Prepared {
    pub content_type: &'static str,
    pub plain: Vec<u8>,
    pub gzip: Vec<u8>,
    /// A strong validator: the hash of the plain bytes.
    pub etag: String,
}

impl Prepared {
    fn new(content_type: &'static str, plain: Vec<u8>) -> Self {
        let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&plain))[..16]);
        let gzip = gzip(&plain);
        Self {
            content_type,
            plain,
            gzip,
            etag,
        }
    }
}

/// The page, the files by name, and the version in their URLs.
pub struct Assets {
    pub version: String,
    pub index: Prepared,
    pub files: HashMap<&'static str, Prepared>,
}

pub static ASSETS: LazyLock<Assets> = LazyLock::new(prepare);

fn prepare() -> Assets {
    let mut hash = Sha256::new();
    for file in FILES {
        hash.update(file.name.as_bytes());
        hash.update(file.bytes);
    }
    let version = hex::encode(hash.finalize())[..12].to_owned();
    let page = String::from_utf8_lossy(INDEX).replace(VERSION_MARK, &version);
    let files = FILES
        .iter()
        .map(|f| (f.name, Prepared::new(f.content_type, f.bytes.to_vec())))
        .collect();
    Assets {
        index: Prepared::new("text/html; charset=utf-8", page.into_bytes()),
        version,
        files,
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}
