/**
 * The chaos run's count (scenario.ts): from what each device holds at the end, the (message,
 * device) pairs missing, the messages held twice, and the conversations whose members' devices
 * differ — each named, so a failed run says which message, device and conversation to look at.
 * Pure: the inventory is taken by scenario.ts.
 */

export interface SentRecord {
  text: string;
  /** The conversation id; '' for a direct send whose CLI failed before it said which. */
  conversation: string;
  group: boolean;
  /** Users whose every device must end with the message (when its CLI send succeeded). */
  users: number[];
  /** The sending device's host name. */
  from: string;
  /** Seconds after traffic started. */
  at: number;
  /** The CLI said the send failed: nothing was promised, but it must end everywhere or nowhere. */
  failed: boolean;
}

export interface HeldMessage {
  id: string;
  conversation: string;
  text: string;
}

export interface CountDevice {
  name: string;
  user: number;
}

export interface LostMessage {
  text: string;
  conversation: string;
  from: string;
  at: number;
  cliFailed: boolean;
  /** Devices that should hold it and do not. */
  missingOn: string[];
}

export interface Divergence {
  conversation: string;
  group: boolean;
  /** Per member device that lacks messages some other member device holds: what it lacks. */
  lacking: { device: string; messages: { id: string; text: string; from: string; cliFailed: boolean }[] }[];
}

export interface Count {
  lost: number;
  lostMessages: LostMessage[];
  duplicates: number;
  divergent: number;
  divergences: Divergence[];
}

export function count(
  seed: number,
  devices: CountDevice[],
  sent: SentRecord[],
  held: Map<string, HeldMessage[]>,
): Count {
  const prefix = `chaos ${seed} #`;
  const byText = new Map(sent.map((s) => [s.text, s]));

  const lostMessages: LostMessage[] = [];
  for (const s of sent) {
    if (s.failed) continue;
    const missingOn = devices
      .filter((d) => s.users.includes(d.user))
      .filter((d) => !(held.get(d.name) ?? []).some((m) => m.text === s.text))
      .map((d) => d.name);
    if (missingOn.length)
      lostMessages.push({
        text: s.text,
        conversation: s.conversation,
        from: s.from,
        at: s.at,
        cliFailed: false,
        missingOn,
      });
  }

  let duplicates = 0;
  for (const list of held.values()) {
    const seen = new Set<string>();
    for (const m of list) {
      if (!m.text.startsWith(prefix)) continue;
      if (seen.has(m.text)) duplicates++;
      seen.add(m.text);
    }
  }

  // Every conversation any device holds a run message of, or a successful send named. Its
  // members are the users of the run messages in it (a direct one: the two; the group: all).
  const members = new Map<string, { users: Set<number>; group: boolean }>();
  const note = (c: string, s: SentRecord | undefined) => {
    if (!c || !s) return;
    const e = members.get(c) ?? { users: new Set<number>(), group: s.group };
    for (const u of s.users) e.users.add(u);
    members.set(c, e);
  };
  for (const s of sent) note(s.conversation, s);
  for (const list of held.values()) for (const m of list) note(m.conversation, byText.get(m.text));

  const divergences: Divergence[] = [];
  for (const [c, { users, group }] of members) {
    const memberDevices = devices.filter((d) => users.has(d.user));
    const views = memberDevices.map((d) => ({
      device: d.name,
      messages: new Map((held.get(d.name) ?? []).filter((m) => m.conversation === c).map((m) => [m.id, m])),
    }));
    const union = new Map<string, HeldMessage>();
    for (const v of views) for (const [id, m] of v.messages) union.set(id, m);
    const lacking = views
      .map((v) => ({
        device: v.device,
        messages: [...union.values()]
          .filter((m) => !v.messages.has(m.id))
          .map((m) => {
            const s = byText.get(m.text);
            return { id: m.id, text: m.text, from: s?.from ?? '?', cliFailed: s?.failed ?? false };
          }),
      }))
      .filter((v) => v.messages.length > 0);
    if (lacking.length) divergences.push({ conversation: c, group, lacking });
  }

  return {
    lost: lostMessages.reduce((n, l) => n + l.missingOn.length, 0),
    lostMessages,
    duplicates,
    divergent: divergences.length,
    divergences,
  };
}
