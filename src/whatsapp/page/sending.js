  // ---- sending ----

  /** The chat's group metadata, from the chat or the metadata collection (either home). */
  function groupMetadataOf(M, chat) {
    if (chat.groupMetadata) return chat.groupMetadata;
    const coll = (M.WAWebCollections && M.WAWebCollections.GroupMetadata) ||
      (M.WAWebGroupMetadataCollection && (M.WAWebGroupMetadataCollection.GroupMetadataCollection ||
        M.WAWebGroupMetadataCollection.default || M.WAWebGroupMetadataCollection));
    if (!coll || typeof coll.get !== 'function') return null;
    // A collection's get is synchronous; anything else is not metadata we can read.
    const meta = coll.get(chat.id);
    return meta && typeof meta.then !== 'function' ? meta : null;
  }

  /** The addressing rule: the own `@lid` for `@lid` chats and LID-mode groups, else the own number. */
  function senderFor(M, chat) {
    const meUser = M.WAWebUserPrefsMeUser;
    const meta = chat.id.isGroup() ? groupMetadataOf(M, chat) : null;
    const lidMode = chat.id.isLid() || !!(meta && meta.isLidAddressingMode);
    if (lidMode) {
      const lid = meUser.getMaybeMeLidUser && meUser.getMaybeMeLidUser();
      if (lid) return lid;
    }
    return meUser.getMaybeMePnUser();
  }

  function ephemeralFields(M, chat) {
    const utils = M.WAWebGetEphemeralFieldsMsgActionsUtils;
    if (!utils || typeof utils.getEphemeralFields !== 'function') return {};
    return utils.getEphemeralFields(chat) || {};
  }

  /** WhatsApp's canonical id for a phone number (it can differ from what was typed). */
  async function canonicalWid(M, wid) {
    const job = M.WAWebQueryExistsJob;
    if (!wid.isUser() || !job) return wid;
    const exists = await job.queryWidExists(wid);
    if (!exists) return null;
    return !wid.isLid() && exists.wid ? M.WAWebWidFactory.createWid(widStr(exists.wid)) : wid;
  }

  async function chatFor(M, wid) {
    const chat = M.WAWebCollections.Chat.get(wid);
    if (chat) return chat;
    const found = await M.WAWebFindChatAction.findOrCreateLatestChat(wid);
    return found && found.chat;
  }

  /** Success is the message's ack reaching 1; failure a negative ack. */
  function settledAck(model, ms) {
    return new Promise((resolve) => {
      const done = (ack) => { clearTimeout(timer); model.off('change:ack', onAck); resolve(ack); };
      const onAck = (_m, ack) => { if (ack >= 1 || ack < 0) done(ack); };
      const timer = setTimeout(() => done(model.ack), ms);
      model.on('change:ack', onAck);
      onAck(model, model.ack);
    });
  }

  /** The fields the parts of `spec` add to the message (see `sendParts`). */
  async function partFields(M, chat, spec) {
    const fields = {};
    for (const part of sendParts) Object.assign(fields, await part(M, chat, spec));
    return fields;
  }

  /** Sends `spec` (`{text, …parts}`) to `to`. */
  async function sendMessage(M, to, spec) {
    const body = spec.text;
    const { Msg } = M.WAWebCollections;
    const target = await canonicalWid(M, M.WAWebWidFactory.createWid(to));
    if (!target) return { ok: false, code: 'NOT_ON_WHATSAPP' };
    const chat = await chatFor(M, target);
    if (!chat) return { ok: false, code: 'CHAT_NOT_FOUND' };
    await markSeen(M, chat);
    const me = senderFor(M, chat);
    const MsgKey = M.WAWebMsgKey;
    const key = new MsgKey({
      from: me, to: chat.id, id: await MsgKey.newId(),
      participant: chat.id.isGroup() ? me : undefined, selfDir: 'out',
    });
    const t = Math.floor(Date.now() / 1000);
    const msg = Object.assign({
      id: key, ack: 0, body, type: 'chat', from: me, to: chat.id,
      local: true, self: 'out', t, isNewMsg: true,
    }, ephemeralFields(M, chat), await partFields(M, chat, spec));
    const [added, sent] = M.WAWebSendMsgChatAction.addAndSendMsgToChat(chat, msg);
    let failure = null;
    Promise.resolve(sent).catch((e) => { failure = String(e && e.message || e); });
    await added;
    const id = msgIdStr(key);
    const stored = Msg.get(id);
    const ack = stored ? await settledAck(stored, SEND_RESULT_TIMEOUT_MS) : 0;
    if (failure || ack < 0) {
      return { ok: false, code: 'SEND_FAILED', id, ack, detail: failure || 'ack ' + ack };
    }
    // A media message says what it carries, as a reported message does (page/media.js).
    const media = stored && stored.directPath ? (await serializeMsg(M, stored)).media : undefined;
    return { ok: true, id, t, ack: ack || 0, type: msg.type, media };
  }

  // Marking the chat read around a send is what a person does; failures here never block a send.
  async function markSeen(M, chat) {
    const stream = M.WAWebStreamModel && M.WAWebStreamModel.Stream;
    const unread = M.WAWebUpdateUnreadChatAction;
    try {
      if (stream) stream.markAvailable();
      if (unread) await unread.sendSeen({ chat, threadId: undefined });
      if (stream) stream.markUnavailable();
    } catch (_) { /* best effort */ }
  }

