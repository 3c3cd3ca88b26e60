// ---- media.js: the media modules (WA_WEB_FEATURES.md §1-2) and the Msg model's media side ----
// The page encrypts and uploads to the upload server, and downloads and decrypts from the CDN,
// itself, as WhatsApp Web does: the servers only ever hold encrypted blobs.

/** The HKDF info string of a media type (the 32-byte media key expands to 112 bytes). */
const mediaInfo = (type) => ({
    image: 'WhatsApp Image Keys', sticker: 'WhatsApp Image Keys',
    video: 'WhatsApp Video Keys', gif: 'WhatsApp Video Keys',
    audio: 'WhatsApp Audio Keys', ptt: 'WhatsApp Audio Keys',
}[type] || 'WhatsApp Document Keys');

const MEDIA_MAC_LEN = 10;

const sha256B64 = async (bytes) => b64.encode(await crypto.subtle.digest('SHA-256', bytes));
const urlSafe = (text) => text.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** iv (16), cipher key (32) and mac key (32) of a media key for a type. */
async function expandMediaKey(mediaKey, type) {
    const base = await crypto.subtle.importKey('raw', mediaKey, 'HKDF', false, ['deriveBits']);
    const info = new TextEncoder().encode(mediaInfo(type));
    const bits = new Uint8Array(await crypto.subtle.deriveBits(
        { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, base, 112 * 8));
    return { iv: bits.slice(0, 16), cipher: bits.slice(16, 48), mac: bits.slice(48, 80) };
}

async function mediaMac(keys, ciphertext) {
    const key = await crypto.subtle.importKey('raw', keys.mac, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const signed = new Uint8Array(keys.iv.length + ciphertext.length);
    signed.set(keys.iv);
    signed.set(ciphertext, keys.iv.length);
    return new Uint8Array(await crypto.subtle.sign('HMAC', key, signed)).slice(0, MEDIA_MAC_LEN);
}

/** AES-256-CBC ciphertext followed by the first 10 bytes of its HMAC-SHA256. */
async function encryptMedia(plain, mediaKey, type) {
    const keys = await expandMediaKey(mediaKey, type);
    const aes = await crypto.subtle.importKey('raw', keys.cipher, 'AES-CBC', false, ['encrypt']);
    const enc = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: keys.iv }, aes, plain));
    const mac = await mediaMac(keys, enc);
    const blob = new Uint8Array(enc.length + MEDIA_MAC_LEN);
    blob.set(enc);
    blob.set(mac, enc.length);
    return blob;
}

async function decryptMedia(blob, mediaKey, type) {
    const keys = await expandMediaKey(mediaKey, type);
    const enc = blob.subarray(0, blob.length - MEDIA_MAC_LEN);
    const mac = await mediaMac(keys, enc);
    const given = blob.subarray(blob.length - MEDIA_MAC_LEN);
    if (mac.some((b, i) => b !== given[i])) throw new Error('media MAC mismatch');
    const aes = await crypto.subtle.importKey('raw', keys.cipher, 'AES-CBC', false, ['decrypt']);
    return crypto.subtle.decrypt({ name: 'AES-CBC', iv: keys.iv }, aes, enc);
}

/** A media key given as bytes or base64 (wwebjs passes a string for stickers). */
const mediaKeyBytes = (key) => (key instanceof Uint8Array ? key : new Uint8Array(b64.decode(String(key))));

/** An error as the media servers answer it: `status` is the HTTP status. */
const mediaHttpError = (what, status) => Object.assign(new Error(what + ' failed: HTTP ' + status), { status });

/** Uploads a blob to the upload server: `{url, direct_path}`. */
async function uploadBlob(blob, type, signal) {
    const encFilehash = await sha256B64(blob);
    const token = encodeURIComponent(urlSafe(encFilehash));
    const res = await fetch('/mms/' + type + '/' + token + '?auth=' + randomHex(16) + '&token=' + token,
        { method: 'POST', body: blob, signal });
    if (!res.ok) throw mediaHttpError('upload', res.status);
    return Object.assign(await res.json(), { encFilehash });
}

