// ---- groups.js: group metadata models and the group modules (WA_WEB_FEATURES.md §6) ----
// Every operation goes to the servers as a `group-iq` frame and acts as this account; a refusal
// rejects with a `ServerStatusCodeError` carrying WhatsApp's status code and text.

/** WhatsApp's refusal of a server request. */
class ServerStatusCodeError extends Error {
    constructor(statusCode, text) {
        super('ServerStatusCodeError: ' + statusCode + ' ' + text);
        this.name = 'ServerStatusCodeError';
        this.statusCode = statusCode;
        this.text = text;
    }
}

class ParticipantModel extends Model {}

/** `chat.groupMetadata`: attributes, plus `participants` and `membershipApprovalRequests` collections. */
class GroupMetadataModel extends Model {
    constructor(attrs, options) {
        super(attrs, options);
        Object.defineProperty(this, 'participants', { value: new Collection(ParticipantModel), enumerable: false });
        Object.defineProperty(this, 'membershipApprovalRequests', { value: new Collection(Model), enumerable: false });
    }

    serialize() {
        return Object.assign(super.serialize(), {
            participants: this.participants.serialize(),
            membershipApprovalRequests: this.membershipApprovalRequests.serialize(),
        });
    }
}

/** The metadata collection; `update(wid)` and `find(wid)` ask the servers. */
class GroupMetadataCollection extends Collection {
    update(wid) {
        return groupsPage.refresh(createWid(wid)).catch(() => undefined);
    }

    find(wid) {
        const known = this.get(wid);
        return known ? Promise.resolve(known) : groupsPage.refresh(createWid(wid));
    }
}

