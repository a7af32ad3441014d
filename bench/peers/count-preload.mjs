/**
 * Per-agent counters for bench/peers (docs/ARCHITECTURE.md "Two `kith up` processes through the
 * API"): loaded into each agent with `--import` (KITH_BENCH_COUNT_DIR=DIR npm run bench:peers),
 * it counts PGlite statements and transactions, Ed25519 signatures and verifications, ws frames
 * sent and received (binary: peer links; text: the event stream), socket writes, HTTP requests,
 * log lines and timers; on SIGUSR2 it writes the counts so far to DIR/PID-N.json. The bench
 * signals both agents before and after the burst and prints the difference per message.
 * Bench use only, never the product.
 */
import { channel } from 'node:diagnostics_channel';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { syncBuiltinESMExports, createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.env.KITH_BENCH_COUNT_DIR;
const c = {};
const bump = (k, n = 1) => (c[k] = (c[k] ?? 0) + n);

const { sign, verify } = crypto;
crypto.sign = function (...a) {
  bump('ed25519.sign');
  return sign.apply(this, a);
};
crypto.verify = function (...a) {
  bump('ed25519.verify');
  return verify.apply(this, a);
};
const { writeSync, write } = fs;
fs.writeSync = function (fd, data, ...rest) {
  if (fd === 2) bump('log.lines', typeof data === 'string' ? data.split('\n').length - 1 : 1);
  return writeSync.call(this, fd, data, ...rest);
};
fs.write = function (fd, data, ...rest) {
  if (fd === 2) bump('log.lines', typeof data === 'string' ? data.split('\n').length - 1 : 1);
  return write.call(this, fd, data, ...rest);
};
syncBuiltinESMExports();
const { setTimeout: st, setImmediate: si } = globalThis;
globalThis.setTimeout = (...a) => {
  bump('timers.setTimeout');
  return st(...a);
};
globalThis.setImmediate = (...a) => {
  bump('timers.setImmediate');
  return si(...a);
};

channel('http.server.request.start').subscribe(() => bump('http.requests'));

// Writes Node hands to TCP sockets (each one or more system calls): links, API, event stream, database.
for (const m of ['_write', '_writev']) {
  const f = net.Socket.prototype[m];
  net.Socket.prototype[m] = function (...a) {
    bump('net.writes');
    return f.apply(this, a);
  };
}

// The repository's own packages (bench/peers has its own ws), as the agent resolves them.
const require = createRequire(join(import.meta.dirname, '..', '..', 'package.json'));
const verb = (q) => /^\s*(\w+)/.exec(typeof q === 'string' ? q : '')?.[1]?.toUpperCase() ?? '?';
try {
  const ws = await import(require.resolve('ws').replace(/index\.js$/, 'wrapper.mjs'));
  const proto = ws.WebSocket.prototype;
  const send = proto.send;
  proto.send = function (data, ...rest) {
    bump(typeof data === 'string' ? 'ws.sent.text' : 'ws.sent.binary');
    return send.call(this, data, ...rest);
  };
  const emit = proto.emit;
  proto.emit = function (event, data, isBinary, ...rest) {
    if (event === 'message') bump(isBinary ? 'ws.received.binary' : 'ws.received.text');
    return emit.call(this, event, data, isBinary, ...rest);
  };
} catch (e) {
  bump(`ws.unpatched: ${e.message}`);
}
try {
  const { PGlite } = await import(require.resolve('@electric-sql/pglite').replace(/\.cjs$/, '.js'));
  const p = PGlite.prototype;
  for (const m of ['query', 'exec']) {
    const f = p[m];
    p[m] = function (q, ...rest) {
      bump(`sql.${m}`);
      bump(`sql.verb.${verb(q)}`);
      return f.call(this, q, ...rest);
    };
  }
  const tx = p.transaction;
  p.transaction = function (cb, ...rest) {
    bump('sql.transaction');
    return tx.call(
      this,
      (t) => {
        for (const m of ['query', 'exec']) {
          const f = t[m];
          t[m] = (q, ...r) => {
            bump(`sql.tx.${m}`);
            bump(`sql.verb.${verb(q)}`);
            return f(q, ...r);
          };
        }
        return cb(t);
      },
      ...rest,
    );
  };
} catch (e) {
  bump(`pglite.unpatched: ${e.message}`);
}

let n = 0;
process.on('SIGUSR2', () => {
  if (dir) writeSync.call(fs, fs.openSync(join(dir, `${process.pid}-${n++}.json`), 'w'), JSON.stringify(c));
});
