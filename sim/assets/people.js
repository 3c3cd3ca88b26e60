// ---- people.js: contacts, profiles, blocks, chat settings, history loading, calls ----
// Runs after app.js (same scope): it extends the live models and gives the modules of
// WA_WEB_FEATURES.md §5 and §8 (calls) their behaviour. The page's own calls go through the
// modules at call time, as everywhere else.

/** Asks the servers something beyond messages; resolves with their answer (null after 10 s). */
app.act = function act(name, args) {
    const iq = this.nextIq++;
    return new Promise((resolve) => {
        this.iqs.set(iq, resolve);
        setTimeout(() => { if (this.iqs.delete(iq)) resolve(null); }, 10000);
        this.send({ type: 'act', iq, act: name, args: args || {} });
    });
};

/** An error the way the servers' refusals surface in WhatsApp Web. */
const serverStatusError = (status, what) => Object.assign(
    new Error(what + ' failed with status ' + status), { name: 'ServerStatusCodeError', status, statusCode: status });

const needStatus = (r, what) => {
    if (!r) throw new Error(what + ': no answer from the servers');
    if (r.status !== 200) throw serverStatusError(r.status, what);
    return r;
};

app.blocklist = new Collection(Model);

class BusinessProfileCollection extends Collection {
    async find(wid) {
        const id = createWid(wid);
        const r = needStatus(await app.act('business', { wid: id._serialized }), 'business profile');
        return this.add({ id, description: r.description, verifiedName: r.verifiedName });
    }
}
app.businessProfiles = new BusinessProfileCollection(Model);

class ProfilePicThumbModel extends Model {
    canSet() { return Boolean(app.me) && this.id._serialized === app.me.number + '@c.us'; }
    canDelete() { return this.canSet() && Boolean(this.eurl); }
}

class ProfilePicThumbCollection extends Collection {
    find(id) {
        const wid = createWid(id);
        return pageCall(ownModules, 'WAWebContactProfilePicThumbBridge', 'requestProfilePicFromServer', { id: wid })
            .catch((e) => { if (e && e.name === 'ServerStatusCodeError') return {}; throw e; })
            .then((r) => this.add({ id: wid, eurl: r.eurl, tag: r.tag, img: r.eurl, imgFull: r.eurl }));
    }
}
app.profilePicThumbs = new ProfilePicThumbCollection(ProfilePicThumbModel);

// ---- contacts ----

const baseLearnContacts = app.learnContacts;
/** Contacts also carry address-book names, business flags and whether WhatsApp knows them. */
app.learnContacts = function learnContacts(list) {
    baseLearnContacts.call(this, list);
    for (const c of list) {
        if (!c.id || !('isMyContact' in c)) continue;
        const contact = this.contactFor(createWid(c.id));
        const name = c.name || undefined;
        contact.set({
            name, shortName: name ? name.split(/\s+/)[0] : undefined,
            isMyContact: Boolean(c.isMyContact), isBusiness: Boolean(c.isBusiness), isEnterprise: false,
            verifiedName: c.verifiedName || undefined, verifiedLevel: c.isBusiness ? (c.verifiedName ? 2 : 0) : undefined,
            isWAContact: c.isWAContact !== false, statusMute: false,
            isContactBlocked: this.blocklist.has(c.lid) || this.blocklist.has(c.id),
        });
    }
};

const baseRestored = app.restored;
app.restored = function restored(frame) {
    this.blocklist.reset();
    this.blocklist.add((frame.blocked || []).map((id) => ({ id: createWid(id) })));
    baseRestored.call(this, frame);
    this.learnContacts(frame.people || []);
};

