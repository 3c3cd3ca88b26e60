// ---- modules.js: the module system (`window.require`) and every module of the surface ----

const b64 = {
    encode(buffer) {
        const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
        let text = '';
        for (const b of bytes) text += String.fromCharCode(b);
        return btoa(text);
    },
    decode(text) {
        const raw = atob(text);
        const bytes = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        return bytes.buffer;
    },
};

/** The factories of every module, by its real name; each runs once, on first `require`. */
const moduleFactories = (app) => ({
    WAWebSocketModel: () => ({ Socket: app.socket, SocketModel: app.socket.constructor }),
    WAWebConnModel: () => ({ Conn: app.conn, ConnModel: app.conn.constructor }),
    WAWebCmd: () => ({ Cmd: app.cmd, CmdImpl: app.cmd.constructor }),
    WAWebOfflineHandler: () => ({
        OfflineMessageHandler: {
            getOfflineDeliveryProgress: () => app.progress,
            isResumeFromRestartComplete: () => app.socket.hasSynced === true,
        },
    }),
    WABase64: () => ({
        encodeB64: (buffer) => b64.encode(buffer),
        decodeB64: (text) => b64.decode(text),
        encodeB64UrlSafe: (buffer) => b64.encode(buffer).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''),
    }),
    WAWebSignalStoreApi: () => ({
        waSignalStore: {
            getRegistrationInfo: async () => {
                const keys = await app.qrKeys();
                return { registrationId: keys.registrationId, identityKeyPair: { pubKey: b64.decode(keys.identity) } };
            },
        },
    }),
    WAWebUserPrefsInfoStore: () => ({
        waNoiseInfo: {
            get: async () => {
                const keys = await app.qrKeys();
                return { staticKeyPair: { pubKey: b64.decode(keys.noise) } };
            },
        },
    }),
    WAWebAdvSignatureApi: () => ({
        getADVSecretKey: () => app.advSecret(),
    }),
    WAWebCompanionRegClientUtils: () => ({ DEVICE_PLATFORM: app.platform }),
    WAWebAltDeviceLinkingApi: () => ({
        setPairingType: (type) => { app.pairingType = type; },
        initializeAltDeviceLinking: async () => { app.pairingType = 'ALT_DEVICE_LINKING'; },
        startAltLinkingFlow: (phone, notify) => app.startAltLinking(String(phone), notify !== false),
    }),
    WAWebUserPrefsMeUser: () => ({
        getMaybeMePnUser: () => (app.me ? createWid(app.me.number + '@c.us') : undefined),
        getMaybeMeLidUser: () => (app.me && app.me.lid ? createWid(app.me.lid + '@lid') : undefined),
        getMeUser: () => (app.me ? createWid(app.me.number + '@c.us') : undefined),
        getMePNandLIDWids: () => (app.me ? [createWid(app.me.number + '@c.us'), createWid(app.me.lid + '@lid')] : []),
    }),
    WAWebCollections: () => ({ Msg: app.msgs, Chat: app.chats, Contact: app.contacts }),
    WAWebWidFactory: () => ({
        createWid,
        createUserWid: (user, server) => createWid(String(user) + '@' + (server || 'c.us')),
        createWidFromWidLike: (like) => createWid(like),
        isWidlike: (v) => v instanceof Wid || (v != null && typeof v._serialized === 'string'),
        asUserWidOrThrow: (wid) => {
            const w = createWid(wid);
            if (!w.isUser()) throw new Error('asUserWidOrThrow: not a user wid: ' + w);
            return w;
        },
        toUserWid: (wid) => createWid(createWid(wid).user + '@' + createWid(wid).server),
    }),
    WAWebFindChatAction: () => ({
        findOrCreateLatestChat: (wid) => app.findOrCreateChat(createWid(wid)),
        findChat: (wid) => app.findOrCreateChat(createWid(wid)).then((r) => r.chat),
    }),
    WAWebMsgKey: () => MsgKey,
    WAWebSendMsgChatAction: () => ({
        addAndSendMsgToChat: (chat, msg) => app.addAndSendMsgToChat(chat, msg),
    }),
    WAWebUpdateUnreadChatAction: () => ({
        sendSeen: (opts) => app.sendSeen(opts && opts.chat ? opts.chat : opts),
        markUnread: async (chat) => { chat.unreadCount = -1; },
    }),
    WAWebStreamModel: () => ({ Stream: app.stream, StreamModel: app.stream.constructor }),
    WAWebQueryExistsJob: () => ({
        queryWidExists: (wid) => app.queryWidExists(createWid(wid)),
        queryExists: (number) => app.queryWidExists(createWid(number)),
    }),
    WAWebApiContact: () => ({
        getPhoneNumber: (wid) => app.phoneNumberOf(createWid(wid)),
        getCurrentLid: (wid) => app.currentLidOf(createWid(wid)),
    }),
    WAWebChatGetters: () => ({
        getIsGroup: (chat) => chat.id.isGroup(),
        getIsNewsletter: (chat) => chat.id.isNewsletter(),
        getIsBroadcast: (chat) => chat.id.isBroadcast(),
        getIsUser: (chat) => chat.id.isUser(),
    }),
});

/**
 * Installs the modules under their names for this load, honouring the breakage drill
 * (renamed or removed modules), and makes `window.require` find them.
 */
const installModules = (registry, factories, boot) => {
    const removed = new Set(boot.removed || []);
    const renamed = boot.renamed || {};
    for (const [name, factory] of Object.entries(factories)) {
        if (removed.has(name)) continue;
        registry.set(renamed[name] || name, { factory, exports: undefined, ready: false });
    }
};

/** `window.require` as the Comet bootloader has it: throws for names it does not know. */
const makeRequire = (registry) => function require(name) {
    const entry = registry.get(name);
    if (!entry) throw new Error('Requiring unknown module "' + name + '"');
    if (!entry.ready) {
        entry.exports = entry.factory();
        entry.ready = true;
    }
    return entry.exports;
};
