// The sandbox's phone: everything it does goes through the JSON control API under /__sim/.
'use strict';

const $ = (id) => document.getElementById(id);
const esc = (t) => String(t == null ? '' : t).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const TICKS = { '-1': '⚠', 0: '🕓', 1: '✓', 2: '✓✓', 3: '✓✓' };
const STATES = ['CONFLICT', 'TIMEOUT', 'TOS_BLOCK', 'SMB_TOS_BLOCK', 'PROXYBLOCK', 'DEPRECATED_VERSION', 'UNPAIRED', 'CONNECTED'];

async function api(method, path, body) {
    const res = await fetch('/__sim/' + path, {
        method,
        headers: body ? { 'content-type': 'application/json' } : {},
        body: body ? JSON.stringify(body) : undefined,
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) throw new Error((data && data.error && data.error.message) || res.statusText);
    return data;
}

function toast(text) {
    const el = $('toast');
    el.textContent = text;
    el.style.display = 'block';
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.style.display = 'none'; }, 3000);
}

const act = (fn) => async (event) => {
    if (event) event.preventDefault();
    try { await fn(); await refresh(); } catch (err) { toast(err.message); }
};

const me = () => $('me').value.trim();
const account = () => $('account').value || me();

async function scan(qr) {
    const r = await api('POST', 'scan', { qr, number: me(), push_name: $('pushname').value.trim() });
    toast('Linked device ' + r.device_id + ' of +' + r.number);
    localStorage.setItem('phone-me', me());
}

let shownQrs = '';
function renderQrs(qrs) {
    const key = qrs.join('|');
    if (key === shownQrs) return;
    shownQrs = key;
    $('qrs').innerHTML = qrs.length ? qrs.map((qr, i) =>
        '<div class="qr-card"><img alt="QR" src="/__sim/qr.svg?data=' + encodeURIComponent(qr) + '"><div><code>' + esc(qr) +
        '</code><button data-i="' + i + '">Scan this QR</button></div></div>').join('')
        : '<p class="muted">No page is showing a QR right now. Open WhatsApp Web.</p>';
    $('qrs').querySelectorAll('button').forEach((b) => b.addEventListener('click', act(() => scan(qrs[b.dataset.i]))));
}

function renderAccounts(accounts) {
    const select = $('account');
    const current = select.value || localStorage.getItem('phone-me') || '';
    select.innerHTML = accounts.map((a) => '<option' + (a.number === current ? ' selected' : '') + '>' + esc(a.number) + '</option>').join('');
    const a = accounts.find((x) => x.number === select.value);
    $('devices').innerHTML = !a ? 'No account yet: scan a QR first.' : (a.devices.length ? a.devices.map((d) =>
        '<div class="device"><span><span class="dot' + (d.online ? ' on' : '') + '"></span>Device ' + d.device_id + '</span><span>' +
        esc(d.online ? d.state : 'offline') + '</span></div>').join('') : '<p class="muted">+' + esc(a.number) + ' has no linked devices.</p>');
}

/** Images and stickers are shown, audio and voice notes play, video plays, documents download. */
function mediaHtml(m) {
    if (!m.media) return '';
    const src = '/__sim/accounts/' + encodeURIComponent(account()) + '/messages/' + encodeURIComponent(m.id) + '/media';
    const type = m.media.type;
    if (type === 'image' || type === 'sticker') return '<img class="media" alt="' + esc(type) + '" src="' + src + '">';
    if (type === 'audio' || type === 'ptt') return '<audio controls preload="none" src="' + src + '"></audio>';
    if (type === 'video') return '<video class="media" controls preload="none" src="' + src + '"></video>';
    return '<a href="' + src + '" download="' + esc(m.media.filename || 'file') + '">📄 ' + esc(m.media.filename || m.media.mimetype || 'document') + '</a>';
}

