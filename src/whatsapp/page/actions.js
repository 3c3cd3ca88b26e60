  // ---- acting on messages and chats: reactions, edits, deletes, votes, reads, typing, presence ----
  // WA_WEB_FEATURES.md §3-4 (operations) and §8 (the events: wrapped addon tables, Msg changes).

  async function mustFind(M, id) {
    const msg = await findMsg(M, id);
    if (!msg) throw opError('NOT_FOUND', 'WhatsApp Web has no message ' + id);
    return msg;
  }

  const GONE = ['revoked', 'ciphertext'];

  /** WhatsApp's own refusal of an action, with its message. */
  const refused = (e) => (e && e.code ? e : opError('WHATSAPP_REFUSED', String(e && e.message || e)));

  /** Runs WhatsApp's call; whatever it throws or rejects with is its refusal. */
  const attempt = (call) => Promise.resolve().then(call).catch((e) => { throw refused(e); });

  async function react(M, { id, emoji }) {
    const msg = await mustFind(M, id);
    if (GONE.includes(msg.type)) throw opError('CONFLICT', 'WhatsApp does not allow reacting to a ' + msg.type + ' message');
    const action = need('WAWebSendReactionMsgAction');
    await attempt(() => action.sendReactionToMsg(msg, emoji));
    return { messageId: id, emoji };
  }

  async function edit(M, { id, text }) {
    const msg = await mustFind(M, id);
    if (!msg.id.fromMe) throw opError('FORBIDDEN', 'Only your own messages can be edited');
    const can = need('WAWebMsgActionCapability');
    if (!can.canEditText(msg) && !can.canEditCaption(msg)) {
      throw opError('CONFLICT', 'WhatsApp no longer allows editing this message (texts and captions, within 15 minutes)');
    }
    const action = need('WAWebSendMessageEditAction');
    await attempt(() => action.sendMessageEdit(msg, text, {}));
    const edited = (await findMsg(M, id)) || msg;
    return { messageId: id, body: edited.type === 'chat' ? edited.body : (edited.caption || null) };
  }

  async function remove(M, { id, everyone }) {
    const msg = await mustFind(M, id);
    const chat = await chatFor(M, msg.id.remote);
    if (!chat) throw opError('NOT_FOUND', 'WhatsApp Web has no chat for message ' + id);
    const { Cmd } = M.WAWebCmd;
    const selection = { list: [msg], type: 'message' };
    if (!everyone) {
      await attempt(() => Cmd.sendDeleteMsgs(chat, selection, true));
      return { messageId: id, for: 'me' };
    }
    const can = need('WAWebMsgActionCapability');
    if (!can.canSenderRevokeMsg(msg) && !can.canAdminRevokeMsg(msg)) {
      if (!msg.id.fromMe) throw opError('FORBIDDEN', "Only your own messages (or, as a group admin, members' ones) can be deleted for everyone");
      throw opError('CONFLICT', 'WhatsApp no longer allows deleting this message for everyone');
    }
    await attempt(() => Cmd.sendRevokeMsgs(chat, selection, { clearMedia: true }));
    return { messageId: id, for: 'everyone' };
  }

  async function vote(M, { id, options }) {
    const poll = await mustFind(M, id);
    if (poll.type !== 'poll_creation') throw opError('INVALID_REQUEST', 'Message ' + id + ' is not a poll');
    const byName = new Map((poll.pollOptions || []).map((o) => [o.name, o.localId]));
    const unknown = options.filter((name) => !byName.has(name));
    if (unknown.length) throw opError('INVALID_REQUEST', 'The poll has no option ' + JSON.stringify(unknown[0]));
    if (poll.pollSelectableOptionsCount === 1 && options.length > 1) {
      throw opError('INVALID_REQUEST', 'This poll allows one option only');
    }
    const ids = new Set(options.map((name) => byName.get(name)));
    const action = need('WAWebPollsSendVoteMsgAction');
    await attempt(() => action.sendVote(poll, ids));
    return { messageId: id, options };
  }

  async function chatOf(M, id) {
    const chat = await chatFor(M, M.WAWebWidFactory.createWid(id));
    if (!chat) throw opError('NOT_FOUND', 'WhatsApp Web has no chat ' + id);
    return chat;
  }

  async function read(M, { chat }) {
    const model = await chatOf(M, chat);
    const stream = M.WAWebStreamModel && M.WAWebStreamModel.Stream;
    if (stream) stream.markAvailable();
    try {
      await need('WAWebUpdateUnreadChatAction').sendSeen({ chat: model, threadId: undefined });
    } catch (e) {
      throw refused(e);
    } finally {
      if (stream) stream.markUnavailable();
    }
    return { chatId: widStr(model.id) };
  }

  const CHAT_STATES = { typing: 'sendChatStateComposing', recording: 'sendChatStateRecording', paused: 'sendChatStatePaused' };

  /** Chat states take a Wid, not a chat. */
  async function typing(M, { chat, state }) {
    const member = CHAT_STATES[state];
    if (!member) throw opError('INVALID_REQUEST', 'state is typing, recording or paused');
    const bridge = need('WAWebChatStateBridge');
    await attempt(() => bridge[member](M.WAWebWidFactory.createWid(chat)));
    return { chatId: chat, state };
  }

  async function presence(_M, { available }) {
    const action = need('WAWebPresenceChatAction');
    await attempt(() => (available ? action.sendPresenceAvailable() : action.sendPresenceUnavailable()));
    return { available: !!available };
  }

  /** Per recipient: when WhatsApp says it was delivered, read and played (unix seconds). */
  async function receipts(M, { id }) {
    const msg = await mustFind(M, id);
    if (!msg.id.fromMe) throw opError('CONFLICT', 'WhatsApp keeps receipts for your own messages only');
    const store = need('WAWebApiMessageInfoStore');
    const info = await attempt(() => store.queryMsgInfo(msg.id));
    if (!info) throw opError('NOT_FOUND', 'WhatsApp has no receipts for message ' + id);
    const rows = new Map();
    const add = (list, step) => {
      for (const r of list || []) {
        const wid = widStr(r.id);
        const row = rows.get(wid) || { id: wid, phone: phoneOf(r.id) || wid.split('@')[0], delivered: null, read: null, played: null };
        row[step] = r.t == null ? null : r.t;
        rows.set(wid, row);
      }
    };
    add(info.delivery, 'delivered');
    add(info.read, 'read');
    add(info.played, 'played');
    return {
      recipients: [...rows.values()],
      deliveryRemaining: info.deliveryRemaining == null ? null : info.deliveryRemaining,
      readRemaining: info.readRemaining == null ? null : info.readRemaining,
      playedRemaining: info.playedRemaining == null ? null : info.playedRemaining,
    };
  }

  defineOps({
    'actions.react': react,
    'actions.edit': edit,
    'actions.delete': remove,
    'actions.vote': vote,
    'actions.read': read,
    'actions.typing': typing,
    'actions.presence': presence,
    'actions.receipts': receipts,
  });

  // ---- events ----

  /** A small bounded memory (insertion order): the oldest entries go first. */
  const boundedMap = (cap) => {
    const map = new Map();
    return {
      get: (k) => map.get(k),
      has: (k) => map.has(k),
      set(k, v) {
        map.delete(k);
        map.set(k, v);
        if (map.size > cap) map.delete(map.keys().next().value);
      },
    };
  };

  /**
   * Wraps `holder[fn]` as injectors do: the callback sees each row first, then the original runs
   * with the holder as `this` (also when the callback throws).
   */
  function wrapRows(holder, fn, each) {
    const original = holder[fn];
    if (typeof original !== 'function') throw new Error(fn + ' is not a function');
    holder[fn] = function (rows, ...rest) {
      try {
        for (const row of rows || []) each(row);
      } catch (e) {
        emit('error', { where: fn, message: String(e && e.message || e) });
      }
      return original.call(this, rows, ...rest);
    };
  }

  /** Wraps an addon table's `bulkUpsert`, or reports the module missing. */
  function wrapTable(moduleName, table, each) {
    let mod = null;
    try { mod = window.require(moduleName); } catch (_) { /* reported below */ }
    if (!mod || !mod[table]) {
      emit('module_missing', { module: moduleName });
      return;
    }
    wrapRows(mod[table], 'bulkUpsert', each);
  }

  const keyRemote = (key) => (key && key.remote ? widStr(key.remote) : null);

  function attachReactions(M) {
    // WhatsApp re-upserts a row when it is marked read: report each (row, emoji) once.
    const seen = boundedMap(2000);
    wrapTable('WAWebAddonReactionTableMode', 'reactionTableMode', (row) => {
      const dedupe = msgIdStr(row.id) + '|' + row.reactionText;
      if (seen.has(dedupe)) return;
      seen.set(dedupe, true);
      const sender = row.author || row.from;
      senderPhone(M, sender).then((phone) => emit('reaction', {
        messageId: msgIdStr(row.reactionParentKey), chatId: keyRemote(row.reactionParentKey),
        emoji: row.reactionText || '', sender: widStr(sender), senderPhone: phone,
        fromMe: !!(row.id && row.id.fromMe), t: row.reactionTimestamp == null ? null : row.reactionTimestamp,
      }));
    });
  }

  function attachVotes(M) {
    const seen = boundedMap(2000);
    wrapTable('WAWebAddonPollVoteTableMode', 'pollVoteTableMode', (row) => {
      const dedupe = msgIdStr(row.id) + '|' + JSON.stringify(row.selectedOptionLocalIds || []);
      if (seen.has(dedupe)) return;
      seen.set(dedupe, true);
      const pollId = msgIdStr(row.pollUpdateParentKey);
      const poll = M.WAWebCollections.Msg.get(pollId);
      const names = new Map(((poll && poll.pollOptions) || []).map((o) => [o.localId, o.name]));
      const voter = row.author || row.sender || row.from;
      senderPhone(M, voter).then((phone) => emit('poll_vote', {
        pollId, chatId: keyRemote(row.pollUpdateParentKey), voter: widStr(voter), voterPhone: phone,
        selectedOptions: (row.selectedOptionLocalIds || []).map((id) => (names.has(id) ? names.get(id) : String(id))),
        fromMe: !!(row.id && row.id.fromMe), t: row.senderTimestampMs == null ? null : row.senderTimestampMs,
      }));
    });
  }

  /**
   * Edits change `body`/`caption` in place (the model gains `latestEditMsgKey`); a revoke turns the
   * same model into `revoked` with its body gone, so the bodies are remembered here.
   */
  function attachChanges(M) {
    const { Msg } = M.WAWebCollections;
    const bodies = boundedMap(5000);
    const remember = (m) => bodies.set(msgIdStr(m.id), { type: m.type, body: m.body || m.caption || null });
    const base = (m) => ({
      id: msgIdStr(m.id), chatId: keyRemote(m.id), fromMe: !!(m.id && m.id.fromMe),
      author: widStr(m.author || m.from),
    });
    Msg.on('change:body change:caption', (m, now, prev) => {
      const edited = m.latestEditMsgKey || m.latestEditSenderTimestampMs;
      if (m.type !== 'revoked' && edited) {
        emit('message_edit', Object.assign(base(m), {
          oldText: prev == null ? null : String(prev), newText: now == null ? null : String(now),
          t: m.latestEditSenderTimestampMs || null,
        }));
      }
      if (m.type !== 'revoked') remember(m);
    });
    Msg.on('change:type', (m, type, prev) => {
      // A message still being decrypted that turns out revoked was never seen: nothing to report.
      if (type !== 'revoked' || prev === 'ciphertext') return;
      const old = bodies.get(msgIdStr(m.id)) || null;
      emit('message_revoke', Object.assign(base(m), { previous: old, t: m.revokeTimestamp || null }));
    });
    Msg.on('add', remember);
    for (const m of Msg.getModelsArray()) remember(m);
  }

  whenSynced((M) => {
    attachReactions(M);
    attachVotes(M);
    attachChanges(M);
  });
