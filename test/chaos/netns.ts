/**
 * Test hosts made of network namespaces: a hub namespace holding a bridge, and one namespace
 * per host joined to it by a veth pair, on 10.233.0.0/24. Faults are nftables rules inside a
 * host's namespace (partitions, packet loss) and address changes. Nothing leaves the
 * namespaces this class made; `destroy()` removes them all. Needs root, `ip` and `nft`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const run = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });

export interface Host {
  name: string;
  ns: string;
  dev: string;
  address: string;
}

export class TestNetwork {
  readonly tag = randomBytes(3).toString('hex');
  readonly hub = `kc-hub-${this.tag}`;
  private readonly hosts = new Map<string, Host>();
  private nextOctet = 10;

  /** Why namespaces cannot be made here, or undefined when they can. */
  static unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
    for (const tool of ['ip', 'nft']) {
      try {
        run('sh', ['-c', `command -v ${tool}`]);
      } catch {
        return `${tool} is not installed (apt-get install ${tool === 'ip' ? 'iproute2' : 'nftables'})`;
      }
    }
    return undefined;
  }

  constructor() {
    run('ip', ['netns', 'add', this.hub]);
    run('ip', ['-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', this.hub, 'link', 'set', 'br0', 'up']);
  }

  /** A new host on the bridge, with an nftables table ready for faults. */
  addHost(name: string): Host {
    const index = this.hosts.size;
    const ns = `kc-${index}-${this.tag}`;
    const dev = `kv${index}${this.tag}`;
    const address = `10.233.0.${this.nextOctet++}`;
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev}h`]);
    run('ip', ['link', 'set', dev, 'netns', ns]);
    run('ip', ['link', 'set', `${dev}h`, 'netns', this.hub]);
    run('ip', ['-n', this.hub, 'link', 'set', `${dev}h`, 'master', 'br0', 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${address}/24`, 'dev', dev]);
    run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    run(
      'ip',
      ['netns', 'exec', ns, 'nft', '-f', '-'],
      [
        'table inet chaos {',
        '  chain input { type filter hook input priority 0; policy accept; }',
        '  chain output { type filter hook output priority 0; policy accept; }',
        '}',
      ].join('\n'),
    );
    const host = { name, ns, dev, address };
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): Host {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  /** The command a process on `host` runs under. */
  prefix(host: Host): string[] {
    return ['ip', 'netns', 'exec', host.ns];
  }

  private nft(host: Host, ...rule: string[]): void {
    run('ip', ['netns', 'exec', host.ns, 'nft', ...rule]);
  }

  /** No packet between a and b, either way (rules on both sides). */
  partition(a: Host, b: Host): void {
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      this.nft(self, 'add', 'rule', 'inet', 'chaos', 'input', 'ip', 'saddr', other.address, 'drop');
      this.nft(self, 'add', 'rule', 'inet', 'chaos', 'output', 'ip', 'daddr', other.address, 'drop');
    }
  }

  /** Drops `percent` of the packets `host` receives, at random. */
  loss(host: Host, percent: number): void {
    this.nft(
      host,
      'add',
      'rule',
      'inet',
      'chaos',
      'input',
      'numgen',
      'random',
      'mod',
      '100',
      '<',
      String(percent),
      'drop',
    );
  }

  /** Removes every partition and loss rule on `host`. */
  heal(host: Host): void {
    this.nft(host, 'flush', 'chain', 'inet', 'chaos', 'input');
    this.nft(host, 'flush', 'chain', 'inet', 'chaos', 'output');
  }

  healAll(): void {
    for (const h of this.hosts.values()) this.heal(h);
  }

  /** Moves `host` to a new address on the same bridge (as a new DHCP lease would). */
  changeAddress(host: Host): string {
    const next = `10.233.0.${this.nextOctet++}`;
    // Old one first: deleting a primary address also deletes the secondaries of its subnet.
    run('ip', ['-n', host.ns, 'addr', 'del', `${host.address}/24`, 'dev', host.dev]);
    run('ip', ['-n', host.ns, 'addr', 'add', `${next}/24`, 'dev', host.dev]);
    host.address = next;
    return next;
  }

  destroy(): void {
    for (const h of this.hosts.values()) {
      try {
        run('ip', ['netns', 'del', h.ns]);
      } catch {}
    }
    try {
      run('ip', ['netns', 'del', this.hub]);
    } catch {}
  }
}
