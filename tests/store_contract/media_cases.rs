//! Stored media; each case runs once per backend (see `contract!`).

use futures::TryStreamExt;
use sha2::{Digest, Sha256};
use wa_gateway::store::{StoreError, StoredMedia};

use super::*;

/// A temp file holding `bytes`, and the row that names it.
fn media(
    message_id: &str,
    bytes: &[u8],
    minutes_ago: i64,
) -> (tempfile::NamedTempFile, StoredMedia) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let row = StoredMedia {
        connection_id: "c1".into(),
        message_id: message_id.into(),
        sha256: hex::encode(Sha256::digest(bytes)),
        mimetype: Some("image/jpeg".into()),
        filename: Some("photo.jpg".into()),
        size: bytes.len() as u64,
        stored_at: now() - TimeDelta::minutes(minutes_ago),
    };
    (file, row)
}

async fn read_all(h: &Harness, sha256: &str) -> Result<Vec<u8>, StoreError> {
    let chunks: Vec<Vec<u8>> = h
        .store
        .open_media(sha256)
        .await?
        .try_collect()
        .await
        .unwrap();
    Ok(chunks.concat())
}

/// Larger than one read chunk, so the streamed copy and read are exercised.
fn big_bytes() -> Vec<u8> {
    (0..700_000u32).map(|i| (i % 251) as u8).collect()
}

pub async fn stored_media_reads_back_equal_byte_for_byte(h: Harness) {
    let bytes = big_bytes();
    let (file, row) = media("m1", &bytes, 0);
    h.store.put_media(&row, file.path()).await.unwrap();
    let got = h.store.get_media("c1", "m1").await.unwrap();
    assert_eq!(got, Some(row.clone()));
    assert_eq!(read_all(&h, &row.sha256).await.unwrap(), bytes);
    assert_eq!(h.store.get_media("c1", "other").await.unwrap(), None);
    assert_eq!(h.store.get_media("c2", "m1").await.unwrap(), None);
}

pub async fn the_same_bytes_are_stored_once_for_two_messages(h: Harness) {
    let bytes = b"same picture".to_vec();
    let (file, first) = media("m1", &bytes, 0);
    h.store.put_media(&first, file.path()).await.unwrap();
    let (file, second) = media("m2", &bytes, 0);
    h.store.put_media(&second, file.path()).await.unwrap();
    assert_eq!(blob_count(&h).await, 1);
    assert_eq!(read_all(&h, &first.sha256).await.unwrap(), bytes);
}

pub async fn the_sweep_removes_old_rows_and_blobs_no_row_names(h: Harness) {
    let (file, old) = media("old", b"old bytes", 120);
    h.store.put_media(&old, file.path()).await.unwrap();
    let (file, shared_old) = media("shared-old", b"shared", 120);
    h.store.put_media(&shared_old, file.path()).await.unwrap();
    let (file, shared_new) = media("shared-new", b"shared", 0);
    h.store.put_media(&shared_new, file.path()).await.unwrap();

    let removed = h
        .store
        .sweep_media(now() - TimeDelta::hours(1))
        .await
        .unwrap();
    assert_eq!(removed, 2);
    assert_eq!(h.store.get_media("c1", "old").await.unwrap(), None);
    assert_eq!(h.store.get_media("c1", "shared-old").await.unwrap(), None);
    assert!(matches!(
        read_all(&h, &old.sha256).await,
        Err(StoreError::NotFound)
    ));
    // A blob still named by a newer row stays.
    assert_eq!(read_all(&h, &shared_new.sha256).await.unwrap(), b"shared");
    assert_eq!(blob_count(&h).await, 1);
}

pub async fn a_blob_that_is_not_there_is_not_found(h: Harness) {
    let missing = hex::encode(Sha256::digest(b"never stored"));
    assert!(matches!(
        read_all(&h, &missing).await,
        Err(StoreError::NotFound)
    ));
    // A name that is no SHA-256 never becomes a path or an id.
    assert!(h.store.open_media("../wa-gateway.sqlite3").await.is_err());
}

/// Blobs under the store: files in `DATA_DIR/media` (temp files included, so a leftover half
/// write would show), or GridFS files in the `media` bucket.
async fn blob_count(h: &Harness) -> usize {
    match &h.backend {
        harness::Backend::Sqlite(db_file) => {
            let dir = db_file.parent().unwrap().join("media");
            std::fs::read_dir(dir).unwrap().count()
        }
        harness::Backend::Mongo(db) => {
            let files = db.collection::<mongodb::bson::Document>("media.files");
            files.count_documents(mongodb::bson::doc! {}).await.unwrap() as usize
        }
    }
}
