  // ---- groups (WA_WEB_FEATURES.md §6): metadata, create, members, settings, invites, requests ----

  const INVITE_LINK = 'https://chat.whatsapp.com/';
  /** The invite functions moved between these modules: each is looked up in all of them. */
  const INVITE_HOMES = ['WAWebGroupInviteJob', 'WAWebGroupQueryJob', 'WAWebMexFetchGroupInviteCodeJob'];

  /** A WhatsApp refusal (`ServerStatusCodeError`) as the gateway's error; anything else as it is. */
  function groupRefusal(e, what) {
    const status = e && (e.statusCode || e.status);
    if (!e || (e.name !== 'ServerStatusCodeError' && !status)) return e;
    const reason = (e.text || e.message || 'refused') + (status ? ' (' + status + ')' : '');
    if (status === 404 || status === 406) return opError('NOT_FOUND', 'WhatsApp knows no such group: ' + reason);
    if (status === 401 || status === 403) return opError('FORBIDDEN', 'WhatsApp refused to ' + what + ': ' + reason);
    if (status === 400) return opError('INVALID_REQUEST', 'WhatsApp refused to ' + what + ': ' + reason);
    return opError(String(status || 'REFUSED'), 'WhatsApp refused to ' + what + ': ' + reason);
  }

  async function groupCall(what, fn) {
    try {
      return await fn();
    } catch (e) {
      throw groupRefusal(e, what);
    }
  }

  function groupWid(M, id) {
    const text = String(id || '');
    const wid = M.WAWebWidFactory.createWid(text.includes('@') ? text : text + '@g.us');
    if (!wid.isGroup()) throw opError('INVALID_REQUEST', 'not a group id: ' + text);
    return wid;
  }

  function metadataCollection(M) {
    const C = M.WAWebCollections;
    return C.GroupMetadata || C.WAWebGroupMetadataCollection || null;
  }

  async function groupChat(M, wid) {
    const { Chat } = M.WAWebCollections;
    try {
      return Chat.get(wid) || await Chat.find(wid);
    } catch (_) {
      return null;
    }
  }

  /** Fresh metadata from WhatsApp; a group we are not in keeps what the chat last knew. */
  async function refreshedChat(M, wid) {
    try {
      await need('WAWebGroupQueryJob').queryAndUpdateGroupMetadataById({ id: widStr(wid) });
    } catch (e) {
      const err = groupRefusal(e, 'read the group');
      if (err.code !== 'FORBIDDEN') throw err;
    }
    const chat = await groupChat(M, wid);
    if (!chat || !chat.groupMetadata) throw opError('NOT_FOUND', 'no group ' + widStr(wid));
    return chat;
  }

  /** A participant as the API shows it: the id WhatsApp uses and the number where known. */
  async function member(M, wid) {
    return { id: widStr(wid), phone: wid ? await senderPhone(M, wid) : null };
  }

  const isoTime = (t) => (t ? new Date(t * 1000).toISOString() : null);

  async function serializeGroup(M, chat) {
    const g = chat.groupMetadata;
    const participants = [];
    for (const p of g.participants.getModelsArray()) {
      participants.push(Object.assign(await member(M, p.id), { isAdmin: !!(p.isAdmin || p.isSuperAdmin), isSuperAdmin: !!p.isSuperAdmin }));
    }
    return {
      id: widStr(chat.id), subject: g.subject || chat.formattedTitle || null,
      description: g.desc || null, owner: g.owner ? await member(M, g.owner) : null,
      createdAt: isoTime(g.creation), subjectChangedAt: isoTime(g.subjectTime),
      settings: {
        announce: !!g.announce, restrict: !!g.restrict,
        memberAddMode: g.memberAddMode || 'admin_add', approvalMode: !!g.membershipApprovalMode,
      },
      isLidAddressingMode: !!g.isLidAddressingMode, size: g.size || participants.length,
      iAmAdmin: typeof chat.iAmAdmin === 'function' ? !!chat.iAmAdmin() : false, participants,
    };
  }

  /** The participant model for a typed id, by its lid or its number. */
  async function participantModel(M, chat, id) {
    const wid = M.WAWebWidFactory.createWid(id);
    const Api = M.WAWebApiContact;
    let lid = wid.isLid() ? wid : null;
    let pn = wid.isLid() ? null : wid;
    if (Api) {
      try {
        if (!lid && Api.getCurrentLid) lid = await Promise.resolve(Api.getCurrentLid(wid)) || null;
        if (!pn && Api.getPhoneNumber) pn = await Promise.resolve(Api.getPhoneNumber(wid)) || null;
      } catch (_) { /* unknown mapping */ }
    }
    if (!lid && !pn && M.WAWebQueryExistsJob) {
      const found = await M.WAWebQueryExistsJob.queryWidExists(wid);
      if (found) {
        lid = found.lid || null;
        pn = found.wid || null;
      }
    }
    const parts = chat.groupMetadata.participants;
    return (lid && parts.get(widStr(lid))) || (pn && parts.get(widStr(pn))) || null;
  }

  const pause = (range) => {
    const [min, max] = range || [0, 0];
    const ms = min + Math.floor(Math.random() * Math.max(0, max - min + 1));
    return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
  };

  const ADD_STATUS = {
    200: 'added', 403: 'invited', 404: 'not_on_whatsapp', 408: 'recently_left',
    409: 'already_member', 417: 'community', 419: 'group_full',
  };

  /** WhatsApp's answer to adding one participant: `{code, inviteCode?, inviteExpiration?}`. */
  async function addOne(M, gwid, wid) {
    const toJid = need('WAWebWidToJid');
    const rpc = await need('WASmaxGroupsAddParticipantsRPC').sendAddParticipantsRPC({
      participantArgs: [{ participantJid: toJid.widToUserJid(wid) }], iqTo: toJid.widToGroupJid(gwid),
    });
    if (rpc.name === 'AddParticipantsResponseClientError') {
      throw groupRefusal({ name: 'ServerStatusCodeError', statusCode: +rpc.value.errorAddParticipantsClientErrors.value.code, text: rpc.value.errorAddParticipantsClientErrors.value.text }, 'add members');
    }
    if (rpc.name !== 'AddParticipantsResponseSuccess') return { code: 500 };
    const entry = rpc.value.addParticipant[0];
    const mixins = entry.addParticipantsParticipantAddedOrNonRegisteredWaUserParticipantErrorLidResponseMixinGroup.value.addParticipantsParticipantMixins;
    const v = (mixins && mixins.value) || {};
    return { code: +(v.error || 200), inviteCode: v.addRequestCode || null, inviteExpiration: v.addRequestExpiration ? String(v.addRequestExpiration) : null };
  }

  /** An add refused for privacy: send the private invite WhatsApp offers instead. */
  async function sendPrivateInvite(M, chat, wid, code, exp) {
    try {
      // The invite goes to the person's number chat when WhatsApp shares it.
      const Api = M.WAWebApiContact;
      const pn = wid.isLid() && Api && Api.getPhoneNumber ? await Promise.resolve(Api.getPhoneNumber(wid)) : null;
      const userChat = await chatFor(M, pn || wid);
      const r = await need('WAWebChatSendMessages').sendGroupInviteMessage(
        userChat, widStr(chat.id), chat.groupMetadata.subject, code, exp, '', undefined);
      return !!(r && r.messageSendResult === 'OK');
    } catch (e) {
      emit('error', { where: 'group_invite', message: String(e && e.message || e) });
      return false;
    }
  }

  async function addResult(M, chat, wid, answer) {
    const result = Object.assign(await member(M, wid), { status: ADD_STATUS[answer.code] || 'failed', code: answer.code });
    if (answer.code === 403 && answer.inviteCode) {
      Object.assign(result, { inviteCode: answer.inviteCode, inviteExpiration: answer.inviteExpiration });
      result.inviteSent = await sendPrivateInvite(M, chat, wid, answer.inviteCode, answer.inviteExpiration);
    }
    return result;
  }

  async function addParticipants(M, chat, ids, paceMs) {
    const g = chat.groupMetadata;
    if (!chat.iAmAdmin() && g.memberAddMode !== 'all_member_add') {
      throw opError('FORBIDDEN', 'WhatsApp lets only admins add members to this group, and this account is not one');
    }
    const out = [];
    for (const [i, id] of ids.entries()) {
      if (i > 0) await pause(paceMs);
      const wid = M.WAWebWidFactory.createWid(id);
      if (await participantModel(M, chat, id)) {
        out.push(Object.assign(await member(M, wid), { status: 'already_member', code: 409 }));
        continue;
      }
      const exists = await M.WAWebQueryExistsJob.queryWidExists(wid);
      if (!exists) {
        out.push(Object.assign(await member(M, wid), { status: 'not_on_whatsapp', code: 404 }));
        continue;
      }
      out.push(await addResult(M, chat, exists.wid || wid, await addOne(M, chat.id, exists.wid || wid)));
    }
    return out;
  }

  const CHANGE = {
    remove: ['removeParticipants', (p) => !p, 'removed'],
    promote: ['promoteParticipants', (p) => p && p.isAdmin, 'promoted'],
    demote: ['demoteParticipants', (p) => p && !p.isAdmin && !p.isSuperAdmin, 'demoted'],
  };

  /** Remove / promote / demote; each result read back from the refreshed metadata. */
  async function changeParticipants(M, chat, action, ids) {
    if (!chat.iAmAdmin()) throw opError('FORBIDDEN', 'WhatsApp lets only admins ' + action + ' members, and this account is not one');
    const [fn, done, status] = CHANGE[action];
    const found = [];
    for (const id of ids) found.push([id, await participantModel(M, chat, id)]);
    const models = found.map(([, p]) => p).filter(Boolean);
    if (models.length) {
      await groupCall(action + ' members', () => need('WAWebModifyParticipantsGroupAction')[fn](chat, models));
    }
    const fresh = await refreshedChat(M, chat.id);
    const out = [];
    for (const [id, p] of found) {
      const wid = p ? p.id : M.WAWebWidFactory.createWid(id);
      const now = p && fresh.groupMetadata.participants.get(widStr(p.id));
      const ok = p && done(now);
      out.push(Object.assign(await member(M, wid), {
        status: !p ? 'not_member' : (ok ? status : 'refused'), code: !p ? 404 : (ok ? 200 : 406),
      }));
    }
    return out;
  }

  async function createGroup(M, args) {
    const results = [];
    const wanted = [];
    for (const id of args.participants || []) {
      const wid = M.WAWebWidFactory.createWid(id);
      const exists = await M.WAWebQueryExistsJob.queryWidExists(wid);
      if (exists) wanted.push({ phoneNumber: exists.wid || wid });
      else results.push(Object.assign(await member(M, wid), { status: 'not_on_whatsapp', code: 404 }));
    }
    const opts = { title: args.subject, addressingModeOverride: 'lid', memberAddMode: false, membershipApprovalMode: false, announce: false, restrict: false, ephemeralDuration: 0 };
    const created = await groupCall('create the group', () => need('WAWebGroupCreateJob').createGroup(opts, wanted));
    const chat = await refreshedChat(M, created.wid);
    for (const p of created.participants || []) {
      if (p.type === 'superadmin') continue;
      const code = p.error ? +p.error : 200;
      results.push(await addResult(M, chat, p.wid, { code, inviteCode: p.invite_code, inviteExpiration: p.invite_code_exp }));
    }
    return { group: await serializeGroup(M, chat), participants: results };
  }

  const SETTINGS = [
    ['announce', 'announcement', (v) => (v ? 1 : 0)],
    ['restrict', 'restrict', (v) => (v ? 1 : 0)],
    ['memberAddMode', 'member_add_mode', (v) => (v === 'all_member_add' ? 1 : 0)],
    ['approvalMode', 'membership_approval_mode', (v) => (v ? 1 : 0)],
  ];

  async function updateGroup(M, chat, args) {
    const info = need('WAWebGroupModifyInfoJob');
    if (args.subject != null) await groupCall('change the subject', () => info.setGroupSubject(chat.id, args.subject));
    if (args.description != null) {
      const newId = await M.WAWebMsgKey.newId();
      const prev = chat.groupMetadata.descId;
      await groupCall('change the description', () => info.setGroupDescription(chat.id, args.description, newId, prev));
    }
    for (const [field, prop, value] of SETTINGS) {
      if (args[field] == null) continue;
      await groupCall('change ' + field, () => need('WAWebSetPropertyGroupAction').setGroupProperty(chat, prop, value(args[field])));
    }
  }

  /** An invite function from whichever module holds it now. */
  function inviteModule(name) {
    for (const home of INVITE_HOMES) {
      let m = null;
      try { m = window.require(home); } catch (_) { /* try the next home */ }
      if (m && typeof m[name] === 'function') return m;
    }
    throw opError('INCOMPATIBLE', 'WhatsApp Web has no ' + name + ' in ' + INVITE_HOMES.join(', '));
  }

  const inviteOf = (code) => {
    const c = code && typeof code === 'object' ? code.code : code;
    return { code: c, link: INVITE_LINK + c };
  };

  function codeFromArgs(args) {
    const raw = String(args.code || args.link || '').trim();
    const code = raw.startsWith(INVITE_LINK) ? raw.slice(INVITE_LINK.length) : raw;
    if (!/^[A-Za-z0-9]{6,64}$/.test(code)) throw opError('INVALID_REQUEST', 'not an invite code or link: ' + raw);
    return code;
  }

  async function joinGroup(M, args) {
    const code = codeFromArgs(args);
    const joined = await groupCall('join the group', () => inviteModule('joinGroupViaInvite').joinGroupViaInvite(code));
    const gid = joined && (joined.gid || joined);
    let group = null;
    try {
      await need('WAWebGroupQueryJob').queryAndUpdateGroupMetadataById({ id: widStr(gid) });
      const chat = await groupChat(M, gid);
      if (chat && chat.groupMetadata) group = await serializeGroup(M, chat);
    } catch (_) { /* not a member yet: the group asks an admin's approval */ }
    return { id: widStr(gid), status: group ? 'joined' : 'requested', group };
  }

  async function requestsOf(M, chat) {
    const list = await groupCall('list join requests', () => need('WAWebApiMembershipApprovalRequestStore').getMembershipApprovalRequests(chat.id));
    const out = [];
    for (const r of list || []) {
      out.push(Object.assign(await member(M, r.id), { requestedAt: r.t || null, method: r.requestMethod || null }));
    }
    return out;
  }

  async function answerRequests(M, chat, args) {
    const approve = args.action === 'approve';
    const toJid = need('WAWebWidToJid');
    const ids = args.participants && args.participants.length ? args.participants : (await requestsOf(M, chat)).map((r) => r.id);
    const out = [];
    for (const id of ids) {
      const wid = M.WAWebWidFactory.createWid(id);
      const participant = { participantArgs: [{ participantJid: toJid.widToUserJid(wid) }] };
      const r = await need('WASmaxGroupsMembershipRequestsActionRPC').sendMembershipRequestsActionRPC({
        iqTo: toJid.widToGroupJid(chat.id), [approve ? 'approveArgs' : 'rejectArgs']: participant,
      });
      out.push(Object.assign(await member(M, wid), requestOutcome(r, approve)));
    }
    return out;
  }

  function requestOutcome(r, approve) {
    if (!r || r.name !== 'MembershipRequestsActionResponseSuccess') {
      return { status: 'refused', code: +(r && r.value && r.value.code) || 500 };
    }
    const value = approve ? r.value.membershipRequestsActionApprove : r.value.membershipRequestsActionReject;
    const p = value && value.participant && value.participant[0];
    const mixin = p && (approve ? p.membershipRequestsActionAcceptParticipantMixins : p.membershipRequestsActionRejectParticipantMixins);
    const error = mixin && mixin.value && mixin.value.error;
    if (error) return { status: +error === 404 ? 'no_request' : 'refused', code: +error };
    return { status: approve ? 'approved' : 'rejected', code: 200 };
  }

  async function withGroup(M, args, fn) {
    return fn(await refreshedChat(M, groupWid(M, args.id)));
  }

  defineOps({
    'groups.list': async (M) => {
      const out = [];
      for (const chat of M.WAWebCollections.Chat.getModelsArray()) {
        if (chat.id.isGroup() && chat.groupMetadata) out.push(await serializeGroup(M, chat));
      }
      return out;
    },
    'groups.get': (M, args) => withGroup(M, args, (chat) => serializeGroup(M, chat)),
    'groups.create': (M, args) => createGroup(M, args),
    'groups.update': (M, args) => withGroup(M, args, async (chat) => {
      await updateGroup(M, chat, args);
      return serializeGroup(M, await refreshedChat(M, chat.id));
    }),
    'groups.participants': (M, args) => withGroup(M, args, (chat) => (args.action === 'add'
      ? addParticipants(M, chat, args.participants, args.paceMs)
      : changeParticipants(M, chat, args.action, args.participants))),
    'groups.inviteCode': (M, args) => withGroup(M, args, async (chat) => inviteOf(await groupCall('share the invite link',
      () => inviteModule('fetchMexGroupInviteCode').fetchMexGroupInviteCode(widStr(chat.id))))),
    'groups.revokeInvite': (M, args) => withGroup(M, args, async (chat) => inviteOf(await groupCall('revoke the invite link',
      () => inviteModule('resetGroupInviteCode').resetGroupInviteCode(chat.id)))),
    'groups.join': (M, args) => joinGroup(M, args),
    'groups.leave': (M, args) => withGroup(M, args, async (chat) => {
      await groupCall('leave the group', () => need('WAWebExitGroupAction').sendExitGroup(chat));
      return { id: widStr(chat.id), left: true };
    }),
    'groups.requests': (M, args) => withGroup(M, args, (chat) => requestsOf(M, chat)),
    'groups.answerRequests': (M, args) => withGroup(M, args, (chat) => answerRequests(M, chat, args)),
  });

  // Group notifications are `gp2` messages; they become group events, never `message` events.
  const GROUP_EVENTS = {
    add: 'group_join', invite: 'group_join', linked_group_join: 'group_join',
    remove: 'group_leave', leave: 'group_leave',
    promote: 'group_admin_changed', demote: 'group_admin_changed',
    membership_approval_request: 'group_membership_request',
  };

  async function reportGroupNotification(M, m) {
    const recipients = [];
    for (const r of m.recipients || []) recipients.push(await member(M, M.WAWebWidFactory.createWid(r)));
    emit('group_notification', {
      kind: GROUP_EVENTS[m.subtype] || 'group_update', subtype: m.subtype || null,
      groupId: widStr(m.id && m.id.remote) || widStr(m.from),
      author: m.author ? await member(M, m.author) : null, recipients,
      body: typeof m.body === 'string' && m.body ? m.body : null, t: m.t || null,
      messageId: msgIdStr(m.id),
    });
  }

  whenSynced((M) => {
    const { Msg } = M.WAWebCollections;
    const onAdd = (m) => {
      if (m.type !== 'gp2' || m.isNewMsg !== true) return;
      reportGroupNotification(M, m).catch((e) => emit('error', { where: 'group_notification', message: String(e && e.message || e) }));
    };
    Msg.on('add', onAdd);
    for (const m of Msg.getModelsArray()) onAdd(m);
  });
