import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/codec.ts';
import { isKithError } from '../../src/errors.ts';
import { AddressRecordsMessage } from '../../src/wire/address-records.ts';
import { HeartbeatMessage } from '../../src/wire/heartbeat.ts';
import { HelloMessage } from '../../src/wire/hello.ts';
import { LogEntriesMessage, LogRequestMessage } from '../../src/wire/identity-log.ts';
import { decodeMessage } from '../../src/wire/message.ts';
import { peekMessageType } from '../../src/wire/peek-type.ts';
import {
  DeviceEnrolMessage,
  PairAcceptMessage,
  PairRefuseMessage,
  PairRequestMessage,
} from '../../src/wire/pairing.ts';
import { PairRejectMessage } from '../../src/wire/pair-reject.ts';
import {
  RecoverAcceptMessage,
  RecoverExtendMessage,
  RecoverLogMessage,
  RecoverRequestMessage,
} from '../../src/wire/recovery.ts';

const ALL = [
  HelloMessage,
  HeartbeatMessage,
  AddressRecordsMessage,
  LogRequestMessage,
  LogEntriesMessage,
  PairRequestMessage,
  PairAcceptMessage,
  DeviceEnrolMessage,
  PairRefuseMessage,
  PairRejectMessage,
  RecoverRequestMessage,
  RecoverLogMessage,
  RecoverExtendMessage,
  RecoverAcceptMessage,
] as const;

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const time = fc.integer({ min: 0, max: 2 ** 48 });
const addr = fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `${h}:${p}`);
const entries = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 });

const arbitraries = [
  fc.record({
    v: fc.constant(1),
    t: fc.constant('hello' as const),
    cert: fc.uint8Array({ maxLength: 300 }),
    logSeq: fc.nat(),
    logHead: bytes(32),
    seenAddress: addr,
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('heartbeat' as const),
    sentAt: time,
    echo: fc.option(fc.record({ sentAt: time, receivedAt: time }), { nil: null }),
    seenAddress: addr,
    versions: fc.array(fc.record({ device: fc.string({ maxLength: 29 }), seq: fc.nat() }), { maxLength: 5 }),
  }),
  fc.record({ v: fc.constant(1), t: fc.constant('address-records' as const), records: entries }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('log-request' as const),
    user: fc.string({ maxLength: 29 }),
    fromSeq: fc.nat(),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('log-entries' as const),
    user: fc.string({ maxLength: 29 }),
    fromSeq: fc.nat(),
    entries,
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('pair-request' as const),
    inviteId: bytes(16),
    log: fc.option(entries, { nil: null }),
    addresses: fc.array(addr, { maxLength: 3 }),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('pair-accept' as const),
    log: entries,
    addressRecord: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('device-enrol' as const),
    index: fc.nat(),
    signingSeed: bytes(32),
    agreementPrivateKey: bytes(32),
    log: entries,
    addressRecord: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('pair-refuse' as const),
    code: fc.string({ maxLength: 64 }),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('pair-reject' as const),
    reason: fc.constantFrom('rejected' as const, 'expired' as const),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('recover-request' as const),
    inviteId: bytes(16),
    user: fc.string({ maxLength: 29 }),
  }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('recover-log' as const),
    log: entries,
    friendLog: entries,
    addressRecord: fc.uint8Array({ maxLength: 200 }),
  }),
  fc.record({ v: fc.constant(1), t: fc.constant('recover-extend' as const), log: entries }),
  fc.record({
    v: fc.constant(1),
    t: fc.constant('recover-accept' as const),
    deviceId: fc.string({ maxLength: 29 }),
  }),
];

describe('wire messages', () => {
  it('every message round-trips through its encoder and the dispatcher', () => {
    fc.assert(
      fc.property(fc.oneof(...arbitraries), (message) => {
        const def = ALL.find((d) => d.type === message.t)!;
        // biome-ignore lint/suspicious/noExplicitAny: the arbitrary matches the definition picked by t
        const encoded = def.encode(message as any);
        expect(decodeMessage(encoded, ALL)).toEqual(message);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses unknown types, unknown versions, extra fields and oversize messages', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (isKithError(e)) return e.code;
        throw e;
      }
      return undefined;
    };
    expect(code(() => decodeMessage(encodeCanonical({ v: 1, t: 'nope' }), ALL))).toBe('CODEC_SCHEMA');
    expect(
      code(() => decodeMessage(encodeCanonical({ v: 2, t: 'log-request', user: 'x', fromSeq: 0 }), ALL)),
    ).toBe('CODEC_UNKNOWN_VERSION');
    expect(
      code(() =>
        decodeMessage(encodeCanonical({ v: 1, t: 'log-request', user: 'x', fromSeq: 0, extra: 1 }), ALL),
      ),
    ).toBe('CODEC_SCHEMA');
    const big = encodeCanonical({ v: 1, t: 'pair-refuse', code: 'x'.repeat(2000) });
    expect(code(() => decodeMessage(big, ALL))).toBe('CODEC_OVERSIZE');
  });
});

describe('decodeMessage holds each type to its own size limit before decoding', () => {
  it('peekMessageType reads `t` of every valid message, whatever comes before it', () => {
    fc.assert(
      fc.property(fc.oneof(...arbitraries), (value) => {
        expect(peekMessageType(encodeCanonical(value))).toBe(value.t);
      }),
    );
  });

  it('an oversize heartbeat is refused as oversize, not decoded (its broken tail is never read)', () => {
    const tail = new Uint8Array(HeartbeatMessage.maxBytes + 1).fill(0xff);
    // { "t": "heartbeat", "x": <a byte string whose length runs past the end> }
    const head = encodeCanonical({ t: 'heartbeat' });
    const bytes = new Uint8Array([
      0xa2,
      ...head.subarray(1),
      0x61,
      0x78,
      0x5a,
      0x7f,
      0xff,
      0xff,
      0xff,
      ...tail,
    ]);
    let code: string | undefined;
    try {
      decodeMessage(bytes, ALL);
    } catch (err) {
      if (isKithError(err)) code = err.code;
    }
    expect(code).toBe('CODEC_OVERSIZE');
  });

  it('peekMessageType gives up on what is not a map with a text `t`', () => {
    expect(peekMessageType(new Uint8Array([]))).toBeUndefined();
    expect(peekMessageType(encodeCanonical([1, 2]))).toBeUndefined();
    expect(peekMessageType(encodeCanonical({ t: 7 }))).toBeUndefined();
    expect(peekMessageType(encodeCanonical({ a: [[[1]]], u: 'x' }))).toBeUndefined();
    expect(peekMessageType(new Uint8Array([0xa1, 0x61, 0x61, 0x9f]))).toBeUndefined();
  });
});
