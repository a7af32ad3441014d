/**
 * A home network made of network namespaces: `home` (a LAN host, 192.168.77.2) behind `router`
 * (nftables masquerade, and miniupnpd from Debian answering NAT-PMP and UPnP IGD on the LAN
 * side), and `internet` (a host on the router's outside, 192.0.3.2). The outside prefix only
 * looks public, because miniupnpd refuses to map on a reserved one; no namespace has a route
 * anywhere else, so nothing leaves what this class made. `destroy()` removes it all.
 * Needs root, `ip`, `nft` and `miniupnpd`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) }).toString();

export const LAN = { router: '192.168.77.1', home: '192.168.77.2' } as const;
export const WAN = { router: '192.0.3.1', internet: '192.0.3.2' } as const;
const TABLE = 'kithrouter';

/** Why this network cannot be made here, or undefined when it can. */
export function homeRouterUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: network namespaces need root';
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
    ['miniupnpd', 'miniupnpd'],
  ] as const) {
    try {
      run('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`]);
    } catch {
      return `${tool} is not installed (apt-get install ${pkg})`;
    }
  }
  return undefined;
}

export class HomeRouterNetwork {
  readonly tag = randomBytes(3).toString('hex');
  readonly ns = { router: `kr-r-${this.tag}`, home: `kr-h-${this.tag}`, internet: `kr-n-${this.tag}` };
  private readonly dir = mkdtempSync(join(tmpdir(), 'kith-router-'));
  private miniupnpd: ChildProcess | undefined;

  constructor() {
    const { router, home, internet } = this.ns;
    for (const ns of [router, home, internet]) {
      run('ip', ['netns', 'add', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    this.wire(internet, 'wan0', WAN.router, WAN.internet);
    this.wire(home, 'lan0', LAN.router, LAN.home);
    run('ip', ['-n', home, 'route', 'add', 'default', 'via', LAN.router]);
    run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // What a home router does: LAN out through masquerade, nothing in unless miniupnpd maps it.
    run(
      'ip',
      ['netns', 'exec', router, 'nft', '-f', '-'],
      [
        `table inet ${TABLE} {`,
        '  chain miniupnpd {',
        '  }',
        '  chain prerouting_miniupnpd {',
        '  }',
        '  chain postrouting_miniupnpd {',
        '  }',
        '  chain forward {',
        '    type filter hook forward priority 0; policy drop;',
        '    ct state established,related accept',
        '    iifname "lan0" oifname "wan0" accept',
        '    jump miniupnpd',
        '  }',
        '  chain prerouting {',
        '    type nat hook prerouting priority -100; policy accept;',
        '    jump prerouting_miniupnpd',
        '  }',
        '  chain postrouting {',
        '    type nat hook postrouting priority 100; policy accept;',
        '    jump postrouting_miniupnpd',
        '    oifname "wan0" masquerade',
        '  }',
        '}',
      ].join('\n'),
    );
  }

  /** A veth pair from the router (`routerDev`, `routerIp`) to eth0 of `ns` (`hostIp`), /24. */
  private wire(ns: string, routerDev: string, routerIp: string, hostIp: string): void {
    const a = `kr${routerDev.slice(0, 1)}${this.tag}`;
    run('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', `${a}p`]);
    run('ip', ['link', 'set', a, 'netns', this.ns.router]);
    run('ip', ['link', 'set', `${a}p`, 'netns', ns]);
    run('ip', ['-n', this.ns.router, 'link', 'set', a, 'name', routerDev]);
    run('ip', ['-n', ns, 'link', 'set', `${a}p`, 'name', 'eth0']);
    run('ip', ['-n', this.ns.router, 'addr', 'add', `${routerIp}/24`, 'dev', routerDev]);
    run('ip', ['-n', this.ns.router, 'link', 'set', routerDev, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${hostIp}/24`, 'dev', 'eth0']);
    run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  }

  /** Starts miniupnpd in the router: UPnP IGD (and NAT-PMP unless off) for the LAN, ports ≥ 1024. */
  startMiniupnpd(options: { natPmp?: boolean } = {}): void {
    const conf = join(this.dir, 'miniupnpd.conf');
    writeFileSync(
      conf,
      [
        'ext_ifname=wan0',
        'listening_ip=lan0',
        'port=0',
        `enable_natpmp=${options.natPmp === false ? 'no' : 'yes'}`,
        'enable_upnp=yes',
        'secure_mode=yes',
        'system_uptime=yes',
        'uuid=7b3c47ac-f405-4e2c-bc63-3e30853d8686',
        `upnp_table_name=${TABLE}`,
        `upnp_nat_table_name=${TABLE}`,
        'upnp_forward_chain=miniupnpd',
        'upnp_nat_chain=prerouting_miniupnpd',
        'upnp_nat_postrouting_chain=postrouting_miniupnpd',
        'allow 1024-65535 192.168.77.0/24 1024-65535',
        'deny 0-65535 0.0.0.0/0 0-65535',
        '',
      ].join('\n'),
    );
    this.miniupnpd = spawn(
      'ip',
      ['netns', 'exec', this.ns.router, 'miniupnpd', '-d', '-f', conf, '-P', join(this.dir, 'pid')],
      { stdio: 'ignore' },
    );
  }

  /** Stops miniupnpd and waits for it to exit. */
  async stopMiniupnpd(): Promise<void> {
    const child = this.miniupnpd;
    this.miniupnpd = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }

  /**
   * The home host's own firewall refuses (TCP reset) its connections to `host:port`: the home node
   * cannot dial that peer, so every link between the two is the other side's dial through the
   * router's mapping.
   */
  refuseFromHome(host: string, port: number): void {
    run(
      'ip',
      ['netns', 'exec', this.ns.home, 'nft', '-f', '-'],
      [
        'table inet kith-home-out {',
        '  chain output {',
        '    type filter hook output priority 0; policy accept;',
        `    ip daddr ${host} tcp dport ${port} reject with tcp reset`,
        '  }',
        '}',
      ].join('\n'),
    );
  }

  /** The port forwards miniupnpd holds now, as nft prints them. */
  forwards(): string {
    return run('ip', [
      'netns',
      'exec',
      this.ns.router,
      'nft',
      'list',
      'chain',
      'inet',
      TABLE,
      'prerouting_miniupnpd',
    ]);
  }

  prefix(ns: string): string[] {
    return ['ip', 'netns', 'exec', ns];
  }

  destroy(): void {
    this.miniupnpd?.kill('SIGTERM');
    for (const ns of Object.values(this.ns)) {
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {}
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
