  // ---- offline delivery: messages that came in while the page was loading ----
  // WhatsApp delivers what it held for the device while it was away during the offline resume,
  // before `hasSynced`, so before the `Msg` `add` listener is attached (page/messages.js). Those
  // are in memory as `isNewMsg === true` (history loads come with `false`); they are reported once
  // here, in the same turn as the listener is attached, so none is reported twice.
  whenSynced((M) => {
    const { Msg } = M.WAWebCollections;
    const report = async (m) => {
      const message = await serializeMsg(M, m);
      emit(message.fromMe ? 'message_create' : 'message', { message });
    };
    for (const m of Msg.getModelsArray()) {
      if (m.isNewMsg !== true || m.type === 'gp2') continue;
      if (m.type === 'ciphertext') {
        m.once('change:type', (resolved) => report(resolved || m));
        continue;
      }
      report(m).catch((e) => emit('error', { where: 'offline_messages', message: String(e && e.message || e) }));
    }
  });
