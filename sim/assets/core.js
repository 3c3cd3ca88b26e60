// ---- core.js: events, Backbone-like models and collections, Wid, MsgKey ----

const splitEvents = (events) => String(events == null ? '' : events).split(/\s+/).filter(Boolean);

/** Backbone-style events: on/off/once with space-separated names, plus 'all'. */
class Events {
    on(events, callback, context) {
        if (typeof callback !== 'function') return this;
        const map = this._events || (this._events = new Map());
        for (const name of splitEvents(events)) {
            if (!map.has(name)) map.set(name, []);
            map.get(name).push({ callback, context, once: false });
        }
        return this;
    }

    once(events, callback, context) {
        this.on(events, callback, context);
        for (const name of splitEvents(events)) {
            const list = this._events.get(name);
            list[list.length - 1].once = true;
        }
        return this;
    }

    off(events, callback, context) {
        if (!this._events) return this;
        const names = events == null ? [...this._events.keys()] : splitEvents(events);
        for (const name of names) {
            const list = this._events.get(name);
            if (!list) continue;
            const keep = list.filter((h) =>
                (callback && h.callback !== callback) || (context && h.context !== context));
            if (keep.length) this._events.set(name, keep);
            else this._events.delete(name);
        }
        return this;
    }

    listenTo(other, events, callback) {
        other.on(events, callback, this);
        return this;
    }

    stopListening(other, events, callback) {
        if (other) other.off(events, callback, this);
        return this;
    }

    trigger(events, ...args) {
        if (!this._events) return this;
        for (const name of splitEvents(events)) {
            this._fire(name, args);
            if (name !== 'all') this._fire('all', [name, ...args]);
        }
        return this;
    }

    _fire(name, args) {
        const list = this._events && this._events.get(name);
        if (!list) return;
        for (const h of list.slice()) {
            if (h.once) this.off(name, h.callback);
            try {
                h.callback.apply(h.context || this, args);
            } catch (err) {
                // A throwing listener must not stop the others, as in WhatsApp's own event loop.
                console.error('listener for "' + name + '" threw', err);
            }
        }
    }
}

const sameValue = (a, b) => a === b || (a != null && b != null && typeof a === 'object' &&
    typeof a.toString === 'function' && a.toString !== Object.prototype.toString && String(a) === String(b));

/** A model: attributes readable as properties, `change:<prop>` (model, value, previous) then `change`. */
class Model extends Events {
    constructor(attrs, options) {
        super();
        Object.defineProperty(this, 'attributes', { value: {}, enumerable: false });
        Object.defineProperty(this, 'collection', {
            value: options && options.collection, writable: true, enumerable: false,
        });
        if (attrs) this.set(attrs, { silent: true });
    }

    get(key) {
        return this.attributes[key];
    }

    set(key, value, options) {
        let attrs;
        if (key !== null && typeof key === 'object') {
            attrs = key;
            options = value;
        } else {
            attrs = { [key]: value };
        }
        const silent = options && options.silent;
        const changes = [];
        for (const name of Object.keys(attrs)) {
            this._expose(name);
            const previous = this.attributes[name];
            if (sameValue(previous, attrs[name])) continue;
            this.attributes[name] = attrs[name];
            changes.push([name, attrs[name], previous]);
        }
        if (!silent && changes.length) {
            for (const [name, now, before] of changes) this.trigger('change:' + name, this, now, before);
            this.trigger('change', this);
        }
        return this;
    }

    /** Lets `model.x` read and `model.x = v` set (and fire change events), as WhatsApp's models do. */
    _expose(name) {
        if (name in this) return;
        Object.defineProperty(this, name, {
            get: () => this.attributes[name],
            set: (v) => this.set(name, v),
            enumerable: true,
            configurable: true,
        });
    }

    serialize() {
        return Object.assign({}, this.attributes);
    }

    toJSON() {
        return this.serialize();
    }
}

const keyOf = (id) => {
    if (id == null) return undefined;
    if (typeof id === 'string') return id;
    if (id instanceof Model) return keyOf(id.id);
    if (typeof id._serialized === 'string') return id._serialized;
    return String(id);
};

/** A collection of models keyed by their `id` (a Wid, a MsgKey or a string). */
class Collection extends Events {
    constructor(ModelClass) {
        super();
        this.modelClass = ModelClass || Model;
        this._models = [];
        this._byId = new Map();
        this._forward = (event, ...args) => {
            if ((event === 'add' || event === 'remove') && args[1] !== this) return;
            this.trigger(event, ...args);
        };
    }

    get length() {
        return this._models.length;
    }

    get models() {
        return this._models;
    }

    get(id) {
        return this._byId.get(keyOf(id));
    }

    has(id) {
        return this._byId.has(keyOf(id));
    }

    add(items, options) {
        const single = !Array.isArray(items);
        const added = [];
        for (const item of single ? [items] : items) {
            if (!item) continue;
            const existing = this.get(item instanceof Model ? item.id : item.id);
            if (existing) {
                if (!(item instanceof Model) && !(options && options.merge === false)) existing.set(item);
                added.push(existing);
                continue;
            }
            const model = item instanceof Model ? item : new this.modelClass(item, { collection: this });
            model.collection = model.collection || this;
            this._models.push(model);
            this._byId.set(keyOf(model.id), model);
            model.on('all', this._forward);
            if (!(options && options.silent)) this.trigger('add', model, this, options || {});
            added.push(model);
        }
        return single ? added[0] : added;
    }

