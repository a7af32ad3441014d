/**
 * A NAT-PMP client (RFC 6886): the external address, and a TCP port mapping with a lifetime,
 * renewed by asking again and removed by asking for lifetime 0. One UDP socket per request to
 * the gateway's port 5351, retransmitted from 250 ms doubling as the RFC says, until `timeoutMs`.
 * (The npm mapper's NAT-PMP client could not remove its mappings at stop; its UPnP one is used.)
 */
import { createSocket } from 'node:dgram';

const PORT = 5351;
const OP_EXTERNAL = 0;
const OP_MAP_TCP = 2;
const RESULTS = [
  'success',
  'unsupported version',
  'refused',
  'network failure',
  'out of resources',
  'unsupported opcode',
];

export interface PmpMapping {
  externalPort: number;
  lifetimeSeconds: number;
}

export class NatPmpError extends Error {}

export class NatPmpClient {
  constructor(
    private readonly gateway: string,
    private readonly timeoutMs = 3000,
  ) {}

  async externalAddress(): Promise<string> {
    const reply = await this.request(Uint8Array.of(0, OP_EXTERNAL), OP_EXTERNAL, 12);
    return `${reply[8]}.${reply[9]}.${reply[10]}.${reply[11]}`;
  }

  /** Maps `internalPort` (TCP), asking for the same external port; lifetime 0 removes it. */
  async map(internalPort: number, lifetimeSeconds: number, externalPort = internalPort): Promise<PmpMapping> {
    const request = new Uint8Array(12);
    const view = new DataView(request.buffer);
    request[1] = OP_MAP_TCP;
    view.setUint16(4, internalPort);
    view.setUint16(6, lifetimeSeconds === 0 ? 0 : externalPort);
    view.setUint32(8, lifetimeSeconds);
    const reply = await this.request(request, OP_MAP_TCP, 16);
    const r = new DataView(reply.buffer, reply.byteOffset, reply.byteLength);
    if (r.getUint16(8) !== internalPort) throw new NatPmpError('the gateway answered for another port');
    return { externalPort: r.getUint16(10), lifetimeSeconds: r.getUint32(12) };
  }

  private request(bytes: Uint8Array, op: number, size: number): Promise<Uint8Array> {
    const socket = createSocket('udp4');
    return new Promise<Uint8Array>((resolve, reject) => {
      let wait = 250;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = setTimeout(
        () => finish(new NatPmpError('no NAT-PMP answer from the gateway')),
        this.timeoutMs,
      );
      const finish = (err?: Error, reply?: Uint8Array) => {
        clearTimeout(timer);
        clearTimeout(deadline);
        socket.close();
        if (err) reject(err);
        else resolve(reply!);
      };
      const send = () => {
        socket.send(bytes);
        timer = setTimeout(send, wait);
        wait *= 2;
      };
      socket.on('error', (err) => finish(err));
      socket.on('message', (msg, rinfo) => {
        // Only the gateway's own answer to this request counts.
        if (rinfo.address !== this.gateway || msg.length < size || msg[0] !== 0 || msg[1] !== 128 + op)
          return;
        const code = msg.readUInt16BE(2);
        if (code !== 0) finish(new NatPmpError(`NAT-PMP: ${RESULTS[code] ?? `result ${code}`}`));
        else finish(undefined, new Uint8Array(msg));
      });
      socket.connect(PORT, this.gateway, send);
    });
  }
}
