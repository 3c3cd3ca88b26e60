// ---- rich.js: replies, cards, link previews, reactions, edits, revokes, polls, receipts, typing ----
// The modules of WA_WEB_FEATURES.md §3-4 as the page plays them. Loaded after app.js: it extends the
// models and the command object, adds frame handlers, and gives `richModuleFactories` to the boot.

/** WhatsApp's windows (sim/README.md, choice 17): edit 15 minutes, delete for everyone 2 days 12 hours. */
const EDIT_WINDOW_S = 15 * 60;
const REVOKE_WINDOW_S = 60 * 60 * 60;
/** Types nobody can reply to, react to or forward: system rows and messages without content. */
const NO_CONTENT = new Set(['revoked', 'ciphertext', 'gp2', 'notification_template', 'e2e_notification', 'protocol', 'reaction', 'poll_vote']);
const CAPTIONED = new Set(['image', 'video', 'document']);

const nowSecs = () => Math.floor(Date.now() / 1000);
const ageOf = (msg) => nowSecs() - (msg.t || 0);
const isMsg = (m) => m instanceof MsgModel;
const sameKey = (a, b) => a != null && b != null && keyOf(a) === keyOf(b);

/** Am I an admin of the message's group? (Only admins revoke other members' messages.) */
function iAmAdminOf(msg) {
    const chat = app.chats.get(msg.id.remote);
    const meta = chat && chat.groupMetadata;
    if (!meta || !app.me) return false;
    const mine = [app.me.number + '@c.us', app.me.lid + '@lid'];
    return (meta.participants || []).some((p) => mine.includes(keyOf(p.id)) && p.isAdmin);
}

const capability = {
    canSenderRevokeMsg: (msg) => isMsg(msg) && msg.id.fromMe && !NO_CONTENT.has(msg.type) && ageOf(msg) <= REVOKE_WINDOW_S,
    canAdminRevokeMsg: (msg) => isMsg(msg) && !msg.id.fromMe && !NO_CONTENT.has(msg.type) && iAmAdminOf(msg),
    canEditText: (msg) => isMsg(msg) && msg.id.fromMe && msg.type === 'chat' && ageOf(msg) <= EDIT_WINDOW_S,
    canEditCaption: (msg) => isMsg(msg) && msg.id.fromMe && CAPTIONED.has(msg.type) && Boolean(msg.caption) && ageOf(msg) <= EDIT_WINDOW_S,
    canStarMsg: (msg) => isMsg(msg) && !NO_CONTENT.has(msg.type),
};

/** The plain data of a quoted message, as a reply carries it (`quotedMsg`). */
function quotedData(msg) {
    const out = {};
    for (const field of ['type', 'body', 'caption', 'mimetype', 'filename', 'lat', 'lng', 'loc', 'pollName', 'pollOptions', 'vcardFormattedName', 'vcardList']) {
        if (msg[field] !== undefined) out[field] = msg[field];
    }
    return out;
}

MsgModel.prototype.unsafe = function () { return this; };
MsgModel.prototype.canReply = function () { return !NO_CONTENT.has(this.type) && this.isViewOnce !== true; };
/** The fields a reply merges in: the quote, its stanza id and its author. */
MsgModel.prototype.msgContextInfo = function (chat) {
    const info = { quotedMsg: quotedData(this), quotedStanzaID: this.id.id, quotedParticipant: this.author || this.from };
    if (chat && chat.id && !sameKey(chat.id, this.id.remote)) info.quotedRemoteJid = this.id.remote;
    return info;
};

/** A reply's quoted message: the one in memory, else a model made from the quote it carries. */
function quotedMsgObj(msg) {
    if (!isMsg(msg) || !msg.quotedStanzaID) return undefined;
    const found = app.msgs.getModelsArray().find((m) => m.id.id === msg.quotedStanzaID);
    if (found) return found;
    const participant = msg.quotedParticipant ? createWid(msg.quotedParticipant) : msg.id.remote;
    const fromMe = Boolean(app.me) && participant.user === app.me.number;
    const key = new MsgKey({ id: msg.quotedStanzaID, remote: msg.quotedRemoteJid || msg.id.remote, fromMe });
    return new MsgModel(Object.assign({ id: key, from: participant }, msg.quotedMsg || {}));
}

