// A small whatsapp-web.js bot, as a user would write one, run by sim/tests/third_party.rs.
// It talks to the test over stdout, one JSON object a line ({"event": ...}), and takes
// its settings from the environment:
//   WWEBJS_DIR  the whatsapp-web.js package to load (the test's scratch copy, whose
//               WhatsWebURL points at wa-sim); default: the installed one
//   CHROMIUM    the browser (default /usr/lib/chromium/chromium)
//   PROFILE_DIR Chromium's profile (default: a temporary one)
//   SEND_TO     a number to text once ready ("hello from whatsapp-web.js")
// It exits 0 after the first inbound `message` event, non-zero on any failure.
'use strict';

const wwebjs = require(process.env.WWEBJS_DIR || 'whatsapp-web.js');

const say = (event, fields = {}) =>
    process.stdout.write(JSON.stringify({ event, ...fields }) + '\n');

const client = new wwebjs.Client({
    authStrategy: new wwebjs.NoAuth(),
    webVersionCache: { type: 'none' },
    puppeteer: {
        executablePath: process.env.CHROMIUM || '/usr/lib/chromium/chromium',
        // A pipe, not a socket: Chromium exits by itself when this process dies.
        pipe: true,
        userDataDir: process.env.PROFILE_DIR,
        args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage'],
    },
});

const fail = async (what, err) => {
    say('error', { what, error: String((err && err.stack) || err) });
    await client.destroy().catch(() => {});
    process.exit(1);
};

client.on('qr', (qr) => say('qr', { qr }));
client.on('authenticated', () => say('authenticated'));
client.on('auth_failure', (m) => fail('auth_failure', m));
client.on('disconnected', (r) => say('disconnected', { reason: String(r) }));
client.on('ready', async () => {
    say('ready', { wid: client.info && client.info.wid && client.info.wid._serialized });
    if (!process.env.SEND_TO) return;
    try {
        const sent = await client.sendMessage(
            `${process.env.SEND_TO}@c.us`,
            'hello from whatsapp-web.js',
        );
        say('sent', { id: sent.id._serialized, to: sent.to, body: sent.body });
    } catch (err) {
        await fail('sendMessage', err);
    }
});
client.on('message', async (msg) => {
    say('message', { from: msg.from, body: msg.body, id: msg.id._serialized });
    await client.destroy().catch(() => {});
    process.exit(0);
});

process.on('unhandledRejection', (err) => fail('unhandledRejection', err));
client.initialize().catch((err) => fail('initialize', err));
