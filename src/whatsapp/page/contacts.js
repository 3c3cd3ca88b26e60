  // ---- contacts, own profile, number checks, calls (WA_WEB_FEATURES.md §5, §8) ----

  const PIC_SIZE = 640;
  const THUMB_SIZE = 96;

  const userWid = (M, id) => M.WAWebWidFactory.createWid(id);

  /** The phone-number wid and the lid of a user, each when WhatsApp knows it. */
  async function bothIds(M, wid) {
    let other = alternate(M, wid);
    if (!other && M.WAWebQueryExistsJob) {
      await M.WAWebQueryExistsJob.queryWidExists(wid);
      other = alternate(M, wid);
    }
    other = other ? userWid(M, widStr(other)) : null;
    return wid.isLid() ? { pn: other, lid: wid } : { pn: wid, lid: other };
  }

  /** The other id of a user (phone number <-> lid) when WhatsApp knows it, else null. */
  function alternate(M, wid) {
    const Api = M.WAWebApiContact;
    if (!Api) return null;
    try {
      if (typeof Api.getAlternateUserWid === 'function') return Api.getAlternateUserWid(wid) || null;
      return (wid.isLid() ? Api.getPhoneNumber(wid) : Api.getCurrentLid(wid)) || null;
    } catch (_) {
      return null;
    }
  }

  function contactOr404(M, id) {
    const { Contact } = M.WAWebCollections;
    const wid = userWid(M, id);
    const found = Contact.get(wid);
    if (found) return found;
    const alt = alternate(M, wid);
    const viaAlt = alt && Contact.get(alt);
    if (viaAlt) return viaAlt;
    throw opError('NOT_FOUND', 'No contact ' + id);
  }

  function isBlocked(M, contact) {
    if (contact.isContactBlocked) return true;
    const list = M.WAWebCollections.Blocklist;
    if (!list) return false;
    const alt = alternate(M, contact.id);
    return !!(list.get(contact.id) || (alt && list.get(alt)));
  }

  /** The fields of WA_WEB_FEATURES.md §5 "Contacts"; an `@lid` shows its number when known. */
  async function serializeContact(M, c) {
    const G = need('WAWebContactGetters');
    const F = need('WAWebFrontendContactGetters');
    const lid = c.id.isLid();
    const phone = lid ? (c.phoneNumber ? phoneOf(userWid(M, widStr(c.phoneNumber))) : await senderPhone(M, c.id)) : phoneOf(c.id);
    return {
      id: lid && c.phoneNumber ? widStr(c.phoneNumber) : widStr(c.id),
      lid: lid ? widStr(c.id) : widStr(alternate(M, c.id)),
      number: phone || null,
      name: G.getName(c) || null,
      shortName: G.getShortName(c) || null,
      pushname: G.getPushname(c) || null,
      verifiedName: G.getVerifiedName(c) || null,
      isBusiness: !!c.isBusiness,
      isEnterprise: !!G.getIsEnterprise(c),
      isMe: !!G.getIsMe(c),
      isUser: !!G.getIsUser(c),
      isGroup: !!G.getIsGroup(c),
      isWAContact: !!G.getIsWAContact(c),
      isMyContact: !!F.getIsMyContact(c),
      isBlocked: isBlocked(M, c),
    };
  }

  /** A temporary picture URL, or null when there is none or privacy hides it. */
  async function pictureUrl(M, wid) {
    const Bridge = need('WAWebContactProfilePicThumbBridge');
    try {
      const r = await Bridge.requestProfilePicFromServer({ id: wid });
      return (r && r.eurl) || null;
    } catch (e) {
      if (e && e.name === 'ServerStatusCodeError') return null;
      throw e;
    }
  }

  async function aboutOf(M, wid) {
    const r = await need('WAWebContactStatusBridge').getStatus({ token: '', wid });
    return (r && r.status) || null;
  }

  async function contactDetails(M, id) {
    const c = contactOr404(M, id);
    if (c.isBusiness && M.WAWebCollections.BusinessProfile) {
      try { await M.WAWebCollections.BusinessProfile.find(c.id); } catch (_) { /* not a business after all */ }
    }
    const out = await serializeContact(M, c);
    out.about = await aboutOf(M, c.id);
    out.profilePictureUrl = await pictureUrl(M, c.id);
    return out;
  }

  async function setBlocked(M, id, block) {
    const { lid } = await bothIds(M, userWid(M, id));
    if (!lid) throw opError('NOT_FOUND', 'WhatsApp knows no user ' + id);
    const Block = need('WAWebBlockContactAction');
    if (block) {
      await Block.blockContact({ contact: { id: lid, isContactBlocked: false, phoneNumber: null }, blockEntryPoint: 'ChatListBlock' });
    } else {
      const model = M.WAWebCollections.Contact.get(lid) || { id: lid };
      await Block.unblockContact(model, 'ChatListBlock');
    }
    return { id: widStr(lid), blocked: block };
  }

  async function blockedList(M) {
    const out = [];
    for (const b of M.WAWebCollections.Blocklist.getModelsArray()) {
      const wid = userWid(M, widStr(b.id));
      out.push({ id: widStr(wid), number: await senderPhone(M, wid) });
    }
    return out;
  }

  // ---- own profile ----

  function me(M) {
    return M.WAWebUserPrefsMeUser.getMaybeMePnUser();
  }

  async function ownProfile(M) {
    const wid = me(M);
    const conn = M.WAWebConnModel.Conn.serialize();
    return {
      id: widStr(wid),
      number: phoneOf(wid),
      name: conn.pushname || null,
      about: await aboutOf(M, wid),
      profilePictureUrl: await pictureUrl(M, wid),
    };
  }

  async function setProfile(M, a) {
    if (typeof a.name === 'string') {
      const conn = M.WAWebConnModel.Conn;
      if (typeof conn.canSetMyPushname === 'function' && !conn.canSetMyPushname()) {
        throw opError('FORBIDDEN', 'WhatsApp does not allow changing the name now');
      }
      await need('WAWebSetPushnameConnAction').setPushname(a.name);
    }
    if (typeof a.about === 'string') await need('WAWebContactStatusBridge').setMyStatus(a.about);
    return ownProfile(M);
  }

  /** A JPEG data URL of the image scaled (and cropped to a square) to `size` pixels. */
  async function squareJpeg(bitmap, size) {
    const side = Math.min(bitmap.width, bitmap.height);
    const canvas = new OffscreenCanvas(size, size);
    canvas.getContext('2d').drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  async function setPicture(M, dataUrl) {
    let bitmap;
    try {
      bitmap = await createImageBitmap(await (await fetch(dataUrl)).blob());
    } catch (_) {
      throw opError('INVALID_REQUEST', 'the picture is not an image the browser can read');
    }
    const pic = await squareJpeg(bitmap, PIC_SIZE);
    const thumb = await squareJpeg(bitmap, THUMB_SIZE);
    await need('WAWebContactProfilePicThumbBridge').sendSetPicture(me(M), thumb, pic);
    return ownProfile(M);
  }

  // ---- numbers ----

  async function checkNumber(M, input) {
    const job = need('WAWebQueryExistsJob');
    const found = await job.queryWidExists(userWid(M, input + '@c.us'));
    if (!found || !found.wid) return { input, exists: false, id: null, lid: null };
    const id = userWid(M, widStr(found.wid));
    const lid = found.lid ? widStr(found.lid) : widStr((await bothIds(M, id)).lid);
    return { input, exists: true, id: widStr(id), lid: lid || null };
  }

  // ---- calls ----

  /** WA_WEB_FEATURES.md §8: a `call` stanza with a `reject` child, cast on the socket. */
  async function rejectCall(M, id, peer) {
    const Wap = need('WAWap');
    const peerJid = userWid(M, peer);
    const stanza = Wap.wap('call', { id: Wap.generateId(), from: me(M), to: peerJid }, [
      Wap.wap('reject', { 'call-id': id, 'call-creator': peerJid, count: '0' }, null),
    ]);
    await need('WADeprecatedSendIq').deprecatedCastStanza(stanza);
    return { rejected: true };
  }

  /** The call collection keeps calls in a Map (its first own Map property); every new call is `set` there. */
  function watchCalls() {
    const mod = need('WAWebCallCollection');
    const holder = mod.WAWebCallCollection || mod;
    const map = Object.values(holder).find((v) => v instanceof Map);
    if (!map) throw new Error('WAWebCallCollection holds no Map');
    const seen = new Set();
    const original = map.set;
    map.set = function set(key, call) {
      try {
        if (call && !call.outgoing && !seen.has(String(key))) {
          seen.add(String(key));
          emit('call', {
            id: String(call.id || key), from: widStr(call.peerJid), isVideo: !!call.isVideo,
            isGroup: !!call.isGroup, offerTime: call.offerTime || null,
          });
        }
      } catch (_) { /* reporting never stops WhatsApp's own bookkeeping */ }
      return original.call(this, key, call);
    };
  }

  /** A contact's new number: `gp2`/`modify` or `notification_template`/`change_number` (§8). */
  function watchNumberChanges(M) {
    const seen = new Set();
    const onNotice = (m) => {
      if (!m || !m.id) return;
      const participant = m.type === 'gp2' && m.subtype === 'modify';
      const contact = m.type === 'notification_template' && m.subtype === 'change_number';
      const key = msgIdStr(m.id);
      if ((!participant && !contact) || seen.has(key)) return;
      seen.add(key);
      const newId = participant ? widStr(m.recipients && m.recipients[0]) : widStr(m.to);
      const oldId = participant ? widStr(m.author) : (m.templateParams || []).map(widStr).find((x) => x !== newId);
      emit('contact_changed', { oldId: oldId || null, newId: newId || null, chatId: widStr(m.id.remote), isContact: contact, t: m.t || null });
    };
    const { Msg } = M.WAWebCollections;
    Msg.on('add', (m) => { if (m.isNewMsg === true) onNotice(m); });
    Msg.on('change', onNotice);
  }

  defineOps({
    'numbers.check': async (M, a) => {
      const out = [];
      // WhatsApp answers lookups one by one; a batch runs them side by side.
      for (const r of await Promise.all((a.numbers || []).map((n) => checkNumber(M, n)))) out.push(r);
      return out;
    },
    'contacts.list': async (M) => {
      const out = [];
      for (const c of M.WAWebCollections.Contact.getModelsArray()) {
        if (c.id && c.id.isUser && c.id.isUser() && !c.isMe) out.push(await serializeContact(M, c));
      }
      return out;
    },
    'contacts.get': async (M, a) => contactDetails(M, a.contactId),
    'contacts.block': async (M, a) => setBlocked(M, a.contactId, !!a.block),
    'contacts.blocked': async (M) => blockedList(M),
    'profile.get': async (M) => ownProfile(M),
    'profile.set': async (M, a) => setProfile(M, a),
    'profile.picture': async (M, a) => setPicture(M, a.dataUrl),
    'profile.deletePicture': async (M) => {
      await need('WAWebContactProfilePicThumbBridge').requestDeletePicture(me(M));
      return ownProfile(M);
    },
    'calls.reject': async (M, a) => rejectCall(M, a.id, a.from),
  });

  whenSynced((M) => {
    watchNumberChanges(M);
    watchCalls();
  });
