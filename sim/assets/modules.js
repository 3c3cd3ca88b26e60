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

/** A function the simulator does not play: it fails the way a real failed call does, by rejecting. */
const notImitated = (module, member) => function () {
    return Promise.reject(new Error(module + '.' + member + ' is not imitated by wa-sim'));
};

/**
 * Links in a text, the way the compose box underlines them: a scheme, `www.`, or a host ending in a
 * common top-level domain. `findLink` answers at once, `{href, url, index}` or null (not a promise).
 */
const LINK_RE = /\b(?:https?:\/\/[^\s<>]+|www\.[^\s<>]+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|dev|app|co|me|info|biz|edu|gov|uk|de|br|in|pk|ru|fr|it|es)\b(?:\/[^\s<>]*)?)/gi;
const findLinks = (text) => Array.from(String(text || '').matchAll(LINK_RE), (m) => ({
    url: m[0],
    href: /^https?:\/\//i.test(m[0]) ? m[0] : 'http://' + m[0],
    index: m.index,
}));

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
    // Current builds keep the ADV secret in the user prefs; the old home still exists (without it).
    // The drill `boot.advOldHome` puts it back where builds before 2026 had it.
    WAWebUserPrefsMultiDevice: () => (boot.advOldHome ? { getIsMultiDevice: () => true } : {
        getADVSecretKey: () => app.advSecret(),
        getIsMultiDevice: () => true,
    }),
    WAWebAdvSignatureApi: () => (boot.advOldHome ? {
        getADVSecretKey: () => app.advSecret(),
        verifyAdvSignature: notImitated('WAWebAdvSignatureApi', 'verifyAdvSignature'),
    } : {
        verifyAdvSignature: notImitated('WAWebAdvSignatureApi', 'verifyAdvSignature'),
    }),
    WAWebLaunchSocketUtils: () => ({ refreshQR: () => app.refreshQR() }),
    WAWebLinkDeviceEvents: () => ({ WAWebLinkDeviceEvents: app.linkEvents }),
    WALinkify: () => ({ findLinks, findLink: (text) => findLinks(text)[0] || null }),
    WAWebMiscBrowserUtils: () => ({ info: () => ({ name: 'Chrome', os: 'Linux', version: '136.0.0.0' }) }),
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
    WAWebCollections: () => ({
        Msg: app.msgs, Chat: app.chats, Contact: app.contacts, Blocklist: app.blocklist,
        BusinessProfile: app.businessProfiles, ProfilePicThumb: app.profilePicThumbs,
    }),
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
    WAWebGetEphemeralFieldsMsgActionsUtils: () => ({
        getEphemeralFields: (chat) => app.ephemeralFields(chat),
    }),
    WAWebUpdateUnreadChatAction: () => ({
        sendSeen: (opts) => app.sendSeenCall(opts),
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
        getAlternateUserWid: (wid) => alternateWid(wid),
    }),
    WAWebChatGetters: () => ({
        getIsGroup: (chat) => chat.id.isGroup(),
        getIsNewsletter: (chat) => chat.id.isNewsletter(),
        getIsBroadcast: (chat) => chat.id.isBroadcast(),
        getIsUser: (chat) => chat.id.isUser(),
    }),
    // Contacts, profiles, history, calls: people.js.
    ...peopleFactories(),
});

/** The linking modules: the only ones requireable before the account is `CONNECTED` (MODULES.md). */
const LINKING_MODULES = new Set([
    'WAWebSocketModel', 'WAWebConnModel', 'WAWebCmd', 'WABase64', 'WAWebSignalStoreApi',
    'WAWebUserPrefsInfoStore', 'WAWebUserPrefsMultiDevice', 'WAWebAdvSignatureApi',
    'WAWebCompanionRegClientUtils', 'WAWebAltDeviceLinkingApi', 'WAWebUserPrefsMeUser',
    'WAWebLaunchSocketUtils', 'WAWebLinkDeviceEvents', 'WAWebOfflineHandler', 'WAWebMiscBrowserUtils',
]);

/** One module: its factory runs once, on first use by an injector or by the page itself. */
const moduleEntry = (name, factory) => ({
    name,
    factory,
    exports: undefined,
    ready: false,
    load() {
        if (!this.ready) {
            this.exports = renameMembers(this.name, this.factory());
            this.ready = true;
        }
        return this.exports;
    },
});

/**
 * Installs the modules under their names for this load, honouring the breakage drill
 * (renamed or removed modules), and makes `window.require` find them. `own` keeps every module
 * under its real name: the page's own code reaches its modules whatever the drill renamed.
 */
const installModules = (registry, own, factories, boot) => {
    const removed = new Set(boot.removed || []);
    const renamed = boot.renamed || {};
    for (const [name, factory] of Object.entries(factories)) {
        const entry = moduleEntry(name, factory);
        own.set(name, entry);
        if (removed.has(name)) continue;
        registry.set(renamed[name] || name, entry);
    }
};

/**
 * `window.require` as the Comet bootloader has it: throws for names it does not know, and for
 * the lazily loaded bundles' modules until the account is `CONNECTED` (`isLoggedIn`).
 */
const makeRequire = (registry, isLoggedIn) => function require(name) {
    const entry = registry.get(name);
    if (!entry || (!LINKING_MODULES.has(entry.name) && !isLoggedIn())) {
        throw new Error('Requiring unknown module "' + name + '"');
    }
    return entry.load();
};

/** The page's own call into one of its modules: through the property, at call time. */
const pageModule = (own, name) => {
    const entry = own.get(name);
    if (!entry) throw new Error('wa-sim: no module ' + name);
    return entry.load();
};

/** The member name this build uses (the drill `renamedMembers` renames `Module.member`). */
const memberName = (module, member) => (boot.renamedMembers || {})[module + '.' + member] || member;

/** The page calling `module.member(...)`: looked up on the exports at call time, so a wrapper sees it. */
const pageCall = (own, module, member, ...args) => pageModule(own, module)[memberName(module, member)](...args);

/** Applies the member renames of the drill to a module's fresh exports. */
const renameMembers = (module, exports) => {
    for (const [path, to] of Object.entries(boot.renamedMembers || {})) {
        const [name, member] = path.split('.');
        if (name !== module || exports == null || !(member in exports)) continue;
        const desc = Object.getOwnPropertyDescriptor(exports, member);
        Object.defineProperty(exports, to, desc || { value: exports[member], configurable: true, writable: true, enumerable: true });
        delete exports[member];
    }
    return exports;
};
