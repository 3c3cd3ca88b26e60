//! Media through a real headless Chromium: the page encrypts and uploads through the documented
//! modules, the servers record the decrypted bytes' hash; inbound media is downloaded and
//! decrypted in the page; limits, expiry and the stage drills.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use common::{link, TestBrowser};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wa_sim::{InboundMedia, MediaLimits, SimConfig, Simulator};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";
/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn hex_sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// wwebjs' `processMediaData` then the send of contract §6, as an injector runs it.
fn send_media_js(data: &str, mimetype: &str, flags: &str) -> String {
    format!(
        r#"(async (data, mimetype, flags) => {{
  const r = (n) => window.require(n);
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const file = new File([bytes], 'x.bin', {{ type: mimetype }});
  const opaque = await r('WAWebMediaOpaqueData').createFromData(file, mimetype);
  const md = await r('WAWebPrepRawMedia').prepRawMedia(opaque, flags).waitForPrep();
  const mo = r('WAWebMediaStorage').getOrCreateMediaObject(md.filehash);
  const mediaType = r('WAWebMmsMediaTypes').msgToMediaType({{ type: md.type, isGif: md.isGif }});
  md.renderableUrl = md.mediaBlob.url();
  mo.consolidate(md.toJSON());
  let entry;
  try {{
    entry = (await r('WAWebMediaMmsV4Upload').uploadMedia({{ mimetype: md.mimetype, mediaObject: mo, mediaType }})).mediaEntry;
  }} catch (e) {{ return {{ uploadError: String(e.message), status: e.status }}; }}
  md.set({{ clientUrl: entry.mmsUrl, directPath: entry.directPath, mediaKey: entry.mediaKey,
    mediaKeyTimestamp: entry.mediaKeyTimestamp, encFilehash: entry.encFilehash, filehash: mo.filehash, size: mo.size }});
  const wid = r('WAWebWidFactory').createWid('{FRIEND}@c.us');
  const chat = (await r('WAWebFindChatAction').findOrCreateLatestChat(wid)).chat;
  const me = r('WAWebUserPrefsMeUser').getMaybeMePnUser();
  const MsgKey = r('WAWebMsgKey');
  const key = new MsgKey({{ from: me, to: chat.id, id: await MsgKey.newId(), selfDir: 'out' }});
  window.unsent = [];
  r('WAWebCollections').Msg.on('change:isUnsentMedia', (m, now, before) => window.unsent.push([now, before]));
  const msg = Object.assign({{ id: key, ack: 0, body: md.preview, type: 'chat', from: me, to: chat.id, local: true,
    self: 'out', t: Math.floor(Date.now() / 1000), isNewMsg: true }}, md.toJSON());
  const [added] = r('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, msg);
  await added;
  return {{ id: key._serialized, type: md.type }};
}})({data:?}, {mimetype:?}, {flags})"#
    )
}

/// wwebjs' `downloadMedia` steps 1-3 for the message `id`.
fn download_js(id: &str, with_qpl: bool) -> String {
    let qpl = if with_qpl {
        "(() => { const q = { addAnnotations: () => q, addPoint: () => q }; return q; })()"
    } else {
        "undefined"
    };
    format!(
        r#"(async (id) => {{
  const msg = window.require('WAWebCollections').Msg.get(id);
  if (!msg || !msg.mediaData) return {{ missing: true }};
  if (msg.mediaData.mediaStage !== 'RESOLVED') await msg.downloadMedia({{ downloadEvenIfExpensive: true, rmrReason: 1 }});
  const stage = msg.mediaData.mediaStage;
  if (stage !== 'RESOLVED') return {{ stage }};
  try {{
    const buf = await window.require('WAWebDownloadManager').downloadManager.downloadAndMaybeDecrypt({{
      directPath: msg.directPath, encFilehash: msg.encFilehash, filehash: msg.filehash, mediaKey: msg.mediaKey,
      mediaKeyTimestamp: msg.mediaKeyTimestamp, type: msg.type, signal: new AbortController().signal,
      downloadQpl: {qpl} }});
    const hash = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', buf)), (b) => b.toString(16).padStart(2, '0')).join('');
    return {{ sha256: hash, size: buf.byteLength, type: msg.type, mimetype: msg.mimetype, filename: msg.filename }};
  }} catch (e) {{ return {{ error: String(e.message), status: e.status }}; }}
}})({id:?})"#
    )
}

