// ---- app.js: the live models, the connection to the servers, storage, the state machine ----

const boot = JSON.parse(document.getElementById('wa-boot').textContent);

class SocketModel extends Model {
    logout() { return app.logout(); }
    reconnect() { app.resume(); }
    takeover() { app.resume(); }
    poke() { app.resume(); }
}

class ConnModel extends Model {}

class CmdImpl extends Events {
    refreshQR() { app.refreshQR(); }
    openChatAt(chat) { ui.openChat(chat); return Promise.resolve(true); }
    openChatBottom(chat) { ui.openChat(chat); return Promise.resolve(true); }
}

class StreamModel extends Model {
    markAvailable() { this.set({ available: true }); app.send({ type: 'presence', available: true }); }
    markUnavailable() { this.set({ available: false }); app.send({ type: 'presence', available: false }); }
}

class MsgModel extends Model {
    constructor(attrs, options) {
        super(normalizeMsg(attrs), options);
    }

    set(key, value, options) {
        if (key !== null && typeof key === 'object') return super.set(normalizeMsg(key), value);
        return super.set(key, value, options);
    }

    get mediaObject() { return undefined; }
    get isEphemeral() { return false; }
    get isStatusV3() { return false; }
    get hasMedia() { return Boolean(this.attributes.directPath); }
}

class ChatModel extends Model {
    constructor(attrs, options) {
        super(attrs, options);
        Object.defineProperty(this, 'msgs', { value: new Collection(MsgModel), enumerable: false });
    }
    get isGroup() { return this.id.isGroup(); }
    iAmAdmin() { return groupsPage.iAmAdmin(this); }
}

class ContactModel extends Model {
    get isGroup() { return this.id.isGroup(); }
    get isUser() { return this.id.isUser(); }
    get isMe() { return Boolean(app.me) && this.id._serialized === app.me.number + '@c.us'; }
}

class ChatCollection extends Collection {
    find(wid) { return app.findOrCreateChat(createWid(wid)).then((r) => r.chat); }
}

class ContactCollection extends Collection {
    find(wid) { return Promise.resolve(app.contactFor(createWid(wid))); }
}

/** Wire messages carry wids as strings: make them Wids and the key a MsgKey, as WhatsApp's models have. */
function normalizeMsg(attrs) {
    const out = Object.assign({}, attrs);
    if (out.id && !(out.id instanceof MsgKey)) out.id = MsgKey.from(out.id);
    for (const field of ['from', 'to', 'author']) {
        if (out[field] != null && !(out[field] instanceof Wid)) out[field] = createWid(out[field]);
        if (out[field] === null) delete out[field];
    }
    if (Array.isArray(out.recipients)) out.recipients = out.recipients.map((r) => createWid(r));
    return out;
}

