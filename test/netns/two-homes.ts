/**
 * Two home networks and the internet between them, made of network namespaces: `home1`
 * (192.168.61.2) behind `router1`, `home2` (192.168.62.2) behind `router2`, each router a
 * stateful nftables masquerade with no port mapping service, and `internet` (192.0.3.2 towards
 * router1, 192.0.4.2 towards router2) routing between the routers' outsides. Like a home
 * router, each drops what comes in from outside unless it answers something sent from inside,
 * without a reset (so unsolicited SYNs leave no trace). No namespace has a route anywhere else.
 * `destroy()` removes it all. Needs root, `ip` and `nft`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

const run = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) }).toString();

export const HOME = { 1: '192.168.61.2', 2: '192.168.62.2' } as const;
export const ROUTER_WAN = { 1: '192.0.3.1', 2: '192.0.4.1' } as const;
export const INTERNET = { 1: '192.0.3.2', 2: '192.0.4.2' } as const;
const TABLE = 'kithhome';
const FORWARD_TABLE = 'kithfwd';

/** Why this network cannot be made here, or undefined when it can. */
export function twoHomesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
  ] as const) {
    try {
      run('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]);
    } catch {
      return `${tool} is not installed (apt-get install ${pkg})`;
    }
  }
  return undefined;
}

export type HomeSide = 1 | 2;

export class TwoHomesNetwork {
  readonly tag = randomBytes(3).toString('hex');
  readonly ns = {
    internet: `kh-n-${this.tag}`,
    router1: `kh-r1-${this.tag}`,
    router2: `kh-r2-${this.tag}`,
    home1: `kh-h1-${this.tag}`,
    home2: `kh-h2-${this.tag}`,
  };

  constructor() {
    try {
      for (const ns of Object.values(this.ns)) {
        run('ip', ['netns', 'add', ns]);
        run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      }
      run('ip', ['netns', 'exec', this.ns.internet, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
      for (const side of [1, 2] as const) {
        const router = this.router(side);
        this.wire(this.ns.internet, `up${side}`, INTERNET[side], router, 'wan0', ROUTER_WAN[side]);
        this.wire(router, 'lan0', `192.168.6${side}.1`, this.home(side), 'eth0', HOME[side]);
        run('ip', ['-n', router, 'route', 'add', 'default', 'via', INTERNET[side]]);
        run('ip', ['-n', this.home(side), 'route', 'add', 'default', 'via', `192.168.6${side}.1`]);
        run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
        this.setNat(side, 'keeps ports');
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  router(side: HomeSide): string {
    return side === 1 ? this.ns.router1 : this.ns.router2;
  }

  home(side: HomeSide): string {
    return side === 1 ? this.ns.home1 : this.ns.home2;
  }

  /**
   * The router's NAT: `keeps ports` is Linux masquerade as most home routers behave (a
   * connection keeps its source port when it is free); `random ports` gives every connection a
   * port of its own choosing, which no hole punch can predict.
   */
  setNat(side: HomeSide, mode: 'keeps ports' | 'random ports'): void {
    const router = this.router(side);
    try {
      run('ip', ['netns', 'exec', router, 'nft', 'delete', 'table', 'inet', TABLE]);
    } catch {}
    run(
      'ip',
      ['netns', 'exec', router, 'nft', '-f', '-'],
      [
        `table inet ${TABLE} {`,
        '  chain input {',
        '    type filter hook input priority 0; policy accept;',
        '    iifname "wan0" ct state new drop',
        '  }',
        '  chain forward {',
        '    type filter hook forward priority 0; policy drop;',
        '    ct state established,related accept',
        '    ct status dnat accept',
        '    iifname "lan0" oifname "wan0" accept',
        '  }',
        '  chain postrouting {',
        '    type nat hook postrouting priority 100; policy accept;',
        `    oifname "wan0" masquerade${mode === 'random ports' ? ' fully-random' : ''}`,
        '  }',
        '}',
      ].join('\n'),
    );
  }

  /** What a person does by hand for a while: forward `port` on the router to the home host. */
  forwardPort(side: HomeSide, port: number): void {
    run(
      'ip',
      ['netns', 'exec', this.router(side), 'nft', '-f', '-'],
      [
        `table ip ${FORWARD_TABLE} {`,
        '  chain prerouting {',
        '    type nat hook prerouting priority -100; policy accept;',
        `    iifname "wan0" tcp dport ${port} dnat to ${HOME[side]}:${port}`,
        '  }',
        '}',
      ].join('\n'),
    );
  }

  /** Takes the forward away again (connections it let in stay up, as on a real router). */
  unforwardPort(side: HomeSide): void {
    run('ip', ['netns', 'exec', this.router(side), 'nft', 'delete', 'table', 'ip', FORWARD_TABLE]);
  }

  /** A veth pair from `aNs` (`aDev`, `aIp`) to `bNs` (`bDev`, `bIp`), /24. */
  private wire(aNs: string, aDev: string, aIp: string, bNs: string, bDev: string, bIp: string): void {
    const tmp = `kh${randomBytes(3).toString('hex')}`;
    run('ip', ['link', 'add', tmp, 'type', 'veth', 'peer', 'name', `${tmp}p`]);
    run('ip', ['link', 'set', tmp, 'netns', aNs]);
    run('ip', ['link', 'set', `${tmp}p`, 'netns', bNs]);
    run('ip', ['-n', aNs, 'link', 'set', tmp, 'name', aDev]);
    run('ip', ['-n', bNs, 'link', 'set', `${tmp}p`, 'name', bDev]);
    for (const [ns, dev, ip] of [
      [aNs, aDev, aIp],
      [bNs, bDev, bIp],
    ] as const) {
      run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', dev]);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
  }

  prefix(ns: string): string[] {
    return ['ip', 'netns', 'exec', ns];
  }

  destroy(): void {
    for (const ns of Object.values(this.ns)) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {}
    }
  }
}