async fn linked() -> (Simulator, tempfile::TempDir, TestBrowser) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    (sim, profile, browser)
}

async fn recorded(sim: &Simulator, id: &str) -> wa_sim::SentMessage {
    for _ in 0..100 {
        if let Some(s) = sim.sent_messages(ME).into_iter().find(|s| s.id == id) {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{id} was never recorded");
}

#[tokio::test]
async fn sent_media_is_encrypted_uploaded_and_recorded_byte_for_byte() {
    let (sim, _profile, browser) = linked().await;
    // A PNG image, and a document of 3 MiB of varied bytes.
    let doc: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    let cases = [
        (STANDARD.decode(PNG).unwrap(), "image/png", "{}", "image"),
        (doc, "application/pdf", "{}", "document"),
        (
            b"OggS-not-really".to_vec(),
            "audio/ogg; codecs=opus",
            "{isPtt: true}",
            "ptt",
        ),
    ];
    for (bytes, mimetype, flags, kind) in cases {
        let js = send_media_js(&STANDARD.encode(&bytes), mimetype, flags);
        let sent: Value = browser.eval(&js).await.unwrap();
        assert_eq!(sent["type"], kind, "{sent}");
        let s = recorded(&sim, sent["id"].as_str().unwrap()).await;
        let media = s.media.expect("the servers opened the media");
        assert_eq!(media.error, None);
        assert_eq!(media.sha256, hex_sha(&bytes), "{kind}");
        assert_eq!(media.size, bytes.len() as u64);
        assert_eq!(s.kind, kind);
    }
    // The upload finished before the send: the unsent flag falls once the servers take it.
    let unsent = browser
        .wait_for(
            "change:isUnsentMedia",
            "window.unsent.length ? window.unsent : null",
        )
        .await;
    assert_eq!(unsent[0], serde_json::json!([false, true]));

    // Above the upload limit, uploadMedia throws with the server's 413.
    sim.set_media_limits(MediaLimits {
        media_bytes: 1024,
        document_bytes: 1024,
    });
    let big = STANDARD.encode(vec![1u8; 4096]);
    let r: Value = browser
        .eval(&send_media_js(&big, "image/png", "{}"))
        .await
        .unwrap();
    assert_eq!(r["status"], 413, "{r}");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn stickers_convert_in_the_page_and_need_the_upload_qpl() {
    let (sim, _profile, browser) = linked().await;
    let js = format!(
        r#"(async (png) => {{
  const r = (n) => window.require(n);
  const file = new File([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], 's.png', {{ type: 'image/png' }});
  const webp = await r('WAWebImageUtils').toWebpSticker(file);
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
  const up = r('WAWebUploadManager');
  const noQpl = await up.encryptAndUpload({{ blob: webp, type: 'sticker', signal: new AbortController().signal, mediaKey: key }})
    .then(() => 'ok', (e) => String(e.message));
  const qpl = r('WAWebStartMediaUploadQpl').startMediaUploadQpl({{ entryPoint: 'MediaUpload' }});
  const res = await up.encryptAndUpload({{ blob: webp, type: 'sticker', signal: new AbortController().signal, mediaKey: key, uploadQpl: qpl }});
  const bytes = new Uint8Array(await webp.arrayBuffer());
  const hash = async (b) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest('SHA-256', b))));
  const wid = r('WAWebWidFactory').createWid('{FRIEND}@c.us');
  const chat = (await r('WAWebFindChatAction').findOrCreateLatestChat(wid)).chat;
  const me = r('WAWebUserPrefsMeUser').getMaybeMePnUser();
  const MsgKey = r('WAWebMsgKey');
  const id = new MsgKey({{ from: me, to: chat.id, id: await MsgKey.newId(), selfDir: 'out' }});
  const [added] = r('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, {{ id, ack: 0, type: 'sticker', from: me, to: chat.id,
    local: true, self: 'out', t: Math.floor(Date.now() / 1000), isNewMsg: true, mimetype: 'image/webp',
    clientUrl: res.url, deprecatedMms3Url: res.url, directPath: res.directPath, mediaKey: res.mediaKey,
    mediaKeyTimestamp: res.mediaKeyTimestamp, encFilehash: res.encFilehash, uploadhash: res.encFilehash,
    filehash: await hash(bytes), size: bytes.length }});
  await added;
  const head = String.fromCharCode(...bytes.slice(8, 12));
  return {{ noQpl, id: id._serialized, head, b64: btoa(String.fromCharCode(...bytes)) }};
}})({PNG:?})"#
    );
    let r: Value = browser.eval(&js).await.unwrap();
    assert!(r["noQpl"].as_str().unwrap().contains("addPoint"), "{r}");
    assert_eq!(r["head"], "WEBP");
    let webp = STANDARD.decode(r["b64"].as_str().unwrap()).unwrap();
    let s = recorded(&sim, r["id"].as_str().unwrap()).await;
    let media = s.media.unwrap();
    assert_eq!((media.error, media.sha256), (None, hex_sha(&webp)));
    browser.close().await;
    sim.shutdown().await;
}