const app = {
    socket: new SocketModel({ state: 'UNLAUNCHED', hasSynced: false, stream: 'DISCONNECTED' }),
    conn: new ConnModel({ ref: null, refTTL: 0, pushname: undefined, platform: undefined, connected: false }),
    cmd: new CmdImpl(),
    stream: new StreamModel({ available: false, mode: 'QR', info: undefined }),
    msgs: new Collection(MsgModel),
    chats: new ChatCollection(ChatModel),
    contacts: new ContactCollection(ContactModel),
    platform: 'WEB',
    progress: 0,
    me: null,
    pairingType: 'QR',
    bundlesLoaded: false,
    linkEvents: new Events(),
    lidToPn: new Map(),
    pnToLid: new Map(),
    ws: null,
    leaving: false,
    nextIq: 1,
    iqs: new Map(),
    outbox: [],
    sendWaiters: new Map(),
    refs: [],
    refTimer: null,
    currentQr: '',
    keysPromise: null,
    keys: null,

    /** Sends a frame; message sends wait while the socket is not `CONNECTED`. */
    send(frame) {
        const open = this.ws && this.ws.readyState === WebSocket.OPEN;
        if (frame.type === 'send' && (!open || this.socket.state !== 'CONNECTED')) this.outbox.push(frame);
        else if (open) this.ws.send(JSON.stringify(frame));
    },

    /** Asks the servers something; resolves with their answer (null after 10 s without one). */
    query(query, wid) {
        const iq = this.nextIq++;
        return new Promise((resolve) => {
            this.iqs.set(iq, resolve);
            setTimeout(() => { if (this.iqs.delete(iq)) resolve(null); }, 10000);
            this.send({ type: 'query', iq, query, wid: String(wid) });
        });
    },

    // ---- connection ----

    connect() {
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        const ws = new WebSocket(scheme + '//' + location.host + '/ws/chat');
        this.ws = ws;
        ws.onopen = () => this.onOpen();
        ws.onmessage = (event) => this.onFrame(JSON.parse(event.data));
        ws.onclose = () => this.onClose(ws);
    },

    async onOpen() {
        const creds = await storage.loadCreds();
        if (creds) {
            this.send({ type: 'hello', creds });
            return;
        }
        this.send({ type: 'hello', creds: null });
        await this.requestRefs();
    },

    onClose(ws) {
        if (this.ws !== ws || this.leaving) return;
        this.ws = null;
        clearTimeout(this.refTimer);
        if (this.socket.state === 'CONNECTED') this.socket.set({ state: 'OPENING', stream: 'DISCONNECTED' });
        ui.banner('Connecting to WhatsApp…');
        setTimeout(() => { if (!this.leaving) this.connect(); }, 1000);
    },

    onFrame(frame) {
        const handler = frameHandlers[frame.type];
        if (handler) handler(frame);
    },

    // ---- linking ----

    async qrKeys() {
        if (!this.keysPromise) this.keysPromise = storage.loadOrMakeKeys().then((k) => (this.keys = k));
        return this.keysPromise;
    },

    /** `getADVSecretKey()` answers at once (a base64 string): the prefs are read at boot. */
    advSecret() {
        return this.keys.adv;
    },

    async requestRefs() {
        const k = await this.qrKeys();
        this.send({ type: 'pair-request', keys: [k.noise, k.identity, k.adv, this.platform] });
    },

    /**
     * Shows the refs one after the other; after the last one the page goes idle.
     * `Conn.ref` is set before the state says `UNPAIRED`, so whoever reacts to the state finds a ref.
     */
    async startRefs(refs, firstTtl, ttl) {
        clearTimeout(this.refTimer);
        const keys = await this.qrKeys();
        this.refs = refs.slice();
        const showNext = (isFirst) => {
            const ref = this.refs.shift();
            if (ref === undefined) {
                this.socket.state = 'UNPAIRED_IDLE';
                this.send({ type: 'idle' });
                ui.qrIdle();
                return;
            }
            const lifetime = isFirst ? firstTtl : ttl;
            this.conn.set({ refTTL: lifetime });
            this.showRef(ref, keys);
            this.refTimer = setTimeout(() => showNext(false), lifetime);
        };
        showNext(true);
        this.socket.set({ state: 'UNPAIRED', stream: 'CONNECTED' });
    },

    showRef(ref, k) {
        const qr = [ref, k.noise, k.identity, k.adv, this.platform].join(',');
        this.currentQr = qr;
        this.conn.ref = ref;
        ui.qr(qr);
        this.send({ type: 'qr', qr });
    },

    refreshQR() {
        if (this.me || this.socket.state === 'PAIRING') return;
        ui.loading('Loading QR code…');
        this.requestRefs();
    },

    startAltLinking(phone, notify) {
        return this.query('alt-link', phone + '@c.us').then((r) => {
            if (!r || !r.code) throw new Error('startAltLinkingFlow: the servers refused ' + phone);
            // The code replaces the QR: no more refs on screen.
            this.pairingType = 'ALT_DEVICE_LINKING';
            clearTimeout(this.refTimer);
            this.refs = [];
            this.currentQr = '';
            this.send({ type: 'qr', qr: '' });
            ui.linkCode(r.code, phone, notify);
            return r.code;
        });
    },

    async paired(creds, delayMs) {
        clearTimeout(this.refTimer);
        this.refs = [];
        this.currentQr = '';
        this.conn.ref = '';
        this.send({ type: 'qr', qr: '' });
        this.socket.state = 'PAIRING';
        ui.loading('Logging in…');
        await storage.saveCreds(creds);
        setTimeout(() => {
            this.socket.state = 'CONNECTED';
            this.leaving = true;
            setTimeout(() => location.reload(), 50);
        }, delayMs);
    },

    /** Stored credentials accepted: who we are, chats, contacts, history. */
    restored(frame) {
        this.me = frame.me;
        ui.banner('');
        this.conn.set({ pushname: frame.me.pushname, platform: frame.me.platform, wid: createWid(frame.me.number + '@c.us'), connected: true });
        this.learnContacts(frame.contacts || []);
        for (const c of frame.chats || []) this.ensureChat(c);
        this.socket.set({ state: 'CONNECTED', stream: 'CONNECTED' });
        this.stream.set({ mode: 'MAIN' });
        for (const m of frame.messages || []) this.addMessage(Object.assign({}, m, { isNewMsg: false }));
        ui.loading('Loading your chats', 0);
        this.flushOutbox();
    },

    async refused() {
        await storage.clear();
        this.keysPromise = null;
        // New keys before the state says UNPAIRED, so whoever builds the QR then reads them.
        await this.qrKeys();
        this.socket.state = 'UNPAIRED';
        this.requestRefs();
    },

    synced() {
        this.progress = 100;
        this.socket.hasSynced = true;
        ui.main();
    },

    /** Logged out, here (`logout`) or from the phone (`logout_from_bridge`): wipe and start over. */
    async loggedOut(event) {
        if (this.leaving) return;
        this.leaving = true;
        this.cmd.trigger(event);
        this.socket.set({ state: 'UNPAIRED', hasSynced: false });
        ui.loading('Logging out…');
        await storage.clear();
        if (this.ws) this.ws.close();
        location.replace(location.origin + '/?post_logout=1');
    },

    logout() {
        this.send({ type: 'logout' });
        return this.loggedOut('logout');
    },

    resume() {
        if (this.me) this.send({ type: 'resume' });
    },

    forcedState(state) {
        this.socket.state = state;
        if (state === 'CONNECTED') {
            ui.banner('');
            this.flushOutbox();
        } else {
            ui.stateBanner(state);
        }
    },

    // ---- chats, contacts, messages ----

    learnContacts(list) {
        for (const c of list) {
            if (c.lid) {
                this.lidToPn.set(c.lid, c.id);
                this.pnToLid.set(c.id, c.lid);
            }
            const contact = this.contactFor(createWid(c.id));
            if (c.pushname) contact.set({ pushname: c.pushname });
            if (c.lid) contact.set({ lid: createWid(c.lid) });
        }
    },

    contactFor(wid) {
        return this.contacts.get(wid) || this.contacts.add({ id: wid, pushname: undefined, name: undefined, isMyContact: false });
    },

    phoneNumberOf(wid) {
        if (!wid.isLid()) return undefined;
        const pn = this.lidToPn.get(wid._serialized);
        return pn ? createWid(pn) : undefined;
    },

    currentLidOf(wid) {
        if (wid.isLid()) return wid;
        const lid = this.pnToLid.get(wid._serialized);
        return lid ? createWid(lid) : undefined;
    },

    ensureChat(info) {
        const wid = createWid(info.id);
        let chat = this.chats.get(wid);
        if (!chat) {
            chat = this.chats.add({ id: wid, name: info.name || undefined, formattedTitle: info.name || wid.user, t: info.t || 0, unreadCount: 0, archive: false, isReadOnly: false });
        } else if (info.name) {
            chat.set({ name: info.name, formattedTitle: info.name });
        }
        if (info.isGroup) groupsPage.apply(chat, info);
        if (info.ephemeralDuration !== undefined) {
            chat.set({ ephemeralDuration: info.ephemeralDuration, ephemeralSettingTimestamp: info.ephemeralDuration ? Math.floor(Date.now() / 1000) : 0 });
        }
        return chat;
    },

    async findOrCreateChat(wid) {
        const existing = this.chats.get(wid);
        if (existing) return { chat: existing, created: false };
        const info = await this.query('chat', wid);
        const chat = this.ensureChat(info || { id: wid._serialized, name: this.contactName(wid) });
        return { chat, created: true };
    },

    contactName(wid) {
        const c = this.contacts.get(wid);
        return c && (c.name || c.pushname) ? c.name || c.pushname : undefined;
    },

    /** A message enters memory: `Msg` `add`, and the chat's list. */
    addMessage(attrs) {
        const existing = this.msgs.get(attrs.id && keyOf(attrs.id));
        if (existing) return existing;
        const msg = this.msgs.add(attrs);
        const chat = this.chats.get(msg.id.remote) || this.ensureChat({ id: msg.id.remote._serialized });
        chat.msgs.add(msg);
        chat.set({ t: Math.max(chat.t || 0, msg.t || 0) });
        if (msg.isNewMsg && !msg.id.fromMe) chat.unreadCount = (chat.unreadCount || 0) + 1;
        ui.messageAdded(msg);
        return msg;
    },

    incoming(frame) {
        this.learnContacts(frame.contacts || []);
        if (frame.chat) this.ensureChat(frame.chat);
        this.addMessage(frame.msg);
    },

    addAndSendMsgToChat(chat, attrs) {
        let sent;
        const sendPromise = new Promise((resolve) => { sent = resolve; });
        const added = Promise.resolve().then(() => {
            const msg = this.addMessage(Object.assign({ ack: 0, isNewMsg: true, local: true }, attrs));
            this.sendWaiters.set(keyOf(msg.id), sent);
            this.send({ type: 'send', msg: wireMsg(msg) });
            return msg;
        });
        return [added, sendPromise];
    },

    flushOutbox() {
        const pending = this.outbox.splice(0);
        for (const frame of pending) this.send(frame);
    },

    acked(id, ack) {
        const msg = this.msgs.get(id);
        if (msg && (ack < 0 || ack > (msg.ack || 0))) msg.ack = ack;
        const waiter = this.sendWaiters.get(id);
        if (waiter && ack !== 0) {
            this.sendWaiters.delete(id);
            waiter({ messageSendResult: ack < 0 ? 'ERROR' : 'OK', t: msg ? msg.t : undefined });
        }
    },

    /**
     * `sendSeen({chat, threadId})`; the old `sendSeen(chat)` form throws in current builds (and the
     * drill `boot.oldSendSeen` brings back the builds where only the old form worked).
     */
    sendSeenCall(opts) {
        const isOldForm = opts instanceof ChatModel;
        if (Boolean(boot.oldSendSeen) !== isOldForm) {
            return Promise.reject(new TypeError('sendSeen: expected ' + (boot.oldSendSeen ? 'a chat' : '{chat, threadId}') + ', got ' + (isOldForm ? 'a chat' : typeof opts)));
        }
        return this.sendSeen(isOldForm ? opts : opts && opts.chat);
    },

    /** The own id a message to this chat must come from (the addressing rule). */
    senderFor(chat) {
        const meta = chat.groupMetadata;
        const lidMode = chat.id.isLid() || Boolean(meta && meta.isLidAddressingMode);
        return lidMode && this.me.lid ? createWid(this.me.lid + '@lid') : createWid(this.me.number + '@c.us');
    },

    /** What a send to this chat must merge in: nothing unless its messages disappear. */
    ephemeralFields(chat) {
        if (!chat || !chat.ephemeralDuration) return {};
        return { ephemeralDuration: chat.ephemeralDuration, ephemeralSettingTimestamp: chat.ephemeralSettingTimestamp || 0, disappearingModeInitiator: 'chat' };
    },

    async sendSeen(chat) {
        if (!chat || !chat.id) throw new Error('sendSeen: no chat');
        chat.unreadCount = 0;
        this.send({ type: 'seen', chat: chat.id._serialized });
        return true;
    },

    async queryWidExists(wid) {
        const result = await this.query('exists', wid);
        if (!result) return null;
        if (result.lid) this.learnContacts([{ id: result.wid, lid: result.lid }]);
        return { wid: createWid(result.wid), lid: result.lid ? createWid(result.lid) : undefined };
    },
};