const groupsPage = {
    metadata: new GroupMetadataCollection(GroupMetadataModel),

    /** Asks the servers to run a group operation as this account. */
    iq(op, args) {
        const iq = app.nextIq++;
        return new Promise((resolve, reject) => {
            app.iqs.set(iq, (result) => {
                if (result && result.error) reject(new ServerStatusCodeError(result.error.code, result.error.text));
                else if (result) resolve(result.ok);
                else reject(new ServerStatusCodeError(408, 'timeout'));
            });
            setTimeout(() => { if (app.iqs.delete(iq)) reject(new ServerStatusCodeError(408, 'timeout')); }, 10000);
            app.send({ type: 'group-iq', iq, op, args: args || {} });
        });
    },

    /** Sets a group chat's metadata from the servers' description of the group. */
    apply(chat, info) {
        let meta = chat.groupMetadata instanceof GroupMetadataModel ? chat.groupMetadata : this.metadata.get(chat.id);
        if (!meta) meta = this.metadata.add({ id: chat.id });
        const wid = (v) => (v ? createWid(v) : undefined);
        meta.set({
            subject: info.name, creation: info.creation, owner: wid(info.owner),
            subjectTime: info.subjectTime, subjectOwner: wid(info.subjectOwner),
            desc: info.desc || undefined, descId: info.descId || undefined, descOwner: wid(info.descOwner),
            descTime: info.descTime, announce: Boolean(info.announce), restrict: Boolean(info.restrict),
            memberAddMode: info.memberAddMode || 'admin_add',
            membershipApprovalMode: Boolean(info.membershipApprovalMode),
            size: info.size != null ? info.size : (info.participants || []).length,
            isLidAddressingMode: Boolean(info.lidMode), isParentGroup: false,
        });
        meta.participants.reset();
        meta.participants.add((info.participants || []).map((p) => (typeof p === 'string'
            ? { id: createWid(p), isAdmin: false, isSuperAdmin: false }
            : { id: createWid(p.id), isAdmin: Boolean(p.isAdmin), isSuperAdmin: Boolean(p.isSuperAdmin) })));
        meta.membershipApprovalRequests.reset();
        if (this.iAmAdmin(chat, meta)) {
            meta.membershipApprovalRequests.add((info.membershipApprovalRequests || []).map((r) => ({ id: createWid(r.id), t: r.t, requestMethod: r.requestMethod })));
        }
        if (chat.groupMetadata !== meta) chat.set({ groupMetadata: meta });
        chat.set({ isReadOnly: meta.announce && !this.iAmAdmin(chat, meta) });
        return meta;
    },

    /** This account as a participant of the group, by its number or its lid. */
    me(meta) {
        if (!app.me || !meta) return undefined;
        return meta.participants.get(app.me.number + '@c.us') || (app.me.lid ? meta.participants.get(app.me.lid + '@lid') : undefined);
    },

    iAmAdmin(chat, meta) {
        const p = this.me(meta || chat.groupMetadata);
        return Boolean(p && (p.isAdmin || p.isSuperAdmin));
    },

    /** `queryAndUpdateGroupMetadataById`: the servers' metadata into the chat and the collection. */
    async refresh(wid) {
        const r = await this.iq('metadata', { group: String(wid) });
        app.learnContacts(r.contacts || []);
        const chat = app.ensureChat(r.chat);
        return chat.groupMetadata;
    },

    async create(opts, participants) {
        const wids = (participants || []).map((p) => String(createWid(p && (p.phoneNumber || p.wid || p.id) || p)));
        const r = await this.iq('create', { subject: opts && opts.title, participants: wids });
        const gid = createWid(r.wid);
        await this.applyCreateOptions(gid, opts || {});
        return {
            wid: gid, subject: r.subject,
            participants: r.participants.map((p) => Object.assign({}, p, { wid: createWid(p.wid) })),
        };
    },

    /** Settings asked for at creation, set right after it (each is a notification of its own). */
    async applyCreateOptions(gid, opts) {
        const wanted = [
            ['announcement', opts.announce], ['restrict', opts.restrict],
            ['member_add_mode', opts.memberAddMode === true || opts.memberAddMode === 'all_member_add'],
            ['membership_approval_mode', opts.membershipApprovalMode],
        ];
        for (const [prop, on] of wanted) {
            if (on) await this.iq('property', { group: String(gid), prop, value: 1 });
        }
    },

    /** The RPC's answer shape for one participant of an add. */
    async addRpc(args) {
        const first = (args && args.participantArgs || [])[0] || {};
        let list;
        try {
            list = await this.iq('add', { group: String(args.iqTo), participant: String(first.participantJid) });
        } catch (e) {
            const code = String(e.statusCode || 500);
            return { name: 'AddParticipantsResponseClientError', value: { errorAddParticipantsClientErrors: { name: 'ClientError', value: { code, text: e.text } } } };
        }
        return { name: 'AddParticipantsResponseSuccess', value: { addParticipant: list.map(addParticipantEntry) } };
    },

    async changeParticipants(action, chat, participants) {
        const ids = (participants || []).map((p) => String(p && p.id ? p.id : p));
        await this.iq('change', { group: String(chat.id), action, participants: ids });
    },

    async requestsAction(args) {
        const approve = Boolean(args.approveArgs);
        const entry = (args.approveArgs || args.rejectArgs || {}).participantArgs || [];
        const jid = String((entry[0] || {}).participantJid);
        let r;
        try {
            r = await this.iq('request-action', { group: String(args.iqTo), participant: jid, approve });
        } catch (e) {
            return { name: 'MembershipRequestsActionResponseClientError', value: { code: String(e.statusCode), text: e.text } };
        }
        const mixin = r.code === 200 ? undefined : { value: { error: String(r.code) } };
        const participant = [{ jid, [approve ? 'membershipRequestsActionAcceptParticipantMixins' : 'membershipRequestsActionRejectParticipantMixins']: mixin }];
        const key = approve ? 'membershipRequestsActionApprove' : 'membershipRequestsActionReject';
        return { name: 'MembershipRequestsActionResponseSuccess', value: { [key]: { participant } } };
    },

    /** A private invite to a user whose privacy refused an add: a `groups_v4_invite` message. */
    async sendInvite(userChat, groupId, subject, code, codeExp, comment) {
        const me = app.senderFor(userChat);
        const key = new MsgKey({ from: me, to: userChat.id, id: await MsgKey.newId(), selfDir: 'out' });
        const msg = {
            id: key, ack: 0, type: 'groups_v4_invite', body: comment || '', comment: comment || '',
            inviteCode: code, inviteCodeExp: String(codeExp), inviteGrp: String(groupId), inviteGrpName: subject,
            from: me, to: userChat.id, local: true, self: 'out', t: Math.floor(Date.now() / 1000), isNewMsg: true,
        };
        const [added, sent] = app.addAndSendMsgToChat(userChat, msg);
        await added;
        return sent;
    },
};

/** One participant of the add RPC's answer, nested as current builds nest it. */
function addParticipantEntry(p) {
    const mixins = { name: p.code === 200 ? 'AddParticipantsParticipantAdded' : 'AddParticipantsParticipantError', value: {} };
    if (p.code !== 200) mixins.value.error = String(p.code);
    if (p.addRequestCode) {
        mixins.value.addRequestCode = p.addRequestCode;
        mixins.value.addRequestExpiration = p.addRequestExpiration;
    }
    return {
        participantJid: p.wid,
        addParticipantsParticipantAddedOrNonRegisteredWaUserParticipantErrorLidResponseMixinGroup: {
            name: 'AddParticipantsParticipantAddedOrNonRegisteredWaUserParticipantErrorLidResponse',
            value: { addParticipantsParticipantMixins: mixins },
        },
    };
}

