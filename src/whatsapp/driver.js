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

  // Every module is required on its own so that a renamed one is reported by name.
  const REQUIRED = [
    'WAWebSocketModel', 'WAWebConnModel', 'WAWebCmd', 'WABase64', 'WAWebSignalStoreApi',
    'WAWebUserPrefsInfoStore', 'WAWebAdvSignatureApi', 'WAWebCompanionRegClientUtils',
    'WAWebUserPrefsMeUser', 'WAWebCollections', 'WAWebWidFactory', 'WAWebFindChatAction',
    'WAWebMsgKey', 'WAWebSendMsgChatAction',
  ];
  const OPTIONAL = [
    'WAWebOfflineHandler', 'WAWebUpdateUnreadChatAction', 'WAWebStreamModel',
    'WAWebQueryExistsJob', 'WAWebApiContact',
  ];

  const loadModules = () => {
    const mods = {};
    for (const name of REQUIRED.concat(OPTIONAL)) {
      try {
        const m = window.require(name);
        if (m == null) throw new Error('empty module');
        mods[name] = m;
      } catch (e) {
        if (REQUIRED.includes(name)) {
          emit('incompatible', { module: name });
          return null;
        }
        emit('module_missing', { module: name });
      }
    }
    return mods;
  };

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

  const withTimeout = (promise, ms) => Promise.race([
    promise,
    new Promise((resolve) => setTimeout(() => resolve({ __timedOut: true }), ms)),
  ]);

  async function attach(M) {
    const Socket = M.WAWebSocketModel.Socket;
    const Conn = M.WAWebConnModel.Conn;
    const Cmd = M.WAWebCmd.Cmd;
    const { Msg } = M.WAWebCollections;
    const Api = M.WAWebApiContact;

    let readyEmitted = false;
    let qrKeys = null;

    const qrSuffix = async () => {
      if (qrKeys) return qrKeys;
      const reg = await M.WAWebSignalStoreApi.waSignalStore.getRegistrationInfo();
      const noise = await M.WAWebUserPrefsInfoStore.waNoiseInfo.get();
      const b64 = M.WABase64.encodeB64;
      const adv = await M.WAWebAdvSignatureApi.getADVSecretKey();
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

    const emitReady = () => {
      if (readyEmitted) return;
      readyEmitted = true;
      const meUser = M.WAWebUserPrefsMeUser;
      const me = meUser.getMaybeMePnUser();
      let lid = null;
      try { lid = widStr(meUser.getMaybeMeLidUser && meUser.getMaybeMeLidUser()); } catch (_) { /* optional */ }
      const profile = Conn.serialize ? Conn.serialize() : {};
      emit('authenticated', {});
      emit('ready', {
        number: phoneOf(me),
        lid,
        pushname: profile.pushname || null,
        platform: profile.platform || null,
      });
    };

    const senderPhone = async (wid) => {
      if (!wid || typeof wid.isLid !== 'function' || !wid.isLid()) return phoneOf(wid);
      if (!Api || typeof Api.getPhoneNumber !== 'function') return null;
      try {
        const pn = await Promise.resolve(Api.getPhoneNumber(wid));
        if (pn && typeof pn === 'object') return phoneOf(pn);
        return pn ? String(pn).split('@')[0] : null;
      } catch (_) {
        return null;
      }
    };

    const serializeMsg = async (m) => {
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
        senderPhone: fromMe ? null : await senderPhone(sender),
        quotedId: m.quotedMsg && m.quotedMsg.id ? msgIdStr(m.quotedMsg.id) : (m.quotedStanzaID || null),
        hasMedia: !!m.directPath,
        ack: m.ack,
      };
    };

    const reportMsg = async (m) => {
      const message = await serializeMsg(m);
      emit(message.fromMe ? 'message_create' : 'message', { message });
    };

    Socket.on('change:state', (_model, state) => {
      emit('change_state', { state });
      if (state === 'UNPAIRED_IDLE') Cmd.refreshQR();
      if (QR_STATES.includes(state)) emitQr(Conn.ref);
    });
    Socket.on('change:hasSynced', (_model, synced) => { if (synced) emitReady(); });
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

    Msg.on('add', (m) => {
      if (m.isNewMsg !== true) return;
      if (m.type === 'ciphertext') {
        m.once('change:type', (resolved) => reportMsg(resolved || m));
        return;
      }
      reportMsg(m);
    });
    Msg.on('change:ack', (m, ack) => {
      emit('message_ack', { id: msgIdStr(m.id), ack, chatId: widStr(m.id && m.id.remote) || widStr(m.to) });
    });

    emit('change_state', { state: Socket.state });
    if (Socket.hasSynced) emitReady();
    else if (Socket.state === 'UNPAIRED_IDLE') Cmd.refreshQR();
    else if (QR_STATES.includes(Socket.state)) emitQr(Conn.ref);
    return { Socket, Conn, Cmd, Msg };
  }

  const makeCommands = (M) => ({
    async send(to, body) {
      try {
        const { Chat, Msg } = M.WAWebCollections;
        const wid = M.WAWebWidFactory.createWid(to);
        if (wid.isUser() && M.WAWebQueryExistsJob) {
          const exists = await M.WAWebQueryExistsJob.queryWidExists(wid);
          if (!exists) return { ok: false, code: 'NOT_ON_WHATSAPP' };
        }
        let chat = Chat.get(wid);
        if (!chat) {
          const found = await M.WAWebFindChatAction.findOrCreateLatestChat(wid);
          chat = found && found.chat;
        }
        if (!chat) return { ok: false, code: 'CHAT_NOT_FOUND' };
        await markSeen(M, chat);
        const me = M.WAWebUserPrefsMeUser.getMaybeMePnUser();
        const MsgKey = M.WAWebMsgKey;
        const key = new MsgKey({
          from: me,
          to: chat.id,
          id: await MsgKey.newId(),
          participant: chat.id.isGroup() ? me : undefined,
          selfDir: 'out',
        });
        const t = Math.floor(Date.now() / 1000);
        const msg = {
          id: key, ack: 0, body, type: 'chat', from: me, to: chat.id,
          local: true, self: 'out', t, isNewMsg: true,
        };
        const [added, sent] = M.WAWebSendMsgChatAction.addAndSendMsgToChat(chat, msg);
        await added;
        const id = key._serialized || key.toString();
        let result;
        try {
          result = await withTimeout(sent, SEND_RESULT_TIMEOUT_MS);
        } catch (e) {
          return { ok: false, code: 'SEND_FAILED', id, detail: String(e && e.message || e) };
        }
        const stored = Msg.get(id);
        const sendResult = result && result.messageSendResult;
        if ((sendResult && sendResult !== 'OK') || (stored && stored.ack < 0)) {
          return { ok: false, code: 'SEND_FAILED', id, detail: String(sendResult || 'ack ' + stored.ack) };
        }
        return { ok: true, id, t, ack: stored ? stored.ack : 0 };
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

  waitForVersion().then(async (version) => {
    emit('boot', { version });
    const M = loadModules();
    if (!M) return;
    window.__waGateway = makeCommands(M);
    try {
      await attach(M);
    } catch (e) {
      // A module whose members changed shape is as incompatible as a missing one.
      emit('incompatible', { module: 'listeners (' + String(e && e.message || e) + ')' });
    }
  }, (e) => emit('boot_timeout', { message: String(e && e.message || e) }));
})();