    remove(items, options) {
        const single = !Array.isArray(items);
        const removed = [];
        for (const item of single ? [items] : items) {
            const model = this.get(item instanceof Model ? item.id : item);
            if (!model) continue;
            this._models.splice(this._models.indexOf(model), 1);
            this._byId.delete(keyOf(model.id));
            if (!(options && options.silent)) this.trigger('remove', model, this, options || {});
            model.off('all', this._forward);
            removed.push(model);
        }
        return single ? removed[0] : removed;
    }

    reset() {
        for (const m of this._models) m.off('all', this._forward);
        this._models = [];
        this._byId.clear();
        this.trigger('reset', this);
    }

    getModelsArray() {
        return this._models.slice();
    }

    toArray() {
        return this._models.slice();
    }

    forEach(fn) {
        this._models.slice().forEach(fn);
    }

    map(fn) {
        return this._models.map(fn);
    }

    filter(fn) {
        return this._models.filter(fn);
    }

    where(attrs) {
        return this._models.filter((m) => Object.keys(attrs).every((k) => sameValue(m[k], attrs[k])));
    }

    findFirst(fn) {
        return this._models.find(fn);
    }

    /** WhatsApp's `find` is asynchronous: it may ask the servers. */
    find(id) {
        const model = this.get(id);
        return model ? Promise.resolve(model) : Promise.reject(new Error('model not found: ' + keyOf(id)));
    }

    serialize() {
        return this._models.map((m) => m.serialize());
    }
}

const SERVERS = { 's.whatsapp.net': 'c.us' };

/** A WhatsApp id: `user[:device]@server`. */
class Wid {
    constructor(serialized) {
        const text = String(serialized);
        const at = text.lastIndexOf('@');
        if (at <= 0 || at === text.length - 1) throw new Error('invalid wid: ' + text);
        let user = text.slice(0, at);
        const server = SERVERS[text.slice(at + 1)] || text.slice(at + 1);
        const colon = user.indexOf(':');
        if (colon >= 0) {
            this.device = Number(user.slice(colon + 1));
            user = user.slice(0, colon);
        }
        this.user = user;
        this.server = server;
        this._serialized = user + '@' + server;
    }

    toString() { return this._serialized; }
    toJSON() { return this._serialized; }
    equals(other) { return other != null && keyOf(other) === this._serialized; }
    isUser() { return this.server === 'c.us' || this.server === 'lid'; }
    isRegularUser() { return this.server === 'c.us'; }
    isLid() { return this.server === 'lid'; }
    isGroup() { return this.server === 'g.us'; }
    isStatus() { return this.server === 'broadcast' && this.user === 'status'; }
    isBroadcast() { return this.server === 'broadcast'; }
    isNewsletter() { return this.server === 'newsletter'; }
    isServer() { return this.server === 'c.us' && this.user === 'server'; }
    isCompanion() { return this.device != null && this.device !== 0; }
    getDeviceId() { return this.device || 0; }
    toJid() { return this.user + '@' + (this.server === 'c.us' ? 's.whatsapp.net' : this.server); }
}

/** Makes a Wid from `"user@server"`, bare digits, or another Wid. */
const createWid = (value) => {
    if (value instanceof Wid) return value;
    if (value && typeof value === 'object' && value._serialized) return new Wid(value._serialized);
    const text = String(value || '');
    if (/^\d+$/.test(text)) return new Wid(text + '@c.us');
    if (/^\d+-\d+$/.test(text)) return new Wid(text + '@g.us');
    return new Wid(text);
};

const hex = (n) => {
    const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(n / 2)));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').slice(0, n).toUpperCase();
};

/** A message key: `<fromMe>_<remote>_<id>[_<participant>]`. */
class MsgKey {
    constructor(opts) {
        const o = opts || {};
        if (!o.id) throw new Error('MsgKey error: id is required');
        this.fromMe = o.selfDir != null ? o.selfDir === 'out' : Boolean(o.fromMe);
        const remote = o.remote != null ? o.remote : (this.fromMe ? o.to : o.from);
        if (remote == null) throw new Error('MsgKey error: remote is required');
        this.remote = createWid(remote);
        this.id = String(o.id);
        if (o.participant != null) this.participant = createWid(o.participant);
        const serialized = this.fromMe + '_' + this.remote._serialized + '_' + this.id +
            (this.participant ? '_' + this.participant._serialized : '');
        // Newer builds may lack an own `_serialized` on keys (the drill `noKeySerialized`).
        Object.defineProperty(this, 'serializedKey', { value: serialized, enumerable: false });
        if (!MsgKey.withoutSerialized) this._serialized = serialized;
    }

    toString() { return this.serializedKey; }
    equals(other) { return other != null && keyOf(other) === this._serialized; }

    /** A new id: `3EB0` + hex digits; ids have no fixed length (WhatsApp made them longer in 2026). */
    static newId() {
        return Promise.resolve('3EB0' + hex([16, 18, 28][Math.floor(Math.random() * 3)]));
    }

    static newId_DEPRECATED() {
        return '3EB0' + hex(16);
    }

    static fromString(text) {
        const [fromMe, remote, id, participant] = String(text).split('_');
        return new MsgKey({ fromMe: fromMe === 'true', remote, id, participant });
    }

    /** A key from its wire form `{fromMe, remote, id, participant}`. */
    static from(wire) {
        return new MsgKey({ fromMe: wire.fromMe, remote: wire.remote, id: wire.id, participant: wire.participant || undefined });
    }
}
