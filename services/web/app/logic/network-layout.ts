/**
 * Positions for the network picture: this device in the middle, my other devices on an inner
 * ring, each friend's devices grouped on an outer ring (one arc per friend). Pure and
 * deterministic (same input, same picture), so it is unit-tested.
 */
export interface NetPeer {
  deviceId: string;
  userId: string;
  own: boolean;
  online: boolean;
}

export interface PlacedNode extends NetPeer {
  x: number;
  y: number;
}

export interface Layout {
  width: number;
  height: number;
  me: { x: number; y: number };
  nodes: PlacedNode[];
  /** Friend labels, at the middle of each friend's arc. */
  groups: { userId: string; x: number; y: number }[];
}

export function layoutNetwork(peers: readonly NetPeer[], size = 360): Layout {
  const c = size / 2;
  const inner = size * 0.2;
  const outer = size * 0.38;
  const mine = peers.filter((p) => p.own);
  const friends = new Map<string, NetPeer[]>();
  for (const p of peers.filter((p) => !p.own)) {
    const list = friends.get(p.userId) ?? [];
    list.push(p);
    friends.set(p.userId, list);
  }
  const at = (r: number, a: number) => ({ x: round(c + r * Math.cos(a)), y: round(c + r * Math.sin(a)) });
  const nodes: PlacedNode[] = mine.map((p, i) => ({
    ...p,
    ...at(inner, -Math.PI / 2 + (2 * Math.PI * i) / mine.length),
  }));
  const groups: Layout['groups'] = [];
  const users = [...friends.keys()].sort();
  users.forEach((userId, g) => {
    const devices = friends.get(userId)!;
    const span = (2 * Math.PI) / users.length;
    const start = Math.PI / 2 + g * span;
    devices.forEach((p, i) => {
      nodes.push({ ...p, ...at(outer, start + (span * (i + 1)) / (devices.length + 1)) });
    });
    groups.push({ userId, ...at(outer + size * 0.09, start + span / 2) });
  });
  return { width: size, height: size, me: { x: c, y: c }, nodes, groups };
}

const round = (n: number) => Math.round(n * 10) / 10;
