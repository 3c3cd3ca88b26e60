// The phone page's Groups panel: a phone (any number) creates groups, adds or removes members,
// renames, changes settings, shares the invite link, joins by link, answers join requests, leaves.
// Everything goes through the control API under /__sim/groups (the servers' rules apply).
'use strict';

const groupsPanel = {
    by: () => $('g-by').value.trim(),
    group: () => $('g-group').value,
    list: (text) => text.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean),

    async load() {
        const { groups } = await api('GET', 'group-list');
        const keep = this.group();
        $('g-group').innerHTML = groups.map((g) => '<option value="' + esc(g.id) + '">' + esc(g.name) + ' (' + g.size + ')</option>').join('');
        if (keep && groups.some((g) => g.id === keep)) $('g-group').value = keep;
        const id = this.group();
        $('g-info').textContent = id ? JSON.stringify(await api('GET', 'groups/' + encodeURIComponent(id)), null, 1) : 'No group yet.';
    },

    path: (tail) => 'groups/' + encodeURIComponent(groupsPanel.group()) + '/' + tail,

    wire() {
        $('g-by').value = $('contact').value;
        $('g-members').value = me();
        const on = (id, fn) => $(id).addEventListener('click', act(async () => { await fn(); await this.load(); }));
        on('g-create', async () => {
            const r = await api('POST', 'groups/create', { by: this.by(), subject: $('g-subject').value.trim(), members: this.list($('g-members').value) });
            await this.load();
            $('g-group').value = r.id;
            toast('Created ' + r.id);
        });
        on('g-act', async () => {
            const r = await api('POST', this.path('participants'), { by: this.by(), action: $('g-action').value, participants: this.list($('g-who').value) });
            toast(r.map((p) => '+' + p.number + ': ' + p.code).join(', '));
        });
        on('g-rename', () => api('POST', this.path('subject'), { by: this.by(), subject: $('g-subject').value.trim() }));
        on('g-settings', () => api('POST', this.path('settings'), {
            by: this.by(), announce: $('g-announce').checked, restrict: $('g-restrict').checked,
            approval: $('g-approval').checked, member_add_mode: $('g-addmode').value,
        }));
        on('g-invite', async () => { $('g-code').value = (await api('POST', this.path('invite-code'), { by: this.by() })).link; });
        on('g-join', async () => {
            const r = await api('POST', 'groups/join', { by: this.by(), code: $('g-code').value.trim() });
            toast(r.joined ? 'Joined ' + r.id : 'Asked to join ' + r.id);
        });
        on('g-approve', () => api('POST', this.path('requests'), { by: this.by(), number: $('g-who').value.trim(), approve: true }));
        on('g-leave', () => api('POST', this.path('leave'), { by: this.by() }));
        $('g-group').addEventListener('change', act(() => this.load()));
        this.load().catch((e) => toast(e.message));
        setInterval(() => this.load().catch(() => {}), 2000);
    },
};

groupsPanel.wire();
