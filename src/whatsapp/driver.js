// wa-gateway driver: injected into every document of a connection's page before the page's own
// scripts run. It touches only the WhatsApp Web surface documented in WA_WEB_SURFACE.md, reports
// through one CDP binding (one JSON string per event) and exposes a small command object.
(() => {
  'use strict';
  if (window.top !== window || window.__waGateway) return;

  const BINDING = '__waGatewayEmit';
  const BOOT_POLL_MS = 200;
  const BOOT_TIMEOUT_MS = 90000;
  const SEND_RESULT_TIMEOUT_MS = 20000;
  const TRANSIENT_STATES = ['OPENING', 'UNLAUNCHED', 'PAIRING'];
  const QR_STATES = ['UNPAIRED', 'UNPAIRED_IDLE'];

  const emit = (type, data) => {
    try {
      window[BINDING](JSON.stringify(Object.assign({ type }, data || {})));
    } catch (_) {
      // The binding is gone only while the browser shuts down; nothing to report to.
    }
  };

  // Every module is required on its own so that a renamed one is reported by name. WhatsApp Web
  // loads its modules in two phases: the linking ones are there at boot, the rest only after login,
  // so the rest is required once the account has synced.
  const LINKING_REQUIRED = [
    'WAWebSocketModel', 'WAWebConnModel', 'WAWebCmd', 'WABase64', 'WAWebSignalStoreApi',
    'WAWebUserPrefsInfoStore', 'WAWebCompanionRegClientUtils', 'WAWebUserPrefsMeUser',
  ];
  // The ADV secret moved to WAWebUserPrefsMultiDevice; WAWebAdvSignatureApi is its old home.
  const LINKING_OPTIONAL = ['WAWebOfflineHandler', 'WAWebUserPrefsMultiDevice', 'WAWebAdvSignatureApi'];
  const SYNCED_REQUIRED = [
    'WAWebCollections', 'WAWebWidFactory', 'WAWebFindChatAction', 'WAWebMsgKey', 'WAWebSendMsgChatAction',
  ];
  const SYNCED_OPTIONAL = [
    'WAWebUpdateUnreadChatAction', 'WAWebStreamModel', 'WAWebQueryExistsJob', 'WAWebApiContact',
    'WAWebGetEphemeralFieldsMsgActionsUtils', 'WAWebGroupMetadataCollection',
  ];

  /** Requires each name; a missing required one is reported by name and fails the whole set. */
  const requireModules = (required, optional) => {
    const mods = {};
    for (const name of required.concat(optional)) {
      try {
        const m = window.require(name);
        if (m == null) throw new Error('empty module');
        mods[name] = m;
      } catch (e) {
        if (required.includes(name)) {
          emit('incompatible', { module: name });
          return null;
        }
        emit('module_missing', { module: name });
      }
    }
    return mods;
  };

  /** The module that holds `getADVSecretKey`: the current home first, then the old one. */
  const advSecretHome = (M) => ['WAWebUserPrefsMultiDevice', 'WAWebAdvSignatureApi']
    .map((name) => M[name])
    .find((m) => m && typeof m.getADVSecretKey === 'function') || null;

  const widStr = (w) => (w == null ? null : (w._serialized || String(w)));
  const msgIdStr = (id) => (id == null ? null : (id._serialized || String(id)));
  const phoneOf = (w) => (w && typeof w === 'object' && w.user ? String(w.user) : null);

  const waitForVersion = () => new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const v = window.Debug && window.Debug.VERSION;
      if (v && typeof window.require === 'function') return resolve(String(v));
      if (Date.now() - started > BOOT_TIMEOUT_MS) return reject(new Error('boot timeout'));
      setTimeout(tick, BOOT_POLL_MS);
    };
    tick();
  });

  // ---- linking: QR, states, logout, loading (the modules of the first phase) ----

  function attachLinking(M, onSynced) {
    const Socket = M.WAWebSocketModel.Socket;
    const Conn = M.WAWebConnModel.Conn;
    const Cmd = M.WAWebCmd.Cmd;
    let qrKeys = null;

    const qrSuffix = async () => {
      if (qrKeys) return qrKeys;
      const reg = await M.WAWebSignalStoreApi.waSignalStore.getRegistrationInfo();
      const noise = await M.WAWebUserPrefsInfoStore.waNoiseInfo.get();
      const b64 = M.WABase64.encodeB64;
      const adv = await advSecretHome(M).getADVSecretKey();
      const platform = M.WAWebCompanionRegClientUtils.DEVICE_PLATFORM;
      qrKeys = [b64(noise.staticKeyPair.pubKey), b64(reg.identityKeyPair.pubKey), adv, platform];
      return qrKeys;
    };

    const emitQr = async (ref) => {
      if (!ref || !QR_STATES.includes(Socket.state) || byPhone.active) return;
      try {
        emit('qr', { qr: [ref].concat(await qrSuffix()).join(',') });
      } catch (e) {
        emit('error', { where: 'qr', message: String(e && e.message || e) });
      }
    };

    Socket.on('change:state', (_model, state) => {
      emit('change_state', { state });
      if (state === 'UNPAIRED_IDLE') Cmd.refreshQR();
      if (QR_STATES.includes(state)) emitQr(Conn.ref);
    });
    Socket.on('change:hasSynced', (_model, synced) => { if (synced) onSynced(); });
    Conn.on('change:ref', (_model, ref) => emitQr(ref));
    Cmd.on('logout', () => emit('logout', { source: 'logout' }));
    Cmd.on('logout_from_bridge', () => emit('logout', { source: 'logout_from_bridge' }));
    Cmd.on('offline_progress_update_from_bridge', () => {
      const off = M.WAWebOfflineHandler;
      if (!off) return;
      try {
        emit('loading', { percent: off.OfflineMessageHandler.getOfflineDeliveryProgress() });
      } catch (_) { /* progress is cosmetic */ }
    });

    emit('change_state', { state: Socket.state });
    if (Socket.hasSynced) onSynced();
    else if (Socket.state === 'UNPAIRED_IDLE') Cmd.refreshQR();
    else if (QR_STATES.includes(Socket.state)) emitQr(Conn.ref);
  }

  function emitReady(M) {
    const meUser = M.WAWebUserPrefsMeUser;
    const me = meUser.getMaybeMePnUser();
    let lid = null;
    try { lid = widStr(meUser.getMaybeMeLidUser && meUser.getMaybeMeLidUser()); } catch (_) { /* optional */ }
    const Conn = M.WAWebConnModel.Conn;
    const profile = Conn.serialize ? Conn.serialize() : {};
    emit('authenticated', {});
    emit('ready', {
      number: phoneOf(me),
      lid,
      pushname: profile.pushname || null,
      platform: profile.platform || null,
    });
  }

  // ---- messages (the modules of the second phase) ----

  async function knownPhone(Api, wid) {
    const pn = await Promise.resolve(Api.getPhoneNumber(wid));
    if (pn && typeof pn === 'object') return phoneOf(pn);
    return pn ? String(pn).split('@')[0] : null;
  }

  /**
   * An `@lid` sender's phone only when WhatsApp knows it: `getPhoneNumber`, else what a
   * `queryWidExists` on the lid teaches; never guessed from the lid (null = unknown).
   */
  async function senderPhone(M, wid) {
    if (!wid || typeof wid.isLid !== 'function' || !wid.isLid()) return phoneOf(wid);
    const Api = M.WAWebApiContact;
    if (!Api || typeof Api.getPhoneNumber !== 'function') return null;
    try {
      const known = await knownPhone(Api, wid);
      if (known || !M.WAWebQueryExistsJob) return known;
      await M.WAWebQueryExistsJob.queryWidExists(wid);
      return await knownPhone(Api, wid);
    } catch (_) {
      return null;
    }
  }

  async function serializeMsg(M, m) {
    const fromMe = !!(m.id && m.id.fromMe);
    const sender = m.author || m.from;
    return {
      id: msgIdStr(m.id),
      fromMe,
      from: widStr(m.from),
      to: widStr(m.to),
      author: widStr(m.author),
      chatId: widStr(m.id && m.id.remote) || widStr(fromMe ? m.to : m.from),
      type: m.type,
      body: typeof m.body === 'string' ? m.body : null,
      t: m.t,
      notifyName: m.notifyName || null,
      senderPhone: fromMe ? null : await senderPhone(M, sender),
      quotedId: m.quotedMsg && m.quotedMsg.id ? msgIdStr(m.quotedMsg.id) : (m.quotedStanzaID || null),
      hasMedia: !!m.directPath,
      ack: m.ack,
    };
  }

  function attachMessages(M) {
    const { Msg } = M.WAWebCollections;
    const report = async (m) => {
      const message = await serializeMsg(M, m);
      emit(message.fromMe ? 'message_create' : 'message', { message });
    };
    const onAdd = (m) => {
      if (m.isNewMsg !== true) return;
      if (m.type === 'ciphertext') {
        m.once('change:type', (resolved) => report(resolved || m));
        return;
      }
      report(m);
    };
    Msg.on('add', onAdd);
    // Unknown ack values (-7..-2, 5, …) are passed through as they are.
    Msg.on('change:ack', (m, ack) => {
      emit('message_ack', { id: msgIdStr(m.id), ack, chatId: widStr(m.id && m.id.remote) || widStr(m.to) });
    });
    // Messages that arrived during the sync, before these modules could be required.
    for (const m of Msg.getModelsArray()) onAdd(m);
  }

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

  async function sendText(M, to, body) {
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
    }, ephemeralFields(M, chat));
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
    return { ok: true, id, t, ack: ack || 0 };
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

  /** The command object; `send` answers null until the second phase is loaded. */
  const makeCommands = (M, phase) => ({
    async send(to, body) {
      if (!phase.synced) return null;
      try {
        return await sendText(M, to, body);
      } catch (e) {
        return { ok: false, code: 'DRIVER_ERROR', detail: String(e && e.message || e) };
      }
    },
    linkByPhone,
    logout() {
      M.WAWebSocketModel.Socket.logout();
      return true;
    },
    state() {
      const S = M.WAWebSocketModel.Socket;
      return { state: S.state, hasSynced: !!S.hasSynced };
    },
  });

  /** After sync: the second phase's modules, the message listeners, then `ready`. */
  function onSynced(M, phase) {
    if (phase.synced || phase.failed) return;
    const late = requireModules(SYNCED_REQUIRED, SYNCED_OPTIONAL);
    if (!late) { phase.failed = true; return; }
    Object.assign(M, late);
    try {
      attachMessages(M);
    } catch (e) {
      phase.failed = true;
      emit('incompatible', { module: 'listeners (' + String(e && e.message || e) + ')' });
      return;
    }
    phase.synced = true;
    emitReady(M);
  }

  // ---- Link by phone number (WA_WEB_FEATURES.md section 7) ----
  // The page asks WhatsApp for an 8-character code that is typed on the phone instead of scanning a
  // QR. The first code is the command's answer; a new one is emitted (`pairing_code`) whenever
  // WhatsApp wants one: on its refresh event where the build has it, and at the latest when a code
  // is about to lapse (codes live about 3.25 min). It stops once the page is past the linking screen.
  const PAIRING_CODE_INTERVAL_MS = 180000;
  const byPhone = { active: false, timer: null, following: false, refresh: null };

  const pairingCode = async (phone) => {
    const api = window.require('WAWebAltDeviceLinkingApi');
    api.setPairingType('ALT_DEVICE_LINKING');
    await api.initializeAltDeviceLinking();
    return String(await api.startAltLinkingFlow(phone, true));
  };

  const stillLinking = () => {
    try {
      return QR_STATES.includes(window.require('WAWebSocketModel').Socket.state);
    } catch (_) {
      return false;
    }
  };

  // Optional: builds that have it say when they want a new code (`WAWebLinkDeviceEvents`).
  const followRefreshEvents = () => {
    if (byPhone.following) return;
    try {
      const events = window.require('WAWebLinkDeviceEvents').WAWebLinkDeviceEvents;
      if (!events || typeof events.on !== 'function') return;
      events.on('link_device_events:refresh_alt_linking_code', () => byPhone.refresh && byPhone.refresh());
      byPhone.following = true;
    } catch (_) { /* the interval refreshes the code anyway */ }
  };

  async function linkByPhone(phone) {
    try {
      byPhone.active = true;
      clearInterval(byPhone.timer);
      const code = await pairingCode(phone);
      byPhone.refresh = () => {
        if (!stillLinking()) { clearInterval(byPhone.timer); return; }
        pairingCode(phone).then(
          (next) => emit('pairing_code', { code: next }),
          (e) => emit('error', { where: 'pairing_code', message: String(e && e.message || e) }));
      };
      byPhone.timer = setInterval(byPhone.refresh, PAIRING_CODE_INTERVAL_MS);
      followRefreshEvents();
      return { code };
    } catch (e) {
      return { error: String(e && e.message || e) };
    }
  }

  waitForVersion().then((version) => {
    emit('boot', { version });
    const M = requireModules(LINKING_REQUIRED, LINKING_OPTIONAL);
    if (!M) return;
    if (!advSecretHome(M)) {
      emit('incompatible', { module: 'WAWebUserPrefsMultiDevice' });
      return;
    }
    const phase = { synced: false, failed: false };
    window.__waGateway = makeCommands(M, phase);
    try {
      attachLinking(M, () => onSynced(M, phase));
    } catch (e) {
      // A module whose members changed shape is as incompatible as a missing one.
      emit('incompatible', { module: 'listeners (' + String(e && e.message || e) + ')' });
    }
  }, (e) => emit('boot_timeout', { message: String(e && e.message || e) }));
})();
