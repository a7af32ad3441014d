/**
 * Locked relay mode (docs/SECURITY.md "Locked relay mode"): a device whose keys are under a
 * passphrase and that started without it runs locked — the peer node, the messenger and the
 * archive replicator relay, store and serve friends' ciphertext with the relay keys alone, and
 * what is addressed to this device is kept as it came. The parts that open this user's content
 * (conversations, the archivist) run only while unlocked; `unlock` starts them and reads what
 * was kept, `lock` stops them and forgets the keys again.
 */
import { KithError } from '@kith/core/errors';
import type { AgentService } from './components.ts';
import type { EventBus } from './event-bus.ts';
import type { DeviceKeyring } from './keystore/device-keyring.ts';
import type { Logger } from './logger.ts';
import type { Messenger } from './messaging/messenger.ts';
import type { PeerNode } from './peer/peer-node.ts';

export class LockControl implements AgentService {
  readonly name = 'lock-control';
  private running = false;
  private stopped = false;
  /** One change at a time (an unlock costs an scrypt: about 0.3 s). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly keyring: DeviceKeyring,
    private readonly node: PeerNode,
    private readonly messenger: Messenger,
    /** Services that open this user's content: run only while unlocked. */
    private readonly whileUnlocked: readonly AgentService[],
    private readonly events: EventBus,
    private readonly log: Logger,
  ) {}

  get locked(): boolean {
    return this.keyring.locked;
  }

  async start(): Promise<void> {
    if (this.keyring.locked) {
      this.log.info({ deviceId: this.node.deviceId }, 'locked: relaying only until `kith unlock`');
      return;
    }
    await this.startUnlocked();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => {});
    await this.stopUnlocked();
  }

  /** Opens the keys with the passphrase and becomes an access device; idempotent. */
  unlock(passphrase: string): Promise<{ locked: boolean; kept: number }> {
    return this.serial(async () => {
      if (!this.keyring.locked) return { locked: false, kept: 0 };
      if (this.stopped) return { locked: true, kept: 0 };
      await this.keyring.unlock(passphrase);
      try {
        await this.node.onUnlocked();
        await this.startUnlocked();
      } catch (err) {
        await this.stopUnlocked();
        this.forget();
        throw err;
      }
      const kept = await this.messenger.keptForUnlock();
      this.log.info({ kept }, 'unlocked');
      this.events.publish('node.unlocked', { kept });
      return { locked: false, kept };
    });
  }

  /** Stops what opens content and forgets the keys; idempotent. */
  lock(): Promise<{ locked: boolean }> {
    return this.serial(async () => {
      if (this.keyring.locked) return { locked: true };
      if (this.keyring.header.protection === 'none') {
        throw new KithError(
          'INVALID_INPUT',
          'This device’s keys have no unlock passphrase, so it cannot be locked.',
        );
      }
      await this.stopUnlocked();
      this.forget();
      this.log.info({}, 'locked');
      this.events.publish('node.locked', {});
      return { locked: true };
    });
  }

  private forget(): void {
    this.keyring.lock();
    this.messenger.forgetKeys();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => {});
    return next;
  }

  private async startUnlocked(): Promise<void> {
    for (const s of this.whileUnlocked) await s.start();
    this.running = true;
  }

  private async stopUnlocked(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const s of [...this.whileUnlocked].reverse()) await s.stop();
  }
}
