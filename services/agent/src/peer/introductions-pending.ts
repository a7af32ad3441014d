/**
 * Introductions that did not take during an archive restore (docs/PROTOCOL.md §9 "Friends after
 * a recovery"): a friend device that was offline then still knows only the lost devices, so it
 * refuses this device's links and never learns of it by itself. The restore hands the devices it
 * could not introduce to this object, with the lost devices' keys it derived from the phrase;
 * they are tried again on a timer (introduce-recovered.ts) until each one took the log, links to
 * this device on its own, or the time runs out. The keys stay in the agent's memory only, never
 * on disk, and are zeroed when nothing is left to introduce, at the deadline, or at stop; an
 * agent restarted before then forgets them (the restore with the phrase introduces again).
 */
import type { AgentService } from '../components.ts';
import {
  type Introduction,
  type IntroductionTarget,
  introduceTo,
  type LostDevice,
} from './introduce-recovered.ts';
import type { PeerNode } from './peer-node.ts';

export interface PendingIntroductionOptions {
  /** Between two rounds of tries (default 30 s). */
  intervalMs?: number;
  /** How long after the restore the keys are kept for it (default 7 days). */
  keepMs?: number;
  /** How long one try waits for the friend to drop the link once our log is sent. */
  waitMs?: number;
}

const DEFAULTS = { intervalMs: 30_000, keepMs: 7 * 24 * 3600_000 };

export class PendingIntroductions implements AgentService {
  readonly name = 'pending-introductions';
  readonly #targets = new Map<string, IntroductionTarget>();
  #lost: LostDevice[] = [];
  #until = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #round: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    private readonly node: PeerNode,
    private readonly options: PendingIntroductionOptions = {},
  ) {}

  /** Device ids still waiting for their introduction (for tests and views). */
  waiting(): string[] {
    return [...this.#targets.keys()];
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.#stopped = true;
    this.forget();
    await this.#round;
  }

  /**
   * After a restore's introductions: `lost` are the keys used (copied here; the caller zeroes
   * its own), `targets` what did not take. Replaces what an earlier restore left.
   */
  keep(lost: readonly LostDevice[], targets: readonly IntroductionTarget[]): void {
    this.forget();
    if (this.#stopped || targets.length === 0 || lost.length === 0) return;
    this.#lost = lost.map((l) => ({
      certificate: l.certificate,
      keys: { privateKey: new Uint8Array(l.keys.privateKey), publicKey: l.keys.publicKey },
    }));
    for (const t of targets) this.#targets.set(t.device, t);
    this.#until = this.node.clock() + (this.options.keepMs ?? DEFAULTS.keepMs);
    this.node.log.info({ devices: targets.length }, 'introductions: friend devices to introduce later');
    this.schedule();
  }

  private schedule(): void {
    if (this.#stopped || this.#targets.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#round = this.round().then(
        () => undefined,
        (err: unknown) => {
          if (!this.#stopped) this.node.log.warn({ err }, 'introductions: a round failed');
        },
      );
      void this.#round.then(() => this.schedule());
    }, this.options.intervalMs ?? DEFAULTS.intervalMs);
    this.#timer.unref?.();
  }

  /** One try per waiting device; a device linked to us now needs none. */
  async round(): Promise<Introduction[]> {
    const out: Introduction[] = [];
    if (this.node.clock() >= this.#until) {
      this.node.log.info({ devices: this.#targets.size }, 'introductions: kept long enough, forgotten');
      this.forget();
      return out;
    }
    const linked = new Set(this.node.onlineSessions().map((s) => s.deviceId));
    for (const [device, target] of [...this.#targets]) {
      if (this.#stopped) break;
      const row = await this.node.identity.device(device);
      if (linked.has(device) || row?.status !== 'active') {
        this.#targets.delete(device);
        continue;
      }
      if (!(await this.node.friends.isFriend(target.user))) continue; // unfriended, or not yet
      // Where the device is now, if it told us since the archive was written.
      const record = await this.node.addresses.get(device);
      const addresses = [...new Set([...(record?.addresses ?? []), ...target.addresses])];
      const key = record?.relay?.linkKey ?? target.key;
      const result = await introduceTo(
        {
          own: this.node.ownLog,
          lost: this.#lost,
          ...(this.options.waitMs !== undefined ? { waitMs: this.options.waitMs } : {}),
        },
        { ...target, addresses, key },
      );
      out.push(result);
      if (result.outcome === 'merged') {
        this.#targets.delete(device);
        this.node.options.events.publish('friend.introduced', { userId: target.user, deviceId: device });
        this.node.dialNow(device);
      }
    }
    if (this.#targets.size === 0) this.forget();
    return out;
  }

  private forget(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const l of this.#lost) l.keys.privateKey.fill(0);
    this.#lost = [];
    this.#targets.clear();
  }
}