const randomHex = (n) => Array.from(randomBytes(n), (b) => b.toString(16).padStart(2, '0')).join('');

/** `WAWebMediaOpaqueData`: wraps a File or Blob; callers test `instanceof`. */
class OpaqueData {
    constructor(blob) {
        this._blob = blob;
        this._url = null;
    }

    static async createFromData(fileOrBlob, mimetype) {
        if (!(fileOrBlob instanceof Blob)) throw new TypeError('createFromData: expected a File or Blob');
        const typed = fileOrBlob.type === mimetype ? fileOrBlob
            : new File([fileOrBlob], fileOrBlob.name || 'blob', { type: mimetype });
        return new OpaqueData(typed);
    }

    url() {
        if (!this._url) this._url = URL.createObjectURL(this._blob);
        return this._url;
    }

    formData() {
        const form = new FormData();
        form.append('file', this._blob);
        return form;
    }

    autorelease() {
        if (this._url) URL.revokeObjectURL(this._url);
        this._url = null;
    }

    /** In a message's JSON the wrapper is left out (a Blob does not travel). */
    toJSON() { return undefined; }

    blob() { return this._blob; }
    size() { return this._blob.size; }
    type() { return this._blob.type; }
}

class MediaDataModel extends Model {
    toJSON() {
        return this.serialize();
    }
}

/** The type prep gives (WA_WEB_FEATURES.md §1 step 2: from the mimetype, then the flags). */
function prepType(mimetype, flags) {
    if (flags.asSticker) return 'sticker';
    if (flags.asDocument) return 'document';
    const major = String(mimetype || '').split('/')[0];
    if (major === 'image') return 'image';
    if (major === 'video') return 'video';
    if (major === 'audio') return flags.isPtt ? 'ptt' : 'audio';
    return 'document';
}

/** Width and height of an image, if the browser can decode it. */
async function imageSize(blob) {
    try {
        const bitmap = await createImageBitmap(blob);
        const size = { fullWidth: bitmap.width, fullHeight: bitmap.height, aspectRatio: bitmap.width / bitmap.height };
        bitmap.close();
        return size;
    } catch (_) {
        return null;
    }
}

/** `prepRawMedia(opaque, flags).waitForPrep()`: a MediaData model with type, hash and size. */
async function prepMedia(opaque, flags) {
    if (!(opaque instanceof OpaqueData)) throw new TypeError('prepRawMedia: expected a WAWebMediaOpaqueData');
    const blob = opaque.blob();
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const type = prepType(blob.type, flags || {});
    const attrs = {
        type, mimetype: blob.type, size: bytes.length, mediaBlob: opaque,
        filehash: bytes.length ? await sha256B64(bytes) : '',
        isGif: Boolean(flags && flags.asGif && type === 'video'),
        filename: blob.name && blob.name !== 'blob' ? blob.name : undefined,
        mediaStage: 'PREPARING',
    };
    if (type === 'image' || type === 'sticker') Object.assign(attrs, await imageSize(blob));
    attrs.mediaStage = 'RESOLVED';
    return new MediaDataModel(attrs);
}

const mediaObjects = new Map();

/** `WAWebMediaStorage.getOrCreateMediaObject(filehash)`: the local media record. */
function mediaObjectFor(filehash) {
    let mo = mediaObjects.get(filehash);
    if (!mo) {
        mo = new Model({ filehash, type: undefined, size: undefined, contentInfo: { waveform: undefined } });
        mo.consolidate = (json) => { mo.set(Object.assign({}, json, { contentInfo: mo.contentInfo })); };
        mediaObjects.set(filehash, mo);
    }
    return mo;
}