const baseEnsureChat = app.ensureChat;
/** Chats carry their archive, pin and mute settings and how much history the phone still holds. */
app.ensureChat = function ensureChat(info) {
    const chat = baseEnsureChat.call(this, info);
    const attrs = {};
    if ('archive' in info) attrs.archive = Boolean(info.archive);
    if ('pin' in info) attrs.pin = info.pin ? Math.floor(Date.now() / 1000) : 0;
    if ('endOfHistoryTransferType' in info) attrs.endOfHistoryTransferType = info.endOfHistoryTransferType;
    if (chat.archive === undefined && attrs.archive === undefined) attrs.archive = false;
    if (info.t && !chat.t) attrs.t = info.t;
    chat.set(attrs);
    if ('muteExpiration' in info) chat.mute.set({ expiration: info.muteExpiration });
    return chat;
};

const contactGetters = {
    getIsMe: (c) => c.isMe,
    getIsUser: (c) => c.id.isUser(),
    getIsGroup: (c) => c.id.isGroup(),
    getIsWAContact: (c) => c.isWAContact !== false,
    getUserid: (c) => c.id.user,
    getVerifiedName: (c) => c.verifiedName,
    getVerifiedLevel: (c) => c.verifiedLevel,
    getStatusMute: (c) => Boolean(c.statusMute),
    getName: (c) => c.name,
    getShortName: (c) => c.shortName,
    getPushname: (c) => c.pushname,
    getIsEnterprise: (c) => Boolean(c.isEnterprise),
};

/** The other id of a user: phone number <-> lid, when known. */
const alternateWid = (wid) => {
    const w = createWid(wid);
    return w.isLid() ? app.phoneNumberOf(w) : app.currentLidOf(w);
};

async function blockContact(opts) {
    const id = opts && opts.contact && opts.contact.id;
    if (!id || !createWid(id).isLid()) {
        throw new TypeError('blockContact: expected {contact: {id: <@lid wid>}, blockEntryPoint}');
    }
    return setBlocked(createWid(id), true);
}

async function unblockContact(contact, entryPoint) {
    if (!contact || !contact.id || !createWid(contact.id).isLid() || typeof entryPoint !== 'string') {
        throw new TypeError('unblockContact: expected (<@lid contact>, entryPoint)');
    }
    return setBlocked(createWid(contact.id), false);
}

async function setBlocked(lid, block) {
    needStatus(await app.act('block', { wid: lid._serialized, block }), block ? 'block' : 'unblock');
    if (block) app.blocklist.add({ id: lid });
    else app.blocklist.remove(lid);
    const pn = app.phoneNumberOf(lid);
    for (const c of [app.contacts.get(lid), pn && app.contacts.get(pn)]) {
        if (c) c.isContactBlocked = block;
    }
}

// ---- profile ----

/** `requestProfilePicFromServer` takes an object with `.id` since March 2026 (a bare Wid throws). */
async function requestProfilePicFromServer(chatLike) {
    if (!chatLike || chatLike instanceof Wid || !chatLike.id) {
        throw new TypeError('requestProfilePicFromServer: expected an object with .id');
    }
    const wid = createWid(chatLike.id);
    const r = needStatus(await app.act('picture', { wid: wid._serialized }), 'profile picture');
    return { eurl: location.origin + r.path, tag: r.tag, status: 200, id: wid };
}

const isMe = (wid) => Boolean(app.me) && createWid(wid)._serialized === app.me.number + '@c.us';

async function sendSetPicture(wid, thumb, picture) {
    if (!isMe(wid)) throw serverStatusError(401, 'set picture');
    if (typeof thumb !== 'string' || typeof picture !== 'string' || !picture.startsWith('data:image/')) {
        throw new TypeError('sendSetPicture: expected (wid, thumbDataUrl, pictureDataUrl)');
    }
    needStatus(await app.act('set-picture', { picture }), 'set picture');
    app.profilePicThumbs.remove(createWid(wid));
    return { status: 200, eurl: undefined, tag: String(Date.now()) };
}

async function requestDeletePicture(wid) {
    if (!isMe(wid)) throw serverStatusError(401, 'delete picture');
    needStatus(await app.act('set-picture', { picture: null }), 'delete picture');
    app.profilePicThumbs.remove(createWid(wid));
    return { status: 200 };
}

