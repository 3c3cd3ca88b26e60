  /** The command object; `send` answers null until the second phase is loaded. */
  const makeCommands = (M, phase) => ({
    async send(to, spec) {
      if (!phase.synced) return null;
      try {
        return await sendMessage(M, to, spec);
      } catch (e) {
        return { ok: false, code: (e && e.code) || 'DRIVER_ERROR', detail: String(e && e.message || e) };
      }
    },
    linkByPhone,
    /** Runs a feature operation: `{ok, value}` or `{ok: false, code, message}`; null before sync. */
    async call(name, args) {
      if (!phase.synced) return null;
      const op = OPS[name];
      if (!op) return { ok: false, code: 'UNKNOWN_OP', message: 'no operation ' + name };
      try {
        const value = await op(M, args || {});
        return { ok: true, value: value === undefined ? null : value };
      } catch (e) {
        return { ok: false, code: (e && e.code) || 'DRIVER_ERROR', message: String(e && e.message || e) };
      }
    },
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
    for (const hook of syncedHooks) {
      try {
        hook(M);
      } catch (e) {
        emit('error', { where: 'synced_hook', message: String(e && e.message || e) });
      }
    }
    phase.synced = true;
    emitReady(M);
  }

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
