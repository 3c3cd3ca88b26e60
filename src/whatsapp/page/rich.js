  // ---- rich messages: locations, contact cards, polls, replies, mentions, link previews ----
  // WA_WEB_FEATURES.md §3: each is a send part (fields merged into the outgoing message) and, for
  // what arrives, typed fields of every reported message.

  /** `loc` is the name and the address on two lines (whichever exist; the URL if neither). */
  function locationFields(loc) {
    const lines = [loc.name, loc.address].filter(Boolean);
    let clientUrl;
    if (loc.url) {
      const link = need('WALinkify').findLink(loc.url);
      if (!link) throw opError('INVALID_REQUEST', 'location.url is not a link WhatsApp recognises');
      clientUrl = link.href;
    }
    const text = lines.length ? lines.join('\n') : (loc.url || '');
    return { type: 'location', body: '', lat: loc.latitude, lng: loc.longitude, loc: text, clientUrl };
  }

  /** Each vCard as WhatsApp reads it; a card it cannot parse is refused. */
  function namedCard(vcard) {
    let name;
    try {
      const parsed = need('WAWebVcardParsingUtils').parseVcard(vcard);
      name = need('WAWebVcardGetNameFromParsed').vcardGetNameFromParsed(parsed);
    } catch (e) {
      if (e && e.code) throw e;
      throw opError('INVALID_REQUEST', 'WhatsApp cannot read a contact card: ' + String(e && e.message || e));
    }
    return { vcard, displayName: name || '' };
  }

  /** One card is a `vcard`, several a `multi_vcard`. */
  function contactFields(cards) {
    const named = cards.map(namedCard);
    if (named.length === 1) {
      return { type: 'vcard', body: named[0].vcard, vcardFormattedName: named[0].displayName };
    }
    return { type: 'multi_vcard', vcardList: named, body: null };
  }

  function pollFields(poll) {
    const secret = new Uint8Array(32);
    crypto.getRandomValues(secret);
    return {
      type: 'poll_creation', kind: 'pollCreation', body: '', pollName: poll.name,
      pollOptions: poll.options.map((name, localId) => ({ name, localId })),
      pollSelectableOptionsCount: poll.multiple ? 0 : 1, messageSecret: secret,
    };
  }

  /** `WAWebMsgReply.canReplyMsg`, falling back to the model's own `canReply()`. */
  function canReply(msg) {
    let reply = null;
    try { reply = window.require('WAWebMsgReply'); } catch (_) { /* the fallback below */ }
    if (reply && typeof reply.canReplyMsg === 'function') {
      return !!reply.canReplyMsg(typeof msg.unsafe === 'function' ? msg.unsafe() : msg);
    }
    return typeof msg.canReply === 'function' && !!msg.canReply();
  }

  /** A reply merges the quoted message's context; an unknown or unreplyable one is refused. */
  async function quoteFields(M, chat, id) {
    const quoted = await findMsg(M, id);
    if (!quoted) throw opError('NOT_FOUND', 'WhatsApp Web has no message ' + id + ' to reply to');
    if (!canReply(quoted)) throw opError('CONFLICT', 'WhatsApp does not allow replying to message ' + id);
    return quoted.msgContextInfo(chat);
  }

  /** Mentioned numbers as Wids (failures dropped, as WhatsApp Web does). */
  function mentionFields(M, numbers) {
    const wids = [];
    for (const n of numbers) {
      try { wids.push(M.WAWebWidFactory.createWid(n + '@c.us')); } catch (_) { /* dropped */ }
    }
    return { mentionedJidList: wids };
  }

  /** The preview of the text's first link, when WhatsApp has one; a send never fails for it. */
  async function previewFields(text) {
    try {
      const link = window.require('WALinkify').findLink(text);
      if (!link) return {};
      const preview = await window.require('WAWebLinkPreviewChatAction').getLinkPreview(link);
      return preview && preview.data ? Object.assign({}, preview.data, { preview: true, subtype: 'url' }) : {};
    } catch (e) {
      emit('error', { where: 'link_preview', message: String(e && e.message || e) });
      return {};
    }
  }

  sendParts.push(async (M, chat, spec) => {
    const fields = {};
    if (spec.location) Object.assign(fields, locationFields(spec.location));
    if (spec.contacts) Object.assign(fields, contactFields(spec.contacts));
    if (spec.poll) Object.assign(fields, pollFields(spec.poll));
    if (spec.mentions) Object.assign(fields, mentionFields(M, spec.mentions));
    if (spec.linkPreview && spec.text) Object.assign(fields, await previewFields(spec.text));
    if (spec.quotedMsgId) Object.assign(fields, await quoteFields(M, chat, spec.quotedMsgId));
    return fields;
  });

  // ---- what arrives ----

  function locationOf(m) {
    const [name, ...rest] = String(m.loc || '').split('\n');
    return {
      latitude: m.lat, longitude: m.lng, name: name || null, address: rest.join('\n') || null,
      url: m.clientUrl || null,
    };
  }

  function contactsOf(m) {
    if (m.type === 'vcard') return [{ vcard: m.body, name: m.vcardFormattedName || null }];
    return (m.vcardList || []).map((c) => ({ vcard: c.vcard, name: c.displayName || null }));
  }

  function pollOf(m) {
    return {
      name: m.pollName, options: (m.pollOptions || []).map((o) => o.name),
      multiple: m.pollSelectableOptionsCount !== 1,
    };
  }

  /** The quoted message: the model WhatsApp finds for it, else the quote the message carries. */
  function quotedOf(m) {
    if (!m.quotedMsg && !m.quotedStanzaID) return null;
    let obj = null;
    try { obj = window.require('WAWebQuotedMsgModelUtils').getQuotedMsgObj(m) || null; } catch (_) { /* carried data */ }
    const q = m.quotedMsg || obj || {};
    const body = typeof q.body === 'string' && q.body ? q.body : (q.caption || null);
    const from = widStr(m.quotedParticipant) || (obj ? widStr(obj.author || obj.from) : null);
    return { id: obj && obj.id ? msgIdStr(obj.id) : (m.quotedStanzaID || null), body, type: q.type || null, from };
  }

  /** Mentioned users' numbers; items may be Wids or strings. */
  function mentionsOf(m) {
    return m.mentionedJidList.map((w) => (typeof w === 'string' ? w.split('@')[0] : String(w.user)));
  }

  messageFields.push(async (_M, m) => ({
    location: m.type === 'location' ? locationOf(m) : null,
    contacts: m.type === 'vcard' || m.type === 'multi_vcard' ? contactsOf(m) : null,
    poll: m.type === 'poll_creation' ? pollOf(m) : null,
    quoted: quotedOf(m),
    mentions: Array.isArray(m.mentionedJidList) && m.mentionedJidList.length ? mentionsOf(m) : null,
  }));