const userJid = (wid) => {
    const w = createWid(wid);
    return w.user + '@' + (w.server === 'c.us' ? 's.whatsapp.net' : w.server);
};

/** The group modules the simulator plays (the page calls them through the property too). */
const groupModuleFactories = () => ({
    WAWebGroupCreateJob: () => ({ createGroup: (opts, participants) => groupsPage.create(opts, participants) }),
    WAWebGroupQueryJob: () => ({
        queryAndUpdateGroupMetadataById: (opts) => groupsPage.refresh(createWid(opts && opts.id ? opts.id : opts)),
        queryGroupInvite: (code) => groupsPage.iq('invite-info', { code: String(code) }).then((info) => Object.assign({}, info, { id: createWid(info.id) })),
        resetGroupInviteCode: (wid) => groupsPage.iq('invite-reset', { group: String(createWid(wid)) }),
    }),
    WAWebGroupInviteJob: () => ({
        joinGroupViaInvite: (code) => groupsPage.iq('join', { code: String(code) }).then((r) => ({ gid: createWid(r.gid) })),
    }),
    WAWebGroupInviteV4Job: () => ({
        joinGroupViaInviteV4: (code, exp, groupId) => groupsPage.iq('join-v4', { group: String(createWid(groupId)), code: String(code) })
            .then((r) => ({ gid: createWid(r.gid) })),
    }),
    WAWebMexFetchGroupInviteCodeJob: () => ({
        fetchMexGroupInviteCode: (gid) => groupsPage.iq('invite-code', { group: String(createWid(gid)) }),
    }),
    WASmaxGroupsAddParticipantsRPC: () => ({ sendAddParticipantsRPC: (args) => groupsPage.addRpc(args) }),
    WAWebWidToJid: () => ({ widToGroupJid: (wid) => String(createWid(wid)), widToUserJid: userJid }),
    WAWebJidToWid: () => ({ userJidToUserWid: (jid) => createWid(jid) }),
    WAWebModifyParticipantsGroupAction: () => ({
        removeParticipants: (chat, ps) => groupsPage.changeParticipants('remove', chat, ps),
        promoteParticipants: (chat, ps) => groupsPage.changeParticipants('promote', chat, ps),
        demoteParticipants: (chat, ps) => groupsPage.changeParticipants('demote', chat, ps),
    }),
    WAWebGroupModifyInfoJob: () => ({
        setGroupSubject: (wid, subject) => groupsPage.iq('subject', { group: String(createWid(wid)), subject: String(subject) }),
        setGroupDescription: (wid, desc, newId) => groupsPage.iq('description', { group: String(createWid(wid)), desc: String(desc || ''), id: String(newId || '') }),
    }),
    WAWebSetPropertyGroupAction: () => ({
        setGroupProperty: (chat, prop, value) => groupsPage.iq('property', { group: String(chat.id), prop: String(prop), value: Number(value) }),
    }),
    WAWebExitGroupAction: () => ({ sendExitGroup: (chat) => groupsPage.iq('leave', { group: String(chat.id) }) }),
    WAWebApiMembershipApprovalRequestStore: () => ({
        getMembershipApprovalRequests: (wid) => groupsPage.iq('requests', { group: String(createWid(wid)) })
            .then((list) => list.map((r) => Object.assign({}, r, { id: createWid(r.id) }))),
    }),
    WASmaxGroupsMembershipRequestsActionRPC: () => ({ sendMembershipRequestsActionRPC: (args) => groupsPage.requestsAction(args) }),
    WAWebChatSendMessages: () => ({
        sendGroupInviteMessage: (chat, gid, subject, code, exp, comment) => groupsPage.sendInvite(chat, gid, subject, code, exp, comment),
    }),
    WAWebLidMigrationUtils: () => ({
        toPn: (wid) => {
            const w = createWid(wid);
            return w.isLid() ? (app.phoneNumberOf(w) || null) : w;
        },
    }),
    WAWebGroupMetadataCollection: () => ({ GroupMetadataCollection: groupsPage.metadata }),
});

/** Current builds hold the metadata collection on `WAWebCollections` under its module's name. */
const withGroupCollections = (factories) => {
    const base = factories.WAWebCollections;
    return Object.assign(factories, {
        WAWebCollections: () => Object.assign(base(), { WAWebGroupMetadataCollection: groupsPage.metadata }),
    });
};