function renderThread(msgs) {
    // Unchanged: keep the DOM, so a playing voice note is not restarted by the refresh.
    const key = JSON.stringify(msgs);
    if (key === renderThread.last) return;
    renderThread.last = key;
    const thread = $('thread');
    const atBottom = thread.scrollTop + thread.clientHeight >= thread.scrollHeight - 20;
    thread.innerHTML = msgs.length ? msgs.map((m) => {
        const time = new Date(m.t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        const chat = '<span class="chat">' + (m.direction === 'out' ? 'to ' : 'from ') + esc(m.author || m.chat) + '</span>';
        const body = (m.ciphertext ? '<i>(still ciphertext)</i> ' + esc(m.body) : esc(m.body)) + mediaHtml(m);
        const ack = m.direction === 'out' ? '<span class="meta ack' + m.ack + '">' + (TICKS[m.ack] || m.ack) + '</span>' +
            (m.ack >= 0 && m.ack < 3 ? '<button class="secondary" data-read="' + esc(m.id) + '">Read</button>' : '') : '';
        const read = m.direction === 'in' ? '<span class="meta">' + (m.read ? 'seen' : '') + '</span>' : '';
        return '<div class="bubble ' + m.direction + '">' + chat + kindOf(m) + body + '<span class="meta">' + time + '</span>' + ack + read + actionsOf(m) + '</div>';
    }).join('') : '<div class="muted">No messages yet.</div>';
    wireActions(thread);
    thread.querySelectorAll('[data-read]').forEach((b) => b.addEventListener('click', act(() =>
        api('POST', 'accounts/' + account() + '/sent/' + encodeURIComponent(b.dataset.read) + '/ack', { ack: 3 }))));
    if (atBottom) thread.scrollTop = thread.scrollHeight;
}

// ---- what the contact does to a message: react, reply, vote (the control API's phone actions) ----

let replyTo = null;
const kindOf = (m) => (m.type && m.type !== 'chat' ? '<i>[' + esc(m.type) + ']</i> ' : '');
const pollNames = (m) => (m.pollOptions || []).map((o) => o.name);

function actionsOf(m) {
    if (m.type === 'revoked') return '';
    const id = esc(m.id);
    const vote = m.type === 'poll_creation' ? '<button class="secondary" data-vote="' + id + '" data-options="' + esc(pollNames(m).join('|')) + '">Vote</button>' : '';
    return '<span class="meta"><button class="secondary" data-react="' + id + '">👍</button>' +
        '<button class="secondary" data-reply="' + id + '" data-body="' + esc(m.body) + '">Reply</button>' + vote + '</span>';
}

function showReplying() {
    $('replying').style.display = replyTo ? 'block' : 'none';
    $('replying').textContent = replyTo ? 'Replying to: ' + replyTo.body + ' (send, or click Reply again to cancel)' : '';
}

function wireActions(thread) {
    const who = () => ({ to: account(), from: $('contact').value.trim() });
    thread.querySelectorAll('[data-react]').forEach((b) => b.addEventListener('click', act(() =>
        api('POST', 'reactions', Object.assign(who(), { message_id: b.dataset.react, emoji: '👍' })))));
    thread.querySelectorAll('[data-reply]').forEach((b) => b.addEventListener('click', () => {
        replyTo = replyTo && replyTo.id === b.dataset.reply ? null : { id: b.dataset.reply, body: b.dataset.body };
        showReplying();
    }));
    thread.querySelectorAll('[data-vote]').forEach((b) => b.addEventListener('click', act(async () => {
        const answer = prompt('Vote (one or more of: ' + b.dataset.options.split('|').join(', ') + '; comma-separated)');
        if (answer == null) return;
        const options = answer.split(',').map((o) => o.trim()).filter(Boolean);
        await api('POST', 'votes', Object.assign(who(), { message_id: b.dataset.vote, options }));
    })));
}

function renderCounters(c) {
    $('counters').innerHTML = Object.entries(c).map(([k, v]) => '<tr><td>' + esc(k.replace(/_/g, ' ')) + '</td><td>' + v + '</td></tr>').join('');
}

async function refresh() {
    const [qrs, accounts, counters, modules] = await Promise.all([api('GET', 'qrs'), api('GET', 'accounts'), api('GET', 'counters'), api('GET', 'modules')]);
    renderQrs(qrs.qrs);
    renderAccounts(accounts.accounts);
    renderCounters(counters);
    const renamed = Object.entries(modules.renamed).map(([a, b]) => a + ' → ' + b);
    $('modules').textContent = renamed.concat(modules.removed.map((m) => m + ' removed')).join(', ') || 'All modules as shipped.';
    if ($('account').value) renderThread(await api('GET', 'accounts/' + $('account').value + '/messages'));
}

async function loadAcks() {
    const a = await api('GET', 'acks');
    $('ack-server').value = a.server_ms;
    $('ack-delivered').value = a.delivered_ms;
    $('ack-read').value = a.read_ms;
    $('ack-upto').value = a.up_to;
    $('ack-fail').checked = a.fail;
}

function wire() {
    $('me').value = localStorage.getItem('phone-me') || '923001234567';
    $('pushname').value = localStorage.getItem('phone-name') || 'Alice';
    $('pushname').addEventListener('change', () => localStorage.setItem('phone-name', $('pushname').value));
    $('force-state').innerHTML = STATES.map((s) => '<option>' + s + '</option>').join('');
    $('scan-paste').addEventListener('click', act(() => scan($('qr-paste').value.trim())));
    $('enter-code').addEventListener('click', act(async () => {
        const r = await api('POST', 'link-code', { code: $('link-code').value.trim(), push_name: $('pushname').value.trim() });
        toast('Linked device ' + r.device_id + ' of +' + r.number);
    }));
    $('unlink').addEventListener('click', act(async () => { await api('POST', 'accounts/' + account() + '/unlink'); toast('Logged out all devices of +' + account()); }));
    $('force').addEventListener('click', act(() => api('POST', 'accounts/' + account() + '/state', { state: $('force-state').value })));
    $('make-group').addEventListener('click', act(async () => {
        const r = await api('POST', 'groups', { name: $('group-name').value.trim(), members: [account(), $('contact').value.trim()] });
        const opt = document.createElement('option');
        opt.value = r.id;
        opt.textContent = $('group-name').value.trim() + ' (' + r.id + ')';
        $('group').appendChild(opt);
        $('group').value = r.id;
    }));
    $('compose').addEventListener('submit', act(async () => {
        const body = $('body').value.trim();
        if (!body) return;
        await api('POST', 'inbound', {
            to: account(), from: $('contact').value.trim(), body, push_name: $('contact-name').value.trim() || null,
            group: $('group').value || null, from_lid: $('opt-lid').checked, history: $('opt-history').checked,
            from_me: $('opt-fromme').checked, kind: $('opt-cipher').checked ? { ciphertext: { resolve_after_ms: 3000 } } : 'text',
            reply_to: replyTo ? replyTo.id : null,
        });
        $('body').value = '';
        replyTo = null;
        showReplying();
    }));
    $('ack-save').addEventListener('click', act(() => api('PUT', 'acks', {
        server_ms: Number($('ack-server').value), delivered_ms: Number($('ack-delivered').value), read_ms: Number($('ack-read').value),
        up_to: Number($('ack-upto').value), fail: $('ack-fail').checked,
    })));
    $('mod-rename').addEventListener('click', act(() => api('POST', 'modules/rename', { from: $('mod-from').value.trim(), to: $('mod-to').value.trim() })));
    $('mod-remove').addEventListener('click', act(() => api('POST', 'modules/remove', { name: $('mod-from').value.trim() })));
    $('mod-reset').addEventListener('click', act(() => api('POST', 'modules/reset')));
    $('account').addEventListener('change', act(() => {}));
    wirePeople();
}

/** The People section: contacts, phone history, calls, number changes, chat archive/delete. */
function wirePeople() {
    const contact = () => $('contact').value.trim();
    const chat = () => contact() + '@c.us';
    $('p-add').addEventListener('click', act(() => api('POST', 'accounts/' + account() + '/contacts', {
        number: contact(), name: $('p-saved').checked ? $('contact-name').value.trim() || null : null,
        push_name: $('contact-name').value.trim() || null, about: $('p-about').value.trim() || null,
        business: $('p-business').checked, picture: $('p-picture').checked,
    })));
    $('p-history').addEventListener('click', act(() => api('POST', 'accounts/' + account() + '/history', {
        with: contact(), count: Number($('p-count').value), from_me_every: 4,
    })));
    $('p-call').addEventListener('click', act(async () => {
        await api('POST', 'accounts/' + account() + '/call', { from: contact(), video: $('p-video').checked });
        const calls = await api('GET', 'accounts/' + account() + '/calls');
        $('p-calls').textContent = calls.map((c) => '+' + c.from + ': ' + c.status).join(', ');
    }));
    $('p-change').addEventListener('click', act(() => api('POST', 'numbers/' + contact() + '/change-number', { new: $('p-new').value.trim() })));
    $('p-archive').addEventListener('click', act(() => api('POST', 'accounts/' + account() + '/chats/' + chat() + '/archive', { archive: true })));
    $('p-delete').addEventListener('click', act(() => api('POST', 'accounts/' + account() + '/chats/' + chat() + '/delete')));
}

wire();
loadAcks().catch((e) => toast(e.message));
refresh().catch((e) => toast(e.message));
setInterval(() => refresh().catch(() => {}), 1000);
