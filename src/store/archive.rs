//! A connection's Chromium profile essentials <-> one compressed archive (tar + zstd).
//!
//! Only what WhatsApp Web needs to come back logged in is kept: `Default/IndexedDB`,
//! `Default/Local Storage` and a few small durable files. Caches are rebuilt by Chromium, and the
//! `Singleton*` markers of a live browser must never travel: one naming another host makes Chromium
//! refuse to start. Both functions block on file I/O and compression, so async callers run them
//! on `tokio::task::spawn_blocking`.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

/// Directories archived whole (minus `is_skipped` names).
const DURABLE_DIRS: &[&str] = &["Default/IndexedDB", "Default/Local Storage"];
/// Small files archived when present; cookie databases moved under `Network/` in newer Chromium.
const DURABLE_FILES: &[&str] = &[
    "Local State",
    "Default/Preferences",
    "Default/Cookies",
    "Default/Cookies-journal",
    "Default/Network/Cookies",
    "Default/Network/Cookies-journal",
];
const ZSTD_LEVEL: i32 = 3;
/// A live profile changes under us (LevelDB compaction deletes files); a retry sees a newer state.
const PACK_ATTEMPTS: usize = 3;

/// Live-process markers and LevelDB's `LOCK` (an empty file it recreates on open) and info logs.
fn is_skipped(name: &str) -> bool {
    name.starts_with("Singleton")
        || matches!(
            name,
            "DevToolsActivePort" | "LOCK" | "lockfile" | "LOG" | "LOG.old"
        )
}

/// Packs the profile essentials under `profile_dir` into one tar.zst archive. Blocking.
///
/// Safe to call while Chromium runs, though best after writes have settled: within each LevelDB
/// directory `CURRENT` and `MANIFEST-*` are copied before the table and log files are listed, so
/// every file the copied manifest names is either copied or reported missing (then packing
/// retries).
pub fn pack_profile(profile_dir: &Path) -> io::Result<Vec<u8>> {
    if !fs::metadata(profile_dir)?.is_dir() {
        return Err(invalid(format!(
            "{} is not a directory",
            profile_dir.display()
        )));
    }
    let mut attempt = 1;
    loop {
        match try_pack(profile_dir) {
            Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < PACK_ATTEMPTS => {
                attempt += 1
            }
            done => return done,
        }
    }
}

fn try_pack(root: &Path) -> io::Result<Vec<u8>> {
    let mut tar = tar::Builder::new(zstd::Encoder::new(Vec::new(), ZSTD_LEVEL)?);
    let mut count = 0;
    for rel in DURABLE_FILES {
        match fs::symlink_metadata(root.join(rel)) {
            Ok(meta) if meta.is_file() => {
                append_file(&mut tar, root, Path::new(rel))?;
                count += 1;
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    for rel in DURABLE_DIRS {
        match fs::symlink_metadata(root.join(rel)) {
            Ok(meta) if meta.is_dir() => count += append_dir(&mut tar, root, Path::new(rel))?,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    if count == 0 {
        return Err(invalid(format!(
            "{} holds no profile data to archive",
            root.display()
        )));
    }
    tar.into_inner()?.finish()
}

type Packer = tar::Builder<zstd::Encoder<'static, Vec<u8>>>;

/// Appends the files under `root/rel`, LevelDB's `CURRENT` and `MANIFEST-*` first.
fn append_dir(tar: &mut Packer, root: &Path, rel: &Path) -> io::Result<usize> {
    let dir = root.join(rel);
    let mut done = BTreeSet::new();
    for (name, kind) in list(&dir)? {
        let text = name.to_string_lossy();
        if kind.is_file() && (text == "CURRENT" || text.starts_with("MANIFEST-")) {
            append_file(tar, root, &rel.join(&name))?;
            done.insert(name);
        }
    }
    let mut count = done.len();
    for (name, kind) in list(&dir)? {
        if done.contains(&name) || is_skipped(&name.to_string_lossy()) {
            continue;
        }
        if kind.is_dir() {
            count += append_dir(tar, root, &rel.join(&name))?;
        } else if kind.is_file() {
            append_file(tar, root, &rel.join(&name))?;
            count += 1;
        }
    }
    Ok(count)
}

/// Directory entries sorted by name; symlinks report as symlinks and are never followed.
fn list(dir: &Path) -> io::Result<Vec<(OsString, fs::FileType)>> {
    let mut entries = fs::read_dir(dir)?
        .map(|entry| {
            let entry = entry?;
            Ok((entry.file_name(), entry.file_type()?))
        })
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// Reads the whole file first so the header's size matches the bytes even if the file grows.
fn append_file(tar: &mut Packer, root: &Path, rel: &Path) -> io::Result<()> {
    let mut file = fs::File::open(root.join(rel))?;
    let mtime = file.metadata()?.modified().ok();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    let secs = mtime.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
    header.set_mtime(secs.map_or(0, |d| d.as_secs()));
    tar.append_data(&mut header, rel, bytes.as_slice())
}

/// Restores an archive from `pack_profile` as `dest_dir`, replacing whatever was there. Blocking.
///
/// Entries are extracted into a private sibling directory that is then renamed into place, so a
/// failure never leaves a half-restored profile. Absolute paths, `..` and links are rejected;
/// `Singleton*` markers are dropped.
pub fn unpack_profile(bytes: &[u8], dest_dir: &Path) -> io::Result<()> {
    let staging = sibling(dest_dir, "restore")?;
    create_private_dir(&staging)?;
    let restored = extract(bytes, &staging).and_then(|()| replace_dir(&staging, dest_dir));
    if restored.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    restored
}

fn extract(bytes: &[u8], into: &Path) -> io::Result<()> {
    let mut archive = tar::Archive::new(zstd::Decoder::new(bytes)?);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        check_entry(&path, entry.header().entry_type())?;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if is_skipped(&name) {
            continue;
        }
        if !entry.unpack_in(into)? {
            return Err(invalid(format!("refused archive entry {}", path.display())));
        }
    }
    Ok(())
}

fn check_entry(path: &Path, kind: tar::EntryType) -> io::Result<()> {
    let normal = path
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if path.as_os_str().is_empty() || path.is_absolute() || !normal {
        return Err(invalid(format!("unsafe archive path {}", path.display())));
    }
    if !matches!(kind, tar::EntryType::Regular | tar::EntryType::Directory) {
        return Err(invalid(format!(
            "unsupported archive entry {kind:?} at {}",
            path.display()
        )));
    }
    Ok(())
}

/// Swaps `staging` in as `dest`, moving any old profile aside first so a failed rename can undo.
fn replace_dir(staging: &Path, dest: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dest) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return fs::rename(staging, dest),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let old = sibling(dest, "old")?;
    fs::rename(dest, &old)?;
    if let Err(e) = fs::rename(staging, dest) {
        let _ = fs::rename(&old, dest);
        return Err(e);
    }
    // The new profile is in place; a leftover old copy only costs disk space.
    let _ = fs::remove_dir_all(&old);
    Ok(())
}

/// A hidden, unique path next to `dest` (same filesystem, so renames are atomic).
fn sibling(dest: &Path, tag: &str) -> io::Result<PathBuf> {
    let name = dest
        .file_name()
        .ok_or_else(|| invalid(format!("{} has no directory name", dest.display())))?;
    let unique = uuid::Uuid::new_v4().simple();
    let sibling = dest.with_file_name(format!(".{}.{tag}-{unique}", name.to_string_lossy()));
    if let Some(parent) = sibling.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    Ok(sibling)
}

/// Profiles hold login secrets: only our user may read them.
fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests;
