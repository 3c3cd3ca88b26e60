  // ---- chats: the chat list, history from the phone, archive/pin, chat events ----
  // WA_WEB_FEATURES.md §5 (chat list, messages of a chat, archive/pin) and §8 (chat events).

  /** Pages asked of the phone per history request before giving up on more. */
  const HISTORY_ASKS = 20;
  /** How long the phone may take to upload more history after a request. */
  const HISTORY_WAIT_MS = 10000;
  const HISTORY_POLL_MS = 150;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function chatOr404(M, chatId) {
    const chat = M.WAWebCollections.Chat.get(M.WAWebWidFactory.createWid(chatId));
    if (!chat) throw opError('NOT_FOUND', 'No chat ' + chatId);
    return chat;
  }

  function lastMessageOf(M, chat) {
    const key = chat.lastReceivedKey;
    const found = key && M.WAWebCollections.Msg.get(msgIdStr(key));
    if (found) return found;
    const msgs = chat.msgs ? chat.msgs.getModelsArray() : [];
    return msgs.length ? msgs[msgs.length - 1] : null;
  }

  async function serializeChat(M, chat) {
    const meta = chat.id.isGroup() ? groupMetadataOf(M, chat) : null;
    const mute = chat.mute || {};
    const last = lastMessageOf(M, chat);
    return {
      id: widStr(chat.id),
      name: chat.formattedTitle || chat.name || (chat.id && chat.id.user) || null,
      isGroup: chat.id.isGroup(),
      unreadCount: chat.unreadCount > 0 ? chat.unreadCount : 0,
      markedUnread: chat.unreadCount < 0,
      t: chat.t || null,
      archived: !!chat.archive,
      pinned: !!chat.pin,
      isMuted: !!mute.expiration && mute.expiration !== 0,
      muteExpiration: mute.expiration || 0,
      isReadOnly: !!(meta && meta.announce),
      isLocked: !!chat.isLocked,
      lastMessage: last ? await serializeMsg(M, last) : null,
    };
  }

  /** `loadEarlierMsgs({chat})`; builds before April 2026 took `(chat, chat.msgs)`. */
  async function loadEarlier(M, chat) {
    const L = need('WAWebChatLoadMessages');
    try {
      return await L.loadEarlierMsgs({ chat, msgCollection: chat.msgs });
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      return L.loadEarlierMsgs(chat, chat.msgs);
    }
  }

  /** Loads one earlier page; true when memory grew. */
  async function loadedMore(M, chat) {
    const before = chat.msgs.length;
    const got = await loadEarlier(M, chat);
    return !!(got && got.length) && chat.msgs.length > before;
  }

  /** Asks the phone for more history (only while it says it has more) and waits for it. */
  async function askPhone(M, chat) {
    if (chat.endOfHistoryTransferType !== 0) return false;
    const R = need('WAWebSendNonMessageDataRequest');
    await R.sendPeerDataOperationRequest(3, { chatId: chat.id });
    const until = Date.now() + HISTORY_WAIT_MS;
    while (Date.now() < until) {
      if (await loadedMore(M, chat)) return true;
      if (chat.endOfHistoryTransferType !== 0) return false;
      await sleep(HISTORY_POLL_MS);
    }
    return false;
  }

  /** Memory only, without system notices, oldest first. */
  function historyInMemory(chat) {
    return chat.msgs.getModelsArray()
      .filter((m) => !m.isNotification)
      .map((m, i) => ({ m, i }))
      .sort((a, b) => ((a.m.t || 0) - (b.m.t || 0)) || (a.i - b.i))
      .map((x) => x.m);
  }

  /** Messages older than the one with id `before` (all when null); null if it is not loaded. */
  function olderThan(chat, before) {
    const list = historyInMemory(chat);
    if (!before) return list;
    const at = list.findIndex((m) => msgIdStr(m.id) === before);
    return at < 0 ? null : list.slice(0, at);
  }

  async function chatHistory(M, chatId, before, limit) {
    const chat = chatOr404(M, chatId);
    let asks = 0;
    let older = olderThan(chat, before);
    while (!older || older.length <= limit) {
      const grew = (await loadedMore(M, chat)) || (asks++ < HISTORY_ASKS && (await askPhone(M, chat)));
      older = olderThan(chat, before);
      if (!grew) break;
    }
    if (!older) throw opError('INVALID_REQUEST', 'before: no message ' + before + ' in chat ' + chatId);
    const page = older.slice(-limit).reverse();
    const messages = [];
    for (const m of page) messages.push(await serializeMsg(M, m));
    return { messages, more: older.length > limit };
  }

  async function setChat(M, chatId, action) {
    const chat = chatOr404(M, chatId);
    const Cmd = M.WAWebCmd.Cmd;
    try {
      if (action === 'archive' || action === 'unarchive') await Cmd.archiveChat(chat, action === 'archive');
      else if (action === 'pin' || action === 'unpin') await Cmd.pinChat(chat, action === 'pin');
      else throw opError('INVALID_REQUEST', 'unknown chat action ' + action);
    } catch (e) {
      if (e && e.code) throw e;
      // WhatsApp's own refusal (e.g. the pin limit) is a conflict with the chat's state.
      throw opError('CONFLICT', String(e && e.message || e));
    }
    return serializeChat(M, chat);
  }

  defineOps({
    'chats.list': async (M) => {
      const out = [];
      for (const chat of M.WAWebCollections.Chat.getModelsArray()) out.push(await serializeChat(M, chat));
      return out;
    },
    'chats.get': async (M, a) => serializeChat(M, chatOr404(M, a.chatId)),
    'chats.messages': async (M, a) => chatHistory(M, a.chatId, a.before || null, a.limit || 50),
    'chats.set': async (M, a) => setChat(M, a.chatId, a.action),
  });

  whenSynced((M) => {
    const { Chat } = M.WAWebCollections;
    Chat.on('change:archive', (chat, now) => {
      emit('chat_archived', { chatId: widStr(chat.id), archived: !!now });
    });
    Chat.on('remove', (chat) => emit('chat_removed', { chatId: widStr(chat.id) }));
  });
