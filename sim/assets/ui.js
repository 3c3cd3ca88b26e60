// ---- ui.js: what a person sees: loading, QR, chat list and thread ----

const esc = (text) => String(text == null ? '' : text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

const STATE_TEXT = {
    CONFLICT: ['WhatsApp is open in another window.', 'Use here'],
    TIMEOUT: ['Computer not connected. Make sure your computer has an active Internet connection.', 'Reconnect'],
    TOS_BLOCK: ['This account is not allowed to use WhatsApp.', null],
    SMB_TOS_BLOCK: ['This business account is not allowed to use WhatsApp.', null],
    PROXYBLOCK: ['Your network blocks WhatsApp.', null],
    DEPRECATED_VERSION: ['This version of WhatsApp Web is out of date.', null],
    UNPAIRED: ['This device is no longer linked.', null],
    UNPAIRED_IDLE: ['This device is no longer linked.', null],
};

const ACK_MARK = { '-1': '!', 0: '🕓', 1: '✓', 2: '✓✓', 3: '✓✓' };

const ui = {
    screen: '',
    openChatId: null,
    pending: false,

    root() {
        return document.getElementById('app');
    },

    show(screen, html) {
        this.screen = screen;
        this.root().innerHTML = html;
    },

    loading(text, percent) {
        const bar = percent == null ? '' : '<progress value="' + percent + '" max="100"></progress>';
        const html = '<div class="landing loading"><div><div class="logo-big" data-icon="wa-logo"></div>' +
            '<div class="progress">' + bar + '</div><div class="loading-title">WhatsApp</div>' +
            '<div class="loading-text">' + esc(text) + (percent == null ? '' : ' [' + percent + '%]') + '</div>' +
            '<div class="loading-lock">🔒 End-to-end encrypted</div></div></div>';
        if (this.screen === 'loading') {
            this.root().querySelector('.progress').innerHTML = bar;
            this.root().querySelector('.loading-text').textContent = text + (percent == null ? '' : ' [' + percent + '%]');
        } else {
            this.show('loading', html);
        }
    },

    qr(qr) {
        if (this.screen !== 'qr') {
            this.show('qr', '<div class="landing"><div class="landing-header"><span class="logo-small"></span>WHATSAPP WEB</div>' +
                '<div class="landing-window"><div class="landing-main"><div class="instructions">' +
                '<h1>Use WhatsApp on your computer</h1><ol>' +
                '<li>Open WhatsApp on your phone</li>' +
                '<li>Tap <b>Menu</b> or <b>Settings</b> and select <b>Linked devices</b></li>' +
                '<li>Tap on <b>Link a device</b></li>' +
                '<li>Point your phone to this screen to capture the QR code</li></ol>' +
                '<a class="phone-link" href="/__sim/phone" target="_blank">No phone? Open the simulator\'s phone</a></div>' +
                '<div class="qr-wrapper"><div class="qr" data-ref=""><canvas aria-label="Scan this QR code to link a device!" role="img" width="264" height="264"></canvas></div></div>' +
                '</div></div></div>');
        }
        const holder = this.root().querySelector('div[data-ref]');
        holder.classList.remove('idle');
        const retry = holder.querySelector('span');
        if (retry) retry.remove();
        holder.setAttribute('data-ref', qr);
    },

    paintQr(rows) {
        const canvas = this.root().querySelector('div[data-ref] canvas');
        if (!canvas) return;
        const ctx = canvas.getContext('2d');
        const quiet = 2;
        const n = rows.length + quiet * 2;
        const scale = Math.floor(canvas.width / n);
        const offset = Math.floor((canvas.width - scale * n) / 2);
        ctx.fillStyle = '#ffffff';
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.fillStyle = '#122e31';
        rows.forEach((row, y) => {
            for (let x = 0; x < row.length; x++) {
                if (row[x] === '1') ctx.fillRect(offset + (x + quiet) * scale, offset + (y + quiet) * scale, scale, scale);
            }
        });
    },

    qrIdle() {
        const holder = this.root().querySelector('div[data-ref]');
        if (!holder) return;
        holder.classList.add('idle');
        if (holder.querySelector('span')) return;
        const span = document.createElement('span');
        span.innerHTML = '<button type="button"><div class="reload-icon">⟳</div><div>Click to reload QR code</div></button>';
        span.querySelector('button').addEventListener('click', () => app.cmd.refreshQR());
        holder.appendChild(span);
    },

    linkCode(code, phone) {
        this.show('code', '<div class="landing"><div class="landing-window"><div class="landing-main"><div class="instructions">' +
            '<h1>Enter code on phone</h1><p>Linking WhatsApp account +' + esc(phone) + '</p>' +
            '<div class="link-code" data-link-code="' + esc(code) + '">' + esc(code.slice(0, 4) + '-' + code.slice(4)) + '</div>' +
            '<ol><li>Open WhatsApp on your phone</li><li>Tap <b>Linked devices</b>, then <b>Link with phone number instead</b></li><li>Enter this code on your phone</li></ol>' +
            '</div></div></div></div>');
    },

    banner(text) {
        let el = document.getElementById('banner');
        if (!el) {
            el = document.createElement('div');
            el.id = 'banner';
            document.body.appendChild(el);
        }
        el.innerHTML = esc(text);
        el.style.display = text ? 'block' : 'none';
    },

    stateBanner(state) {
        const [text, action] = STATE_TEXT[state] || ['Socket state ' + state, null];
        this.banner(text);
        if (!action) return;
        const button = document.createElement('button');
        button.textContent = action;
        button.addEventListener('click', () => (state === 'CONFLICT' ? app.socket.takeover() : app.socket.reconnect()));
        document.getElementById('banner').appendChild(button);
    },

    main() {
        if (this.screen !== 'main') {
            this.show('main', '<div class="main"><div class="side"><header class="me"></header><div class="chat-list" role="grid" aria-label="Chat list"></div></div>' +
                '<div class="thread"></div></div>');
        }
        this.render();
    },

    openChat(chat) {
        this.openChatId = chat.id._serialized;
        if (this.screen === 'main') this.render();
    },

    messageAdded() {
        this.schedule();
    },

    /** Re-renders at most once per task, however many events arrive. */
    schedule() {
        if (this.pending || this.screen !== 'main') return;
        this.pending = true;
        setTimeout(() => { this.pending = false; this.render(); }, 0);
    },

    render() {
        if (this.screen !== 'main') return;
        const me = app.me || {};
        this.root().querySelector('.me').innerHTML = '<span class="avatar"></span><b>' + esc(me.pushname) + '</b> <small>+' + esc(me.number) + '</small>';
        const chats = app.chats.getModelsArray().sort((a, b) => (b.t || 0) - (a.t || 0));
        this.root().querySelector('.chat-list').innerHTML = chats.map((c) => this.chatRow(c)).join('') ||
            '<div class="empty">No chats yet</div>';
        this.root().querySelectorAll('.chat-row').forEach((row) => row.addEventListener('click', () => {
            const chat = app.chats.get(row.dataset.id);
            this.openChat(chat);
            pageCall(ownModules, 'WAWebUpdateUnreadChatAction', 'sendSeen', { chat });
        }));
        this.renderThread();
    },

    chatRow(chat) {
        const last = chat.msgs.getModelsArray().slice(-1)[0];
        const unread = chat.unreadCount > 0 ? '<span class="unread">' + chat.unreadCount + '</span>' : '';
        const active = chat.id._serialized === this.openChatId ? ' active' : '';
        return '<div class="chat-row' + active + '" role="row" data-id="' + esc(chat.id._serialized) + '"><span class="avatar"></span><div class="chat-text">' +
            '<div class="chat-title">' + esc(chat.formattedTitle || chat.name || chat.id.user) + '</div>' +
            '<div class="chat-last">' + esc(last ? last.body || '' : '') + '</div></div>' + unread + '</div>';
    },

    renderThread() {
        const pane = this.root().querySelector('.thread');
        const chat = this.openChatId && app.chats.get(this.openChatId);
        if (!chat) {
            pane.innerHTML = '<div class="intro"><div class="intro-image" data-asset-intro-image-light="true"></div>' +
                '<h1>WhatsApp Web</h1><p>Send and receive messages without keeping your phone online.</p></div>';
            return;
        }
        const msgs = chat.msgs.getModelsArray().map((m) => this.bubble(m)).join('');
        const keep = pane.querySelector('input');
        const draft = keep ? keep.value : '';
        pane.innerHTML = '<header class="thread-head"><span class="avatar"></span><b>' + esc(chat.formattedTitle || chat.id.user) + '</b></header>' +
            '<div class="msgs">' + msgs + '</div>' +
            '<form class="compose"><input type="text" placeholder="Type a message" autocomplete="off"><button type="submit">➤</button></form>';
        const list = pane.querySelector('.msgs');
        list.scrollTop = list.scrollHeight;
        const input = pane.querySelector('input');
        input.value = draft;
        pane.querySelector('form').addEventListener('submit', (e) => {
            e.preventDefault();
            if (input.value.trim()) ui.sendFromUi(chat, input.value.trim());
            input.value = '';
        });
    },

    bubble(m) {
        const out = m.id.fromMe;
        const author = !out && m.author ? '<div class="author">' + esc(m.notifyName || m.author.user) + '</div>' : '';
        const body = m.type === 'ciphertext' ? '<i>Waiting for this message. This may take a while.</i>' : esc(m.body);
        const ack = out ? '<span class="ack ack' + m.ack + '">' + (ACK_MARK[m.ack] || m.ack) + '</span>' : '';
        const time = new Date((m.t || 0) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
        return '<div class="bubble ' + (out ? 'out' : 'in') + '" data-id="' + esc(keyOf(m.id)) + '">' + author +
            '<span class="body">' + body + '</span><span class="meta">' + time + ' ' + ack + '</span></div>';
    },

    /** Typing in the page sends the way WhatsApp Web does: a MsgKey, then addAndSendMsgToChat. */
    async sendFromUi(chat, body) {
        const me = app.senderFor(chat);
        const key = new MsgKey({ from: me, to: chat.id, id: await MsgKey.newId(), participant: chat.id.isGroup() ? me : undefined, selfDir: 'out' });
        const ephemeral = pageCall(ownModules, 'WAWebGetEphemeralFieldsMsgActionsUtils', 'getEphemeralFields', chat);
        const msg = Object.assign({ id: key, ack: 0, body, type: 'chat', from: me, to: chat.id, local: true, self: 'out', t: Math.floor(Date.now() / 1000), isNewMsg: true }, ephemeral);
        // Through the module property at call time, as the real page does: a wrapper sees this call.
        const [added] = pageCall(ownModules, 'WAWebSendMsgChatAction', 'addAndSendMsgToChat', chat, msg);
        await added;
    },
};
