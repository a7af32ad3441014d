/**
 * Port mapping's own logic (the router exchange itself runs against miniupnpd in
 * test/netns/port-mapping.test.ts): the default gateway read from /proc/net/route, and a
 * loopback bind that asks no router.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { PortMapping, parseDefaultGateway } from '../../src/peer/port-mapping.ts';

const ROUTE_TABLE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t004DA8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
eth0\t00000000\t014DA8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0
`;

describe('port mapping', () => {
  it('reads the default gateway from /proc/net/route', () => {
    expect(parseDefaultGateway(ROUTE_TABLE)).toBe('192.168.77.1');
    // A default route without the gateway flag (a point-to-point link) names no gateway.
    expect(parseDefaultGateway(ROUTE_TABLE.replace('0003', '0001'))).toBeUndefined();
    expect(parseDefaultGateway('Iface\tDestination\n')).toBeUndefined();
  });

  it('asks no router for a loopback bind, and says off', async () => {
    let asked = false;
    const mapping = new PortMapping({
      enabled: true,
      host: '127.0.0.1',
      port: () => 7470,
      onChange: () => {},
      logger: createLogger({ level: 'silent' }),
      gateway: async () => {
        asked = true;
        return '192.168.77.1';
      },
    });
    await mapping.start();
    await mapping.stop();
    expect(asked).toBe(false);
    expect(mapping.status()).toMatchObject({ enabled: true, state: 'off', external: null });
    expect(mapping.externalAddresses()).toEqual([]);
  });

  it('without a default gateway it is unavailable and says why', async () => {
    const mapping = new PortMapping({
      enabled: true,
      host: '0.0.0.0',
      port: () => 7470,
      onChange: () => {},
      logger: createLogger({ level: 'silent' }),
      gateway: async () => undefined,
      retryMs: 3_600_000,
    });
    await mapping.start();
    await new Promise((r) => setTimeout(r, 50));
    await mapping.stop();
    expect(mapping.status()).toMatchObject({ state: 'unavailable', reason: 'no IPv4 default gateway' });
  });
});
