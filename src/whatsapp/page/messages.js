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
    const base = {
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
    for (const fields of messageFields) {
      try {
        Object.assign(base, await fields(M, m));
      } catch (e) {
        emit('error', { where: 'message_fields', message: String(e && e.message || e) });
      }
    }
    return base;
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