// ---- vCards ----

/** A vCard's properties by name (upper case), each a list of values; throws on anything else. */
function parseVcard(text) {
    const lines = String(text || '').replace(/\r\n/g, '\n').split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines[0] !== 'BEGIN:VCARD' || lines[lines.length - 1] !== 'END:VCARD') throw new Error('parseVcard: not a vCard');
    const parsed = {};
    for (const line of lines.slice(1, -1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).split(';')[0].toUpperCase();
        (parsed[name] = parsed[name] || []).push({ value: line.slice(colon + 1), params: line.slice(0, colon).split(';').slice(1) });
    }
    return parsed;
}

function vcardName(parsed) {
    if (parsed.FN && parsed.FN[0].value) return parsed.FN[0].value;
    if (parsed.N && parsed.N[0].value) return parsed.N[0].value.split(';').filter(Boolean).reverse().join(' ');
    return undefined;
}

function vcardFromContact(contact) {
    const name = contact.name || contact.pushname || contact.id.user;
    const vcard = ['BEGIN:VCARD', 'VERSION:3.0', 'FN:' + name,
        'TEL;type=CELL;type=VOICE;waid=' + contact.id.user + ':+' + contact.id.user, 'END:VCARD'].join('\n');
    return { vcard, displayName: name, isMultiVcard: false };
}

// ---- addons: reactions and poll votes live in their own tables, not in `Msg` ----

const addonTables = { reactions: new Map(), votes: new Map() };

function upsertReactions(rows) {
    for (const row of rows || []) {
        const parent = keyOf(row.reactionParentKey);
        const bySender = addonTables.reactions.get(parent) || new Map();
        bySender.set(keyOf(row.author || row.from), row);
        addonTables.reactions.set(parent, bySender);
        const msg = app.msgs.get(parent);
        if (msg) msg.hasReaction = [...bySender.values()].some((r) => r.reactionText !== '');
    }
    ui.schedule();
    return Promise.resolve();
}

function upsertVotes(rows) {
    for (const row of rows || []) {
        const parent = keyOf(row.pollUpdateParentKey);
        const bySender = addonTables.votes.get(parent) || new Map();
        bySender.set(keyOf(row.author || row.sender), Object.assign({ parentMsgKey: parent }, row));
        addonTables.votes.set(parent, bySender);
    }
    return Promise.resolve();
}

/** The page's own upsert, through the module property at call time (so a wrapper sees it). */
function upsertAddon(row) {
    if (row.type === 'reaction') return pageModule(ownModules, 'WAWebAddonReactionTableMode').reactionTableMode.bulkUpsert([row]);
    return pageModule(ownModules, 'WAWebAddonPollVoteTableMode').pollVoteTableMode.bulkUpsert([row]);
}

/** The JSON an addon travels as. */
function wireAddon(row) {
    const out = {};
    for (const [k, v] of Object.entries(row)) out[k] = v instanceof MsgKey || v instanceof Wid ? keyOf(v) : v;
    return out;
}

async function addAndSendAddon(row) {
    await upsertAddon(row);
    app.send({ type: 'action', action: Object.assign({ kind: row.type }, wireAddon(row)) });
    return { messageSendResult: 'OK' };
}

/** A new outgoing key in the message's chat, as the addressing rule wants it. */
async function addonKey(msg) {
    const chat = app.chats.get(msg.id.remote) || (await app.findOrCreateChat(msg.id.remote)).chat;
    const me = app.senderFor(chat);
    const key = new MsgKey({ from: me, to: chat.id, id: await MsgKey.newId(), participant: chat.id.isGroup() ? me : undefined, selfDir: 'out' });
    return { key, me };
}