/** `getStatus({token, wid})` since October 2025 (a bare Wid throws). */
async function getStatus(opts) {
    if (!opts || opts instanceof Wid || !opts.wid) throw new TypeError('getStatus: expected {token, wid}');
    const r = await app.act('status', { wid: createWid(opts.wid)._serialized });
    if (!r) throw new Error('getStatus: no answer from the servers');
    return { status: r.status === 200 ? r.about : undefined, id: createWid(opts.wid) };
}

async function setMyStatus(text) {
    if (typeof text !== 'string' || text.length > 139) throw new TypeError('setMyStatus: a text of at most 139 characters');
    needStatus(await app.act('set-status', { text }), 'set about');
    return true;
}

async function setPushname(name) {
    needStatus(await app.act('set-pushname', { name: String(name) }), 'set push name');
    app.conn.pushname = String(name);
    return true;
}

ConnModel.prototype.canSetMyPushname = function canSetMyPushname() { return true; };

// ---- chats: archive, pin, mute ----

/** WhatsApp lets a user pin three chats. */
const MAX_PINS = 3;

async function saveFlags(chat, flags) {
    needStatus(await app.act('chat-flags', Object.assign({ chat: chat.id._serialized }, flags)), 'chat settings');
}

CmdImpl.prototype.archiveChat = async function archiveChat(chat, archive) {
    await saveFlags(chat, { archive: Boolean(archive) });
    chat.archive = Boolean(archive);
    if (archive && chat.pin) { chat.pin = 0; await saveFlags(chat, { pin: false }); }
    return true;
};

CmdImpl.prototype.pinChat = async function pinChat(chat, pin) {
    if (pin && !chat.pin && app.chats.filter((c) => c.pin).length >= MAX_PINS) {
        throw Object.assign(new Error('You can only pin up to 3 chats'), { name: 'PinLimitError' });
    }
    await saveFlags(chat, { pin: Boolean(pin) });
    chat.pin = pin ? Math.floor(Date.now() / 1000) : 0;
    return true;
};

class MuteModel extends Model {
    get isMuted() { return this.expiration !== 0 && this.expiration !== undefined; }
    async mute(opts) {
        const expiration = Number(opts && opts.expiration);
        if (!Number.isFinite(expiration)) throw new TypeError('mute: expected {expiration}');
        await saveFlags(this.chat, { muteExpiration: expiration });
        this.expiration = expiration;
    }
    async unmute() {
        await saveFlags(this.chat, { muteExpiration: 0 });
        this.expiration = 0;
    }
}

Object.defineProperty(ChatModel.prototype, 'mute', {
    get() {
        if (!this._mute) {
            Object.defineProperty(this, '_mute', { value: new MuteModel({ expiration: 0 }), enumerable: false });
            this._mute.chat = this;
        }
        return this._mute;
    },
});

// ---- history ----

/** The current form takes options (`{chat, msgCollection?, signal?, threadId?, trigger?}`). */
async function loadEarlierMsgs(opts) {
    if (!opts || opts instanceof ChatModel || !(opts.chat instanceof ChatModel)) {
        throw new TypeError('loadEarlierMsgs: expected {chat, msgCollection, ...}');
    }
    const chat = opts.chat;
    const times = chat.msgs.getModelsArray().map((m) => m.t).filter((t) => typeof t === 'number');
    const beforeT = times.length ? Math.min(...times) : null;
    const r = await app.act('history', { chat: chat.id._serialized, before_t: beforeT });
    if (!r) throw new Error('loadEarlierMsgs: no answer from the servers');
    chat.endOfHistoryTransferType = r.endOfHistoryTransferType;
    if (!r.msgs.length) return [];
    return r.msgs.map((m) => app.addMessage(Object.assign({}, m, { isNewMsg: false })));
}

/** Type 3 asks the phone for more history of `chatId`; it arrives later (`history-sync`). */
async function sendPeerDataOperationRequest(type, opts) {
    if (type !== 3) return Promise.reject(new Error('sendPeerDataOperationRequest: type ' + type + ' is not imitated by wa-sim'));
    const chatId = opts && opts.chatId && createWid(opts.chatId);
    if (!chatId) throw new TypeError('sendPeerDataOperationRequest: expected {chatId}');
    needStatus(await app.act('peer-data', { chat: chatId._serialized }), 'history request');
    return { stanzaId: hex(16) };
}