/** The JSON a message travels as: wids as strings, the key as its parts. */
function wireMsg(msg) {
    const out = {};
    for (const [k, v] of Object.entries(msg.serialize())) {
        if (v instanceof MsgKey) out[k] = { fromMe: v.fromMe, remote: v.remote._serialized, id: v.id, participant: v.participant ? v.participant._serialized : null, _serialized: String(v) };
        else if (v instanceof Wid) out[k] = v._serialized;
        else if (v instanceof Model || typeof v === 'function') continue;
        else out[k] = v;
    }
    return out;
}

const frameHandlers = {
    'pair-device': (f) => app.startRefs(f.refs, f.firstTtlMs, f.ttlMs),
    'qr-matrix': (f) => { if (f.qr === app.currentQr) ui.paintQr(f.rows); },
    'pair-success': (f) => app.paired(f.creds, f.delayMs),
    success: (f) => app.restored(f),
    failure: () => app.refused(),
    progress: (f) => {
        app.progress = f.percent;
        app.cmd.trigger('offline_progress_update_from_bridge', f.percent);
        ui.loading('Loading your chats', f.percent);
    },
    synced: () => app.synced(),
    message: (f) => app.incoming(f),
    'chat-update': (f) => app.ensureChat(f.chat),
    'message-update': (f) => { const m = app.msgs.get(f.id); if (m) m.set(f.changes); },
    ack: (f) => app.acked(f.id, f.ack),
    'stream-error': (f) => app.forcedState(f.state),
    logout: () => app.loggedOut('logout_from_bridge'),
    'iq-result': (f) => {
        const resolve = app.iqs.get(f.iq);
        if (resolve) { app.iqs.delete(f.iq); resolve(f.result); }
    },
};