async function sendReaction(msg, emoji) {
    if (!isMsg(msg)) throw new TypeError('sendReactionToMsg: expected a message model');
    if (typeof emoji !== 'string') throw new TypeError('sendReactionToMsg: expected an emoji string');
    if (NO_CONTENT.has(msg.type)) throw new Error('sendReactionToMsg: cannot react to a ' + msg.type + ' message');
    const { key, me } = await addonKey(msg);
    return pageModule(ownModules, 'WAWebSendAddonMsgChatAction').addAndSendAddonToChat({
        id: key, reactionParentKey: msg.id, reactionText: emoji, reactionTimestamp: Date.now(),
        type: 'reaction', read: true, ack: 0, author: me, from: me, orphan: 0,
    });
}

/** Option local ids from a Set or an array of ids (or of `{localId}` options). */
const localIds = (selected) => Array.from(selected || [], (o) => (o && typeof o === 'object' ? o.localId : o));

async function sendVote(msg, selected) {
    if (!isMsg(msg) || msg.type !== 'poll_creation') throw new Error('sendVote: not a poll');
    const ids = localIds(selected);
    const known = new Set((msg.pollOptions || []).map((o) => o.localId));
    if (ids.some((id) => !known.has(id))) throw new Error('sendVote: unknown option');
    if (msg.pollSelectableOptionsCount === 1 && ids.length > 1) throw new Error('sendVote: this poll takes one option');
    const { key, me } = await addonKey(msg);
    return pageModule(ownModules, 'WAWebSendAddonMsgChatAction').addAndSendAddonToChat({
        id: key, pollUpdateParentKey: msg.id, selectedOptionLocalIds: ids, senderTimestampMs: Date.now(),
        t: nowSecs(), type: 'poll_vote', ack: 0, author: me, sender: me, read: true,
    });
}

// ---- edits, revokes, deletes ----

async function sendEdit(msg, text, opts) {
    const canEdit = pageModule(ownModules, 'WAWebMsgActionCapability');
    if (!canEdit.canEditText(msg) && !canEdit.canEditCaption(msg)) throw new Error('sendMessageEdit: this message cannot be edited');
    const field = msg.type === 'chat' ? 'body' : 'caption';
    const editKey = new MsgKey({ from: msg.from, to: msg.id.remote, id: await MsgKey.newId(), selfDir: 'out' });
    msg.set({ [field]: String(text), latestEditMsgKey: editKey, latestEditSenderTimestampMs: Date.now() });
    const mentions = (opts && opts.mentionedJidList || []).map(keyOf);
    app.send({ type: 'action', action: { kind: 'edit', id: keyOf(msg.id), text: String(text), mentions } });
    return { messageSendResult: 'OK' };
}

function listOf(selection) {
    const list = selection && selection.list;
    if (!Array.isArray(list) || !list.every(isMsg)) throw new TypeError('expected {list: [messages], type: "message"}');
    return list;
}

CmdImpl.prototype.sendRevokeMsgs = async function (chat, selection, opts) {
    const can = pageModule(ownModules, 'WAWebMsgActionCapability');
    const list = listOf(selection);
    if (!list.every((m) => can.canSenderRevokeMsg(m) || can.canAdminRevokeMsg(m))) throw new Error('sendRevokeMsgs: not allowed for this message');
    for (const msg of list) {
        msg.set({ type: 'revoked', body: '', caption: undefined, revokeTimestamp: nowSecs() });
        app.send({ type: 'action', action: { kind: 'revoke', id: keyOf(msg.id), clearMedia: Boolean(opts && opts.clearMedia) } });
    }
    return 'OK';
};

CmdImpl.prototype.sendDeleteMsgs = async function (chat, selection, clearMedia) {
    for (const msg of listOf(selection)) {
        app.msgs.remove(msg);
        if (chat && chat.msgs) chat.msgs.remove(msg);
        app.send({ type: 'action', action: { kind: 'delete_for_me', id: keyOf(msg.id), clearMedia: Boolean(clearMedia) } });
    }
    ui.schedule();
    return 'OK';
};

CmdImpl.prototype.markChatUnread = async function (chat, unread) {
    chat.unreadCount = unread ? -1 : 0;
    return true;
};

