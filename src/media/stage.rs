//! Hands a spooled file to the page in chunks (`media.stage`), read from disk one at a time.
//! Per chunk the gateway holds the raw bytes, their base64 and the evaluate expression built from
//! it (plus what the CDP client serializes): a few copies of one chunk, whatever the file size.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::MediaFile;
use crate::session::{PageError, SessionManager};
use crate::store::Connection;
use crate::whatsapp::PageCaller;

/// Raw bytes per `media.stage` call (5.3 MiB of base64): far below CDP's message limits.
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;
const CHUNK_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct Staged {
    size: u64,
}

/// Stages `file` in the connection's page; answers the token the send part names.
pub async fn stage(
    manager: &SessionManager,
    connection: &Connection,
    file: &MediaFile,
) -> Result<String, crate::session::ManagerError> {
    let page = manager.page(connection).await?;
    let token = file.sha256.clone();
    let at = call(&*page, json!({"token": token, "total": file.len})).await?;
    if let Err(e) = send_chunks(&*page, file, &token, at).await {
        // Half a file is of no use to any send: let the page drop it now, not after its TTL.
        let _ = page
            .call("media.release", json!({"token": token}), CHUNK_TIMEOUT)
            .await;
        return Err(e.into());
    }
    Ok(token)
}

async fn send_chunks(
    page: &dyn PageCaller,
    file: &MediaFile,
    token: &str,
    mut at: u64,
) -> Result<(), PageError> {
    let mut reader = tokio::fs::File::open(&file.path)
        .await
        .map_err(|e| PageError::Failed(format!("media spool: {e}")))?;
    let mut buf = vec![0u8; CHUNK_BYTES];
    while at < file.len {
        let n = read_at(&mut reader, at, &mut buf)
            .await
            .map_err(|e| PageError::Failed(format!("media spool: {e}")))?;
        let data = STANDARD.encode(&buf[..n]);
        let args = json!({"token": token, "total": file.len, "offset": at, "data": data});
        at = call(page, args).await?;
    }
    Ok(())
}

/// Lets go of a staging (the page frees the bytes once no send needs them).
pub async fn release(manager: &SessionManager, connection: &Connection, token: &str) {
    if let Ok(page) = manager.page(connection).await {
        let args = json!({"token": token});
        if let Err(e) = page.call("media.release", args, CHUNK_TIMEOUT).await {
            tracing::debug!(error = %e, "releasing staged media failed; the page drops it later");
        }
    }
}

async fn call(page: &dyn PageCaller, args: serde_json::Value) -> Result<u64, PageError> {
    let value = page.call("media.stage", args, CHUNK_TIMEOUT).await?;
    let staged: Staged = serde_json::from_value(value)
        .map_err(|e| PageError::Failed(format!("media.stage answered {e}")))?;
    Ok(staged.size)
}

async fn read_at(file: &mut tokio::fs::File, at: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    file.seek(std::io::SeekFrom::Start(at)).await?;
    let mut n = 0;
    while n < buf.len() {
        let got = file.read(&mut buf[n..]).await?;
        if got == 0 {
            break;
        }
        n += got;
    }
    Ok(n)
}