/** `WAWebMediaMmsV4Upload.uploadMedia`: encrypts the media object's blob and uploads it. */
async function uploadMedia({ mimetype, mediaObject, mediaType }) {
    const blob = mediaObject && mediaObject.mediaBlob;
    if (!(blob instanceof OpaqueData)) throw new Error('uploadMedia: the media object has no blob');
    if (!mimetype) throw new Error('uploadMedia: no mimetype');
    const mediaKey = randomBytes(32);
    const plain = new Uint8Array(await blob.blob().arrayBuffer());
    const encrypted = await encryptMedia(plain, mediaKey, mediaType);
    const up = await uploadBlob(encrypted, mediaType);
    return {
        mediaEntry: {
            mmsUrl: up.url, deprecatedMms3Url: up.url, directPath: up.direct_path,
            mediaKey: b64.encode(mediaKey), mediaKeyTimestamp: Math.floor(Date.now() / 1000),
            encFilehash: up.encFilehash, uploadHash: up.encFilehash,
            sidecar: undefined, firstFrameSidecar: undefined,
        },
    };
}

/** `WAWebUploadManager.encryptAndUpload` (stickers): needs the upload QPL since Jan 2026. */
async function encryptAndUpload({ blob, type, signal, mediaKey, uploadQpl }) {
    if (!uploadQpl || typeof uploadQpl.addPoint !== 'function') {
        throw new TypeError("encryptAndUpload: Cannot read properties of undefined (reading 'addPoint')");
    }
    if (!(blob instanceof Blob)) throw new TypeError('encryptAndUpload: expected a Blob');
    const key = mediaKeyBytes(mediaKey);
    const encrypted = await encryptMedia(new Uint8Array(await blob.arrayBuffer()), key, type);
    uploadQpl.addPoint('encrypted');
    const up = await uploadBlob(encrypted, type, signal);
    return {
        url: up.url, encFilehash: up.encFilehash, directPath: up.direct_path,
        mediaKey: b64.encode(key), mediaKeyTimestamp: Math.floor(Date.now() / 1000),
    };
}

/** A perf-logging object, as `startMediaUploadQpl` gives. */
const qplStub = () => {
    const qpl = { addAnnotations: () => qpl, addPoint: () => qpl, end: () => qpl, fail: () => qpl };
    return qpl;
};

/** `WAWebImageUtils.toWebpSticker(file)`: a 512×512 webp, the image centred and scaled to fit. */
async function toWebpSticker(file) {
    const bitmap = await createImageBitmap(file).catch(() => {
        throw new Error('toWebpSticker: not an image');
    });
    const canvas = new OffscreenCanvas(512, 512);
    const scale = Math.min(512 / bitmap.width, 512 / bitmap.height);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    canvas.getContext('2d').drawImage(bitmap, (512 - w) / 2, (512 - h) / 2, w, h);
    bitmap.close();
    return canvas.convertToBlob({ type: 'image/webp' });
}

/** `downloadManager.downloadAndMaybeDecrypt`: the plain bytes, from the CDN; 404 errors carry it. */
async function downloadAndMaybeDecrypt(opts) {
    const { directPath, encFilehash, filehash, mediaKey, type, signal, downloadQpl } = opts || {};
    if (!downloadQpl || typeof downloadQpl.addPoint !== 'function') {
        throw new TypeError("downloadAndMaybeDecrypt: Cannot read properties of undefined (reading 'addPoint')");
    }
    if (!directPath || !mediaKey) throw new Error('downloadAndMaybeDecrypt: no directPath or mediaKey');
    const res = await fetch(directPath, { signal });
    if (!res.ok) throw mediaHttpError('download', res.status);
    const blob = new Uint8Array(await res.arrayBuffer());
    downloadQpl.addPoint('downloaded');
    if (encFilehash && await sha256B64(blob) !== encFilehash) throw new Error('downloadAndMaybeDecrypt: encFilehash mismatch');
    const plain = await decryptMedia(blob, mediaKeyBytes(mediaKey), type);
    if (filehash && await sha256B64(plain) !== filehash) throw new Error('downloadAndMaybeDecrypt: filehash mismatch');
    return plain;
}