// ---- storage: credentials live in this origin's IndexedDB and Local Storage ----

const storage = {
    db: null,

    open() {
        if (this.db) return Promise.resolve(this.db);
        return new Promise((resolve, reject) => {
            const req = indexedDB.open('wawc', 1);
            req.onupgradeneeded = () => req.result.createObjectStore('user');
            req.onsuccess = () => { this.db = req.result; resolve(this.db); };
            req.onerror = () => reject(req.error);
        });
    },

    async tx(mode, fn) {
        const db = await this.open();
        return new Promise((resolve, reject) => {
            const t = db.transaction('user', mode);
            const req = fn(t.objectStore('user'));
            t.oncomplete = () => resolve(req ? req.result : undefined);
            t.onerror = () => reject(t.error);
        });
    },

    get(key) { return this.tx('readonly', (s) => s.get(key)); },
    put(key, value) { return this.tx('readwrite', (s) => s.put(value, key)); },

    /** Stored credentials, if both stores hold a consistent set. */
    async loadCreds() {
        const me = await this.get('me');
        const noise = JSON.parse(localStorage.getItem('WANoiseInfo') || 'null');
        const lastWid = JSON.parse(localStorage.getItem('last-wid-md') || 'null');
        if (!me || !noise || lastWid !== me.number + ':' + me.deviceId + '@c.us') return null;
        return { number: me.number, deviceId: me.deviceId, secret: me.secret, noiseKey: noise.pubKey };
    },

    async saveCreds(creds) {
        await this.put('me', { number: creds.number, deviceId: creds.deviceId, secret: creds.secret, lid: creds.lid, pushname: creds.pushname, platform: creds.platform });
        localStorage.setItem('last-wid-md', JSON.stringify(creds.number + ':' + creds.deviceId + '@c.us'));
        localStorage.setItem('WAWebLastPushname', JSON.stringify(creds.pushname));
    },

    /** The keys a QR carries; made once per unlinked browser and kept across reloads. */
    async loadOrMakeKeys() {
        let noise = JSON.parse(localStorage.getItem('WANoiseInfo') || 'null');
        if (!noise) {
            noise = { pubKey: b64.encode(randomBytes(32)), privKey: b64.encode(randomBytes(32)) };
            localStorage.setItem('WANoiseInfo', JSON.stringify(noise));
        }
        let reg = await this.get('reg-info');
        if (!reg) {
            reg = { identity: b64.encode(randomBytes(33)), adv: b64.encode(randomBytes(32)), registrationId: 1 + Math.floor(Math.random() * 16380) };
            await this.put('reg-info', reg);
        }
        return { noise: noise.pubKey, identity: reg.identity, adv: reg.adv, registrationId: reg.registrationId };
    },

    async clear() {
        localStorage.clear();
        await this.tx('readwrite', (s) => s.clear());
    },
};