// ---- chat states, presence, receipts, link previews ----

const chatState = (state) => async (wid) => {
    if (!(wid instanceof Wid)) throw new TypeError('sendChatState: expected a Wid, got ' + (wid && wid.constructor ? wid.constructor.name : typeof wid));
    app.send({ type: 'action', action: { kind: 'chatstate', chat: wid._serialized, state } });
};

const setPresence = (available) => async () => {
    app.send({ type: 'action', action: { kind: 'presence', available } });
};

async function queryMsgInfo(key) {
    if (!(key instanceof MsgKey)) throw new TypeError('queryMsgInfo: expected a MsgKey');
    const info = await app.query('msg-info', keyOf(key));
    if (!info) return null;
    const rows = (list) => list.map((r) => ({ id: createWid(r.id), t: r.t }));
    return Object.assign({}, info, { delivery: rows(info.delivery), read: rows(info.read), played: rows(info.played) });
}

async function linkPreview(link) {
    const href = typeof link === 'string' ? link : link && (link.href || link.url);
    if (!href) throw new TypeError('getLinkPreview: expected a link');
    const data = await app.query('link-preview', href);
    return data ? { data } : null;
}

// ---- what the servers push ----

/** An addon from another phone: a reaction or a vote, into its table through the module property. */
frameHandlers.addon = (f) => {
    const row = Object.assign({}, f.addon);
    row.id = MsgKey.fromString(row.id);
    if (row.reactionParentKey) row.reactionParentKey = MsgKey.fromString(row.reactionParentKey);
    if (row.pollUpdateParentKey) row.pollUpdateParentKey = MsgKey.fromString(row.pollUpdateParentKey);
    for (const field of ['author', 'from', 'sender']) if (row[field]) row[field] = createWid(row[field]);
    upsertAddon(row);
};

/** The modules this file plays, by their real names. */
const richModuleFactories = () => ({
    WAWebMsgReply: () => ({ canReplyMsg: (msg) => isMsg(msg) && msg.canReply() }),
    WAWebQuotedMsgModelUtils: () => ({ getQuotedMsgObj: quotedMsgObj }),
    WAWebMsgActionCapability: () => Object.assign({}, capability),
    WAWebSendReactionMsgAction: () => ({ sendReactionToMsg: sendReaction }),
    WAWebSendAddonMsgChatAction: () => ({ addAndSendAddonToChat: addAndSendAddon }),
    WAWebAddonReactionTableMode: () => ({ reactionTableMode: { bulkUpsert: upsertReactions } }),
    WAWebAddonPollVoteTableMode: () => ({ pollVoteTableMode: { bulkUpsert: upsertVotes } }),
    WAWebPollsSendVoteMsgAction: () => ({ sendVote }),
    WAWebPollsVotesSchema: () => ({
        getTable: () => ({
            equals: async (fields, value) => {
                if (!Array.isArray(fields) || fields[0] !== 'parentMsgKey') throw new Error('getTable().equals: unknown index ' + fields);
                return [...(addonTables.votes.get(String(value)) || new Map()).values()];
            },
        }),
    }),
    WAWebSendMessageEditAction: () => ({ sendMessageEdit: sendEdit }),
    WAWebChatStateBridge: () => ({
        sendChatStateComposing: chatState('composing'),
        sendChatStateRecording: chatState('recording'),
        sendChatStatePaused: chatState('paused'),
    }),
    WAWebPresenceChatAction: () => ({ sendPresenceAvailable: setPresence(true), sendPresenceUnavailable: setPresence(false) }),
    WAWebApiMessageInfoStore: () => ({ queryMsgInfo }),
    WAWebLinkPreviewChatAction: () => ({ getLinkPreview: linkPreview }),
    WAWebVcardParsingUtils: () => ({ parseVcard }),
    WAWebVcardGetNameFromParsed: () => ({ vcardGetNameFromParsed: vcardName }),
    WAWebFrontendVcardUtils: () => ({ vcardFromContactModel: vcardFromContact }),
});