fn inbound(kind: &str, mimetype: &str, bytes: &[u8]) -> InboundMedia {
    InboundMedia {
        filename: Some("report.pdf".into()),
        caption: Some("see this".into()),
        ..InboundMedia::new(ME, FRIEND, kind, mimetype, bytes)
    }
}

#[tokio::test]
async fn inbound_media_is_downloaded_and_decrypted_in_the_page() {
    let (sim, _profile, browser) = linked().await;
    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let r = sim
        .send_inbound_media(inbound("document", "application/pdf", &bytes))
        .await
        .unwrap();
    let id = r["id"].as_str().unwrap();
    browser
        .wait_for(
            "the message",
            &format!("!!window.require('WAWebCollections').Msg.get({id:?})"),
        )
        .await;
    let got: Value = browser.eval(&download_js(id, true)).await.unwrap();
    assert_eq!(got["sha256"], hex_sha(&bytes), "{got}");
    assert_eq!(got["filename"], "report.pdf");
    // The phone page shows it: the phone decrypts with the keys the message carries.
    let url = format!("{}__sim/accounts/{ME}/messages/{id}/media", sim.base_url());
    let shown = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(hex_sha(&shown), hex_sha(&bytes));
    let thread: Value = reqwest::get(format!("{}__sim/accounts/{ME}/messages", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let shown = thread
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert_eq!(shown["media"]["type"], "document");

    // Without the download QPL (required since Dec 2025) the call fails.
    let got: Value = browser.eval(&download_js(id, false)).await.unwrap();
    assert!(got["error"].as_str().unwrap().contains("addPoint"), "{got}");

    // Expired on the CDN: the download fails with status 404.
    assert!(sim.expire_media(r["directPath"].as_str().unwrap()));
    let got: Value = browser.eval(&download_js(id, true)).await.unwrap();
    assert_eq!(got["status"], 404, "{got}");

    // The REUPLOADING drill: the stage is there from the start.
    let mut drill = inbound("image", "image/png", &STANDARD.decode(PNG).unwrap());
    drill.stage = Some("REUPLOADING".into());
    let r = sim.send_inbound_media(drill).await.unwrap();
    let id = r["id"].as_str().unwrap();
    browser
        .wait_for(
            "the message",
            &format!("!!window.require('WAWebCollections').Msg.get({id:?})"),
        )
        .await;
    let got: Value = browser.eval(&download_js(id, true)).await.unwrap();
    assert_eq!(got["stage"], "REUPLOADING", "{got}");
    browser.close().await;
    sim.shutdown().await;
}
