//! Downloads a caller's URL (media to send) to a temporary file: http(s) only, through the
//! address guard, with a size cap checked while the body streams in and one deadline for all of
//! it. Only a chunk of the body is in memory at a time.

use std::path::Path;
use std::time::Duration;

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use reqwest::Url;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::{blocked_cause, AddressPolicy};

/// How much and how long.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub timeout: Duration,
}

/// A downloaded body, in a file that is deleted when `file` is dropped.
#[derive(Debug)]
pub struct Fetched {
    pub file: TempPath,
    pub len: u64,
    /// As the server said (`Content-Type`), if it did.
    pub content_type: Option<String>,
    /// From `Content-Disposition`, else the URL's last path segment.
    pub filename: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL or an address it leads to is not allowed (scheme, private address, redirect).
    #[error("{0}")]
    Refused(String),
    /// The body is larger than the limit (in bytes).
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// The server or the network failed, or answered with an error status.
    #[error("{0}")]
    Failed(String),
}

/// Downloads `url` into a new temporary file in `dir`.
pub async fn fetch(
    url: &str,
    policy: &AddressPolicy,
    limits: Limits,
    dir: &Path,
) -> Result<Fetched, FetchError> {
    let url = Url::parse(url).map_err(|e| FetchError::Refused(format!("not a URL: {e}")))?;
    policy
        .check_url(&url)
        .map_err(|b| FetchError::Refused(b.0))?;
    let work = download(url, policy, limits.max_bytes, dir);
    match tokio::time::timeout(limits.timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Failed(format!(
            "no complete answer within {} s",
            limits.timeout.as_secs()
        ))),
    }
}

async fn download(
    url: Url,
    policy: &AddressPolicy,
    max: u64,
    dir: &Path,
) -> Result<Fetched, FetchError> {
    let response = client(policy).get(url).send().await.map_err(failure)?;
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Failed(format!("the server answered {status}")));
    }
    if response.content_length().is_some_and(|len| len > max) {
        return Err(FetchError::TooLarge(max));
    }
    let header = |name| {
        let value = response.headers().get(name)?.to_str().ok()?;
        Some(value.to_owned())
    };
    let content_type = header(CONTENT_TYPE);
    let filename = header(CONTENT_DISPOSITION)
        .and_then(|d| disposition_filename(&d))
        .or_else(|| url_filename(response.url()));
    let (file, len) = save(response, max, dir).await?;
    Ok(Fetched {
        file,
        len,
        content_type,
        filename,
    })
}

/// Streams the body into a temporary file; the file is gone again if anything fails.
async fn save(
    response: reqwest::Response,
    max: u64,
    dir: &Path,
) -> Result<(TempPath, u64), FetchError> {
    let local = |e: std::io::Error| FetchError::Failed(format!("cannot store the download: {e}"));
    std::fs::create_dir_all(dir).map_err(local)?;
    let path = tempfile::Builder::new()
        .prefix("fetch-")
        .tempfile_in(dir)
        .map_err(local)?
        .into_temp_path();
    let mut out = tokio::fs::File::create(&path).await.map_err(local)?;
    let mut len = 0u64;
    let mut response = response;
    while let Some(chunk) = response.chunk().await.map_err(failure)? {
        len += chunk.len() as u64;
        if len > max {
            return Err(FetchError::TooLarge(max));
        }
        out.write_all(&chunk).await.map_err(local)?;
    }
    out.flush().await.map_err(local)?;
    Ok((path, len))
}

/// A client for one fetch: fetches are rare next to their transfer time, and a client of its
/// own carries exactly this policy.
fn client(policy: &AddressPolicy) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .user_agent(concat!("wa-gateway/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10));
    policy.client(builder)
}

fn failure(e: reqwest::Error) -> FetchError {
    match blocked_cause(&e) {
        Some(blocked) => FetchError::Refused(blocked.0.clone()),
        None => FetchError::Failed(plain(e)),
    }
}

/// The error and its causes in one line, without the URL (the caller knows it).
fn plain(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// `attachment; filename="invoice.pdf"` -> `invoice.pdf` (the plain form; a bare name too).
fn disposition_filename(value: &str) -> Option<String> {
    let raw = value
        .split(';')
        .map(str::trim)
        .find_map(|part| part.strip_prefix("filename="))?;
    let name = raw.trim_matches('"').rsplit(['/', '\\']).next()?.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn url_filename(url: &Url) -> Option<String> {
    let last = url.path_segments()?.next_back()?;
    let name = percent_decode(last);
    (!name.is_empty()).then_some(name)
}

fn percent_decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("x={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