// ---- calls and stanzas ----

/** wwebjs hooks `set` on the first own Map property of the collection; the page calls it by property. */
const callCollection = { _calls: new Map() };

const callMap = () => {
    const holder = pageModule(ownModules, 'WAWebCallCollection').WAWebCallCollection;
    return Object.values(holder).find((v) => v instanceof Map);
};

const wapNode = (tag, attrs, content) => ({ tag, attrs: attrs || {}, content: content === undefined ? null : content });

/** Stanzas travel as JSON: wids become strings. */
const wireNode = (node) => ({
    tag: String(node.tag),
    attrs: Object.fromEntries(Object.entries(node.attrs || {}).map(([k, v]) => [k, v == null ? v : String(v)])),
    content: Array.isArray(node.content) ? node.content.map(wireNode) : node.content,
});

async function deprecatedCastStanza(node) {
    if (!node || typeof node.tag !== 'string') throw new TypeError('deprecatedCastStanza: expected a WAWap node');
    needStatus(await app.act('stanza', { node: wireNode(node) }), 'stanza');
}

Object.assign(frameHandlers, {
    people: (f) => app.learnContacts(f.contacts || []),
    'history-sync': (f) => app.ensureChat(f.chat),
    'chat-flags': (f) => app.ensureChat(f.chat),
    'chat-delete': (f) => { const c = app.chats.get(f.id); if (c) app.chats.remove(c); },
    call: (f) => {
        const c = f.call;
        const model = new Model({
            id: c.id, peerJid: createWid(c.peerJid), offerTime: c.offerTime, isVideo: c.isVideo,
            isGroup: c.isGroup, outgoing: false, canHandleLocally: false, webClientShouldHandle: false,
            participants: [],
        });
        callMap().set(c.id, model);
    },
    'call-ended': (f) => callMap().delete(f.id),
});

/** The modules this file plays (merged over the inert ones by modules.js). */
const peopleFactories = () => ({
    WAWebChatLoadMessages: () => ({ loadEarlierMsgs }),
    WAWebSendNonMessageDataRequest: () => ({ sendPeerDataOperationRequest }),
    WAWebContactGetters: () => Object.assign({}, contactGetters),
    WAWebFrontendContactGetters: () => ({ getIsMyContact: (c) => Boolean(c.isMyContact) }),
    WAWebContactProfilePicThumbBridge: () => ({ requestProfilePicFromServer, sendSetPicture, requestDeletePicture }),
    WAWebContactStatusBridge: () => ({ getStatus, setMyStatus }),
    WAWebBlockContactAction: () => ({ blockContact, unblockContact }),
    WAWebLidMigrationUtils: () => ({ toPn: (wid) => (createWid(wid).isLid() ? app.phoneNumberOf(createWid(wid)) || null : createWid(wid)) }),
    WAWebSetPushnameConnAction: () => ({ setPushname }),
    WAWap: () => ({ wap: wapNode, generateId: () => hex(16) }),
    WADeprecatedSendIq: () => ({ deprecatedCastStanza, deprecatedSendIq: notImitated('WADeprecatedSendIq', 'deprecatedSendIq') }),
    WAWebCallCollection: () => ({ WAWebCallCollection: callCollection }),
});

const baseAddMessage = app.addMessage;
/** A chat remembers the key of its newest message (`lastReceivedKey`). */
app.addMessage = function addMessage(attrs) {
    const msg = baseAddMessage.call(this, attrs);
    const chat = this.chats.get(msg.id.remote);
    const last = chat && chat.lastReceivedKey && this.msgs.get(chat.lastReceivedKey);
    if (chat && (!last || (msg.t || 0) >= (last.t || 0))) chat.lastReceivedKey = msg.id;
    return msg;
};