/** The media modules the page plays (the rest of the media names stay inert). */
const mediaFactories = () => ({
    WAWebMediaOpaqueData: () => OpaqueData,
    WAWebPrepRawMedia: () => ({
        prepRawMedia: (opaque, flags) => {
            const prep = prepMedia(opaque, flags);
            prep.catch(() => {});
            return { waitForPrep: () => prep };
        },
    }),
    WAWebMediaStorage: () => ({ getOrCreateMediaObject: (filehash) => mediaObjectFor(filehash) }),
    WAWebMmsMediaTypes: () => ({
        msgToMediaType: ({ type, isGif }) => (type === 'video' && isGif ? 'gif' : type),
        castToV4: (type) => type,
    }),
    WAWebMediaDataUtils: () => ({ shouldUseMediaCache: (type) => type === 'image' || type === 'sticker' }),
    WAWebMediaInMemoryBlobCache: () => ({ InMemoryMediaBlobCache: { put: (filehash, form) => { blobCache.set(filehash, form); } } }),
    WAWebMediaMmsV4Upload: () => ({
        uploadMedia,
        uploadUnencryptedMedia: notImitated('WAWebMediaMmsV4Upload', 'uploadUnencryptedMedia'),
    }),
    WAWebUploadManager: () => ({ encryptAndUpload }),
    WAWebStartMediaUploadQpl: () => ({ startMediaUploadQpl: () => qplStub() }),
    WAWebImageUtils: () => ({ toWebpSticker }),
    WAWebDownloadManager: () => ({ downloadManager: { downloadAndMaybeDecrypt } }),
});

// The sender renders its own media from this cache; it only grows for the page's lifetime.
const blobCache = new Map();

// ---- the Msg model's media side ----

/** `msg.mediaData`: a model whose `mediaStage` says whether the media can be read now. */
Object.defineProperty(MsgModel.prototype, 'mediaData', {
    get() {
        if (!this.attributes.directPath) return undefined;
        if (!this._mediaData) {
            Object.defineProperty(this, '_mediaData', { value: new Model({ mediaStage: 'RESOLVED' }), enumerable: false });
        }
        return this._mediaData;
    },
    configurable: true,
});

/**
 * `msg.downloadMedia(opts)`: resolves the media. A blob gone from the CDN turns the stage to
 * `REUPLOADING` (WhatsApp asks the sender's phone to upload it again); other failures to `ERROR_…`.
 */
MsgModel.prototype.downloadMedia = async function downloadMedia() {
    const md = this.mediaData;
    if (!md || md.mediaStage === 'RESOLVED' || md.mediaStage === 'REUPLOADING') return;
    md.mediaStage = 'FETCHING';
    const res = await fetch(this.directPath, { method: 'HEAD' }).catch(() => null);
    if (res && res.ok) md.mediaStage = 'RESOLVED';
    else md.mediaStage = res && res.status === 404 ? 'REUPLOADING' : 'ERROR_MISSING';
};

// A live media message may arrive with a stage drill (`mediaStage` on the frame).
const onMessageFrame = frameHandlers.message;
frameHandlers.message = (frame) => {
    onMessageFrame(frame);
    const msg = frame.mediaStage && app.msgs.get(keyOf(frame.msg.id));
    if (msg && msg.mediaData) msg.mediaData.mediaStage = frame.mediaStage;
};

// An own media message is unsent until the servers take it (ack 1): `change:isUnsentMedia` then.
app.msgs.on('add', (msg) => {
    if (!msg.id.fromMe || !msg.local || !msg.directPath) return;
    msg.set({ isUnsentMedia: true }, { silent: true });
    const sent = (_m, ack) => {
        if (ack < 1) return;
        msg.off('change:ack', sent);
        msg.isUnsentMedia = false;
    };
    msg.on('change:ack', sent);
});
