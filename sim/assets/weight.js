// Page weight (`--page-weight <MiB>`, boot.weightMib): the real WhatsApp Web holds far more in its
// renderer than this page needs (its module graph, the chat and message collections, the rendered
// chat list), so memory measured against a bare page flatters whoever drives it. With a weight the
// page builds, right after load, message-like objects in the JS heap (nine tenths of the weight)
// and a rendered DOM (one tenth), and keeps them for its whole life, like the real collections.
// Sizes are estimates of V8's and Blink's object sizes, scaled by a measured factor (below) so
// that the browser's memory grows by about the weight; the bench measures what it adds. Built in slices of a few MiB so that the page keeps answering meanwhile.
const pageWeight = (() => {
    const MIB = 1024 * 1024;
    const held = { messages: [], bytes: 0, domBytes: 0, done: false };
    const words = ('ok thanks see you tomorrow meeting at the office please send the file photo ' +
        'call me when free lunch price invoice order delivered address number yes no maybe later ' +
        'great sounds good happy birthday congratulations where are you on my way running late')
        .split(' ');
    // A flat (sequential) string: join() copies, where `+` would leave a cheap rope.
    function body(seed, n) {
        const parts = new Array(n);
        for (let i = 0; i < n; i++) parts[i] = words[(seed * 7 + i * 13) % words.length];
        return parts.join(' ');
    }
    // One message-like model: about 12 + 8 * 4 bytes of object, plus its strings.
    function message(i) {
        const text = body(i, 24 + (i % 16));
        const id = 'true_92300' + (i % 9973) + '@c.us_3EB0' + (i * 2654435761 % 4294967296).toString(16).toUpperCase();
        held.bytes += 48 + 16 + text.length + 16 + id.length + 64;
        return { id, body: text, t: 1700000000 + i, ack: i % 4, type: 'chat', from: id.slice(5, 20), star: false, idx: i };
    }
    // Rendered rows like the chat list's: each element with its text about 600 bytes in Blink.
    function rows(root, count, start) {
        const frag = document.createDocumentFragment();
        for (let i = start; i < start + count; i++) {
            const row = document.createElement('div');
            row.className = 'wa-weight-row';
            const name = document.createElement('span');
            name.textContent = 'Contact ' + i;
            const last = document.createElement('span');
            last.textContent = body(i, 8);
            row.append(name, last);
            frag.append(row);
            held.domBytes += 600;
        }
        root.append(frag);
    }
    // The estimates above undercount what V8 and Blink really spend (heap pages kept free for
    // growth, style and layout of the rows): measured on Chromium 156, building `n` estimated MiB
    // grew the browser's PSS by about 2.8 n MiB. Scaled so that the weight is what the page adds.
    const CALIBRATION = 1 / 2.8;
    function build(mib) {
        const heapTarget = mib * MIB * 0.9 * CALIBRATION;
        const domTarget = mib * MIB * 0.1 * CALIBRATION;
        const root = document.createElement('div');
        root.setAttribute('aria-hidden', 'true');
        root.style.cssText = 'position:absolute;left:-10000px;top:0;width:400px;overflow:hidden';
        document.body.append(root);
        let i = 0;
        let r = 0;
        const slice = () => {
            const stop = held.bytes + 4 * MIB;
            while (held.bytes < heapTarget && held.bytes < stop) held.messages.push(message(i++));
            if (held.domBytes < domTarget) { rows(root, 500, r); r += 500; }
            if (held.bytes < heapTarget || held.domBytes < domTarget) setTimeout(slice, 0);
            else held.done = true;
        };
        slice();
    }
    const mib = Number(boot.weightMib) || 0;
    if (mib > 0) window.addEventListener('load', () => build(mib));
    return held;
})();
