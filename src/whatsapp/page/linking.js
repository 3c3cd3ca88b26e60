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
