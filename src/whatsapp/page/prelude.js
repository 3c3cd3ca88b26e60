// wa-gateway driver: injected into every document of a connection's page before the page's own
// scripts run. It touches only the WhatsApp Web surface documented in WA_WEB_SURFACE.md and
// WA_WEB_FEATURES.md, reports through one CDP binding (one JSON string per event) and exposes a
// small command object. The files of this folder are joined, in the order driver.rs lists them,
// into one function body: this prelude first, boot.js last; each feature file in between adds its
// operations with `defineOps`, its message fields with `messageFields` and its listeners with
// `whenSynced`, so that a feature lives in one file.
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


  // ---- extension points for the feature files ----

  /** Operations run by `call(name, args)`, each `async (M, args) => value` (JSON). */
  const OPS = {};
  const defineOps = (ops) => Object.assign(OPS, ops);

  /** An error whose `code` the gateway maps to an API error (NOT_FOUND, FORBIDDEN, …). */
  const opError = (code, message) => Object.assign(new Error(message), { code });

  /** A module of the second phase, required when an operation first needs it. */
  const need = (name) => {
    let m = null;
    try { m = window.require(name); } catch (_) { /* reported below */ }
    if (m == null) {
      emit('module_missing', { module: name });
      throw opError('INCOMPATIBLE', 'WhatsApp Web has no module ' + name);
    }
    return m;
  };

  /** Functions `async (M, msg) => ({...})` whose fields are merged into every reported message. */
  const messageFields = [];

  /**
   * Functions `async (M, chat, spec) => ({...})` that turn the parts of an outgoing message
   * (`spec.media`, `spec.location`, …) into WhatsApp message fields; merged after the text's own
   * fields, in order. A part that cannot be sent throws an `opError`.
   */
  const sendParts = [];

  /** Functions `(M) => void` run once the account has synced, after the message listeners. */
  const syncedHooks = [];
  const whenSynced = (hook) => syncedHooks.push(hook);
