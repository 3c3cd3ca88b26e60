  // ---- media: staging, sending (WA_WEB_FEATURES.md §1) and downloading (§2) ----

  // Files arrive in chunks (`media.stage`), never in one giant evaluate: a page-side registry keyed
  // by the file's SHA-256 keeps them until every send that staged them released them.
  const STAGED = new Map();
  const STAGED_TTL_MS = 10 * 60 * 1000;

  // The built-in codecs (Chromium 140+) where present: a byte loop costs ~10 ms per MiB.
  const base64Bytes = (text) => {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
    const raw = atob(text);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  };

  const bytesBase64 = (bytes, from, to) => {
    if (typeof bytes.toBase64 === 'function') return bytes.subarray(from, to).toBase64();
    let text = '';
    for (let i = from; i < to; i += 0x8000) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 0x8000, to)));
    }
    return btoa(text);
  };

  const sweepStaged = () => {
    const now = Date.now();
    for (const [token, e] of STAGED) if (now - e.touched > STAGED_TTL_MS) STAGED.delete(token);
  };

  /** The staged file `token`, complete, as a File; NOT_FOUND when it is not (all) here. */
  const stagedFile = (m) => {
    const e = STAGED.get(m.token);
    if (!e || e.size !== e.total) throw opError('NOT_FOUND', 'the media was not staged in this page');
    e.touched = Date.now();
    return new File(e.parts, m.filename || 'file', { type: m.mimetype });
  };

  const sha256B64Of = async (bytes) => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return bytesBase64(digest, 0, digest.length);
  };

  /** WhatsApp's media errors as the gateway's codes: too large (413) or anything else. */
  const uploadError = (e) => (e && e.status === 413
    ? opError('MEDIA_TOO_LARGE', 'WhatsApp refused the upload as too large')
    : opError('SEND_FAILED', 'the media upload failed: ' + String(e && e.message || e)));

  /** Steps 1-8 of wwebjs' processMediaData: prep, hash, upload; the media fields of the message. */
  async function preparedMedia(M, m) {
    const Opaque = need('WAWebMediaOpaqueData');
    const opaque = await Opaque.createFromData(stagedFile(m), m.mimetype);
    const flags = { asDocument: m.as === 'document', isPtt: m.as === 'voice', asGif: m.as === 'gif' };
    const md = await need('WAWebPrepRawMedia').prepRawMedia(opaque, flags).waitForPrep();
    if (!md.filehash) throw opError('MEDIA_UNSUPPORTED', 'WhatsApp Web could not prepare the media (media-fault)');
    const mo = need('WAWebMediaStorage').getOrCreateMediaObject(md.filehash);
    const types = need('WAWebMmsMediaTypes');
    const mediaType = types.msgToMediaType({ type: md.type, isGif: md.isGif });
    if (md.type === 'ptt') md.waveform = (mo.contentInfo && mo.contentInfo.waveform) || undefined;
    if (!(md.mediaBlob instanceof Opaque)) md.mediaBlob = await Opaque.createFromData(md.mediaBlob, md.mimetype);
    md.renderableUrl = md.mediaBlob.url();
    mo.consolidate(md.toJSON());
    md.mediaBlob.autorelease();
    cacheOwnMedia(M, types, mo, md);
    let entry;
    try {
      entry = (await need('WAWebMediaMmsV4Upload').uploadMedia({ mimetype: md.mimetype, mediaObject: mo, mediaType })).mediaEntry;
    } catch (e) { throw uploadError(e); }
    if (!entry) throw opError('SEND_FAILED', 'the media upload failed');
    md.set({
      clientUrl: entry.mmsUrl, deprecatedMms3Url: entry.deprecatedMms3Url, directPath: entry.directPath,
      mediaKey: entry.mediaKey, mediaKeyTimestamp: entry.mediaKeyTimestamp, encFilehash: entry.encFilehash,
      uploadhash: entry.uploadHash, streamingSidecar: entry.sidecar, firstFrameSidecar: entry.firstFrameSidecar,
    });
    md.set({ filehash: mo.filehash, size: mo.size, mediaHandle: null });
    return md;
  }

  // The sender renders its own media from the in-memory cache (C: added Nov 2025, both optional).
  function cacheOwnMedia(M, types, mo, md) {
    try {
      const utils = window.require('WAWebMediaDataUtils');
      const cache = window.require('WAWebMediaInMemoryBlobCache');
      if (utils.shouldUseMediaCache(types.castToV4(mo.type))) cache.InMemoryMediaBlobCache.put(mo.filehash, md.mediaBlob.formData());
    } catch (_) { /* older builds have neither module */ }
  }

  /** processStickerData: webp (an image is converted in the page), encrypted and uploaded. */
  async function stickerFields(M, m) {
    let webp = stagedFile(m);
    if (webp.type !== 'image/webp') {
      try { webp = await need('WAWebImageUtils').toWebpSticker(webp); } catch (e) {
        if (e && e.code) throw e;
        throw opError('MEDIA_UNSUPPORTED', 'the sticker is not an image WhatsApp Web can convert');
      }
    }
    const bytes = new Uint8Array(await webp.arrayBuffer());
    const key = crypto.getRandomValues(new Uint8Array(32));
    const qpl = need('WAWebStartMediaUploadQpl').startMediaUploadQpl({ entryPoint: 'MediaUpload' });
    let up;
    try {
      up = await need('WAWebUploadManager').encryptAndUpload({
        blob: webp, type: 'sticker', signal: new AbortController().signal, mediaKey: bytesBase64(key, 0, 32), uploadQpl: qpl,
      });
    } catch (e) { throw uploadError(e); }
    return {
      type: 'sticker', body: undefined, mimetype: 'image/webp', clientUrl: up.url, deprecatedMms3Url: up.url,
      directPath: up.directPath, mediaKey: up.mediaKey, mediaKeyTimestamp: up.mediaKeyTimestamp,
      encFilehash: up.encFilehash, uploadhash: up.encFilehash, size: bytes.length, filehash: await sha256B64Of(bytes),
    };
  }

  sendParts.push(async (M, chat, spec) => {
    const m = spec.media;
    if (!m) return {};
    if (m.as === 'sticker') return stickerFields(M, m);
    const md = await preparedMedia(M, m);
    const fields = Object.assign({}, md.toJSON ? md.toJSON() : {});
    delete fields.mediaBlob;
    const caption = spec.text ? spec.text : undefined;
    return Object.assign(fields, {
      type: md.type, body: md.preview, caption, isCaptionByUser: caption ? true : undefined,
      isViewOnce: Boolean(m.viewOnce), filename: md.type === 'document' ? (m.filename || md.filename) : fields.filename,
    });
  });

  // ---- downloading (§2) ----

  /** A download QPL stub: its methods answer the stub (wwebjs passes the same). */
  const downloadQpl = () => {
    const q = { addAnnotations: () => q, addPoint: () => q };
    return q;
  };

  /** The media of message `id`, decrypted, kept in the page under its SHA-256 for `media.read`. */
  async function downloadMedia(M, id) {
    const msg = await findMsg(M, id);
    if (!msg) throw opError('NOT_FOUND', 'no such message in this page');
    if (!msg.directPath) throw opError('NOT_FOUND', 'the message has no media');
    const md = msg.mediaData;
    if (!md || md.mediaStage === 'REUPLOADING') throw opError('MEDIA_EXPIRED', 'the media is not available (' + (md ? md.mediaStage : 'no mediaData') + ')');
    if (md.mediaStage !== 'RESOLVED') {
      await msg.downloadMedia({ downloadEvenIfExpensive: true, rmrReason: 1 });
      const stage = String(msg.mediaData.mediaStage);
      if (stage.includes('ERROR') || stage === 'FETCHING' || stage === 'REUPLOADING') {
        throw opError('MEDIA_EXPIRED', 'the media is not available (' + stage + ')');
      }
    }
    let buffer;
    try {
      buffer = await need('WAWebDownloadManager').downloadManager.downloadAndMaybeDecrypt({
        directPath: msg.directPath, encFilehash: msg.encFilehash, filehash: msg.filehash, mediaKey: msg.mediaKey,
        mediaKeyTimestamp: msg.mediaKeyTimestamp, type: msg.type, signal: new AbortController().signal,
        downloadQpl: downloadQpl(),
      });
    } catch (e) {
      if (e && e.status === 404) throw opError('MEDIA_EXPIRED', 'the media is gone from WhatsApp\'s servers');
      throw e;
    }
    const bytes = new Uint8Array(buffer);
    const token = 'dl-' + id;
    // Two downloads of one message at once (a request and MEDIA_AUTO_DOWNLOAD) share the copy:
    // each holds a reference, so the first release does not pull it from under the other.
    const held = STAGED.get(token);
    if (held && held.bytes) { held.refs += 1; held.touched = Date.now(); }
    else STAGED.set(token, { parts: [bytes], size: bytes.length, total: bytes.length, refs: 1, touched: Date.now(), bytes });
    return { token, size: bytes.length, mimetype: msg.mimetype, filename: msg.filename };
  }

  defineOps({
    /** `{token, total}` opens (or joins) a staging; `{token, total, offset, data}` adds a chunk. */
    'media.stage': async (M, { token, total, offset, data }) => {
      sweepStaged();
      let e = STAGED.get(token);
      if (!e) {
        e = { parts: [], size: 0, total, refs: 0, touched: Date.now() };
        STAGED.set(token, e);
      }
      e.touched = Date.now();
      if (data === undefined) {
        e.refs += 1;
        return { size: e.size };
      }
      if (offset > e.size) throw opError('CONFLICT', 'chunk at ' + offset + ' but only ' + e.size + ' staged');
      if (offset === e.size) {
        const bytes = base64Bytes(data);
        if (e.size + bytes.length > e.total) throw opError('INVALID_REQUEST', 'more bytes than announced');
        e.parts.push(bytes);
        e.size += bytes.length;
      }
      return { size: e.size };
    },
    /** Lets go of a staging; the bytes go when the last send that staged them is done. */
    'media.release': async (M, { token }) => {
      const e = STAGED.get(token);
      if (e && --e.refs <= 0) STAGED.delete(token);
      return true;
    },
    /** Downloads and decrypts a received message's media into the page (answers its token). */
    'media.download': async (M, { id }) => downloadMedia(M, id),
    /** `len` bytes from `offset` of a downloaded file, base64. */
    'media.read': async (M, { token, offset, len }) => {
      const e = STAGED.get(token);
      if (!e || !e.bytes) throw opError('NOT_FOUND', 'no such download in this page');
      e.touched = Date.now();
      return { data: bytesBase64(e.bytes, offset, Math.min(offset + len, e.bytes.length)) };
    },
  });

  /** Hex of a base64 hash (WhatsApp's `filehash` is the base64 SHA-256 of the plain bytes). */
  const b64Hex = (text) => {
    try { return Array.from(base64Bytes(text), (b) => b.toString(16).padStart(2, '0')).join(''); } catch (_) { return null; }
  };

  // Every reported message with media says what it is (the bytes come with `media.download`).
  messageFields.push(async (M, m) => {
    if (!m.directPath) return {};
    const num = (v) => (typeof v === 'number' && isFinite(v) ? v : null);
    return {
      media: {
        mimetype: m.mimetype || null, filename: m.filename || null, size: num(m.size),
        sha256: typeof m.filehash === 'string' ? b64Hex(m.filehash) : null,
        caption: typeof m.caption === 'string' ? m.caption : null, duration: num(Number(m.duration)),
        width: num(m.width || m.fullWidth), height: num(m.height || m.fullHeight),
      },
    };
  });

  // wwebjs' `media_uploaded`: an own media message's upload finished.
  whenSynced((M) => {
    M.WAWebCollections.Msg.on('change:isUnsentMedia', (m, unsent) => {
      if (unsent !== false || !m.id || !m.id.fromMe) return;
      emit('media_uploaded', { id: msgIdStr(m.id), chatId: widStr(m.id.remote) });
    });
  });
