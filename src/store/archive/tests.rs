use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::{pack_profile, unpack_profile};

const IDB: &str = "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.leveldb";
const LS: &str = "Default/Local Storage/leveldb";

/// What a WhatsApp Web profile looks like on disk, caches and live-browser markers included.
fn fake_profile(root: &Path) {
    let files: &[(&str, &[u8])] = &[
        ("Local State", b"{\"os_crypt\":{}}"),
        ("Default/Preferences", b"{\"profile\":{}}"),
        ("Default/Cookies", b"SQLite format 3\0"),
        (&format!("{IDB}/CURRENT"), b"MANIFEST-000001\n"),
        (&format!("{IDB}/MANIFEST-000001"), b"manifest"),
        (&format!("{IDB}/000003.log"), b"wa session keys"),
        (&format!("{IDB}/LOCK"), b""),
        (&format!("{IDB}/LOG"), b"leveldb info log"),
        (
            "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.blob/1/00/3",
            b"blob",
        ),
        (&format!("{LS}/CURRENT"), b"MANIFEST-000002\n"),
        (&format!("{LS}/000005.ldb"), b"WAToken"),
        (&format!("{LS}/LOCK"), b""),
        ("Default/Cache/Cache_Data/data_0", b"cached"),
        ("Default/Code Cache/js/index", b"code"),
        ("Default/GPUCache/data_1", b"gpu"),
        ("Default/Service Worker/Database/CURRENT", b"sw"),
        ("Default/History", b"history"),
        ("DevToolsActivePort", b"9222\n/devtools/browser/x"),
        ("SingletonSocket", b""),
    ];
    for (rel, bytes) in files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    std::os::unix::fs::symlink("other-host-4242", root.join("SingletonLock")).unwrap();
}

/// Every regular file under `root`, by relative path.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry
                    .path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(entry.path()).unwrap_or_default());
            }
        }
    }
    out
}

/// Wraps raw tar bytes in zstd, as `pack_profile` does.
fn zst(tar: Vec<u8>) -> Vec<u8> {
    zstd::encode_all(tar.as_slice(), 3).unwrap()
}

/// A one-entry tar whose name is written raw, bypassing the `tar` crate's own path checks.
fn tar_with_raw_name(name: &str, kind: tar::EntryType) -> Vec<u8> {
    let mut header = tar::Header::new_old();
    header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    header.set_entry_type(kind);
    header.set_size(4);
    header.set_mode(0o600);
    header.set_cksum();
    let mut builder = tar::Builder::new(Vec::new());
    builder.append(&header, &b"evil"[..]).unwrap();
    builder.into_inner().unwrap()
}

#[test]
fn a_packed_profile_restores_only_its_durable_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    fake_profile(&profile);
    let restored = tmp.path().join("restored");

    unpack_profile(&pack_profile(&profile).unwrap(), &restored).unwrap();

    let got = tree(&restored);
    let expected: Vec<String> = [
        "Default/Cookies",
        "Default/IndexedDB/https_web.whatsapp.com_0.indexeddb.blob/1/00/3",
        &format!("{IDB}/000003.log"),
        &format!("{IDB}/CURRENT"),
        &format!("{IDB}/MANIFEST-000001"),
        &format!("{LS}/000005.ldb"),
        &format!("{LS}/CURRENT"),
        "Default/Preferences",
        "Local State",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), expected);
    let original = tree(&profile);
    for (rel, bytes) in &got {
        assert_eq!(bytes, &original[rel], "{rel}");
    }
}

#[test]
fn restoring_replaces_a_stale_profile_and_its_singleton_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let profile = tmp.path().join("profile");
    fake_profile(&profile);
    let archive = pack_profile(&profile).unwrap();
    let dest = tmp.path().join("sessions/conn-1");
    fake_profile(&dest);
    fs::write(dest.join(format!("{LS}/000005.ldb")), b"stale token").unwrap();

    unpack_profile(&archive, &dest).unwrap();

    assert!(fs::symlink_metadata(dest.join("SingletonLock")).is_err());
    assert!(!dest.join("Default/Cache").exists());
    assert_eq!(
        fs::read(dest.join(format!("{LS}/000005.ldb"))).unwrap(),
        b"WAToken"
    );
    let leftovers: Vec<_> = fs::read_dir(tmp.path().join("sessions")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "staging or old copies left behind");
}

#[test]
fn entries_escaping_the_destination_are_rejected() {
    for name in [
        "../escaped",
        "/tmp/wa-gateway-absolute-escape",
        "a/../../escaped",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("inner/dest");
        let archive = zst(tar_with_raw_name(name, tar::EntryType::Regular));

        let err = unpack_profile(&archive, &dest).unwrap_err();

        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{name}: {err}");
        assert!(!dest.exists());
        assert!(!tmp.path().join("inner/escaped").exists());
        assert!(!tmp.path().join("escaped").exists());
        assert!(fs::read_dir(tmp.path().join("inner"))
            .unwrap()
            .next()
            .is_none());
    }
    assert!(!Path::new("/tmp/wa-gateway-absolute-escape").exists());
}

#[test]
fn link_entries_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_link(&mut header, "Default/IndexedDB", "/etc")
        .unwrap();
    let archive = zst(builder.into_inner().unwrap());

    let err = unpack_profile(&archive, &tmp.path().join("dest")).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{err}");
}

#[test]
fn a_profile_without_durable_data_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("Default/Cache")).unwrap();
    assert!(pack_profile(tmp.path()).is_err());
    assert!(pack_profile(&tmp.path().join("missing")).is_err());
}

#[test]
fn garbage_bytes_fail_without_touching_the_destination() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("dest");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("keep"), b"old").unwrap();

    assert!(unpack_profile(b"not an archive", &dest).is_err());
    assert_eq!(fs::read(dest.join("keep")).unwrap(), b"old");
}