function randomBytes(n) {
    return crypto.getRandomValues(new Uint8Array(n));
}

// ---- boot: the bundles "load", then the modules exist, then Debug.VERSION ----

// Acks, bodies and chat changes re-render the open screen.
app.msgs.on('change:ack change:type change:body', () => ui.schedule());
app.chats.on('change:unreadCount change:name', () => ui.schedule());

MsgKey.withoutSerialized = Boolean(boot.noKeySerialized);
const registry = new Map();
const ownModules = new Map();
// The lazily loaded bundles arrive once the account is CONNECTED, and stay for this load.
app.socket.on('change:state', (_s, state) => { if (state === 'CONNECTED') app.bundlesLoaded = true; });
window.require = makeRequire(registry, () => app.bundlesLoaded === true);
ui.loading('');
window.addEventListener('load', () => {
    setTimeout(async () => {
        // The prefs (QR keys, ADV secret) are in memory before any module is.
        await app.qrKeys();
        const played = withGroupCollections(Object.assign(
          moduleFactories(app), groupModuleFactories(), richModuleFactories(), mediaFactories(app)));
        installModules(registry, ownModules, Object.assign(inertFactories(played), played), boot);
        window.Debug = Object.assign(window.Debug || {}, { VERSION: boot.version });
        app.socket.set({ state: 'OPENING', stream: 'CONNECTING' });
        app.connect();
    }, boot.bundleMs);
});
