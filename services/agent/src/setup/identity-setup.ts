/**
 * Setup mode (docs/DESIGN.md "Setup mode"): a node started on a data dir without an identity,
 * with `--setup web` / KITH_SETUP=web, waits for its owner. Exactly one of four steps gives it
 * an identity, through the same code paths as the CLI:
 *   create  — a fresh phrase and identity (createIdentity); the phrase waits sealed in
 *             DATA/pending-phrase until the web UI's onboarding shows it once;
 *   enrol   — this node becomes one of the owner's devices from a device invite (enrolFromInvite,
 *             as `kith accept CODE` on a fresh data dir);
 *   recover — the phrase and a friend's invite (recoverFromInvite, as `kith recover --invite`);
 *   restore — a backup file and its passphrase (restoreBackup, as `kith restore`).
 * One step runs at a time; once one has written the keystore, `done` settles and the agent
 * continues into the full node in the same process.
 */
import { hostname } from 'node:os';
import type { RandomSource } from '@kith/core/crypto/index';
import { KithError } from '@kith/core/errors';
import { checkPhrase, phraseToSeed } from '@kith/core/identity/phrase';
import type { KithDatabase } from '@kith/db/database';
import { type RestoreReport, restoreBackup } from '../backup/backup.ts';
import { createIdentity } from '../keystore/create-identity.ts';
import { hasKeystore, writePendingPhrase } from '../keystore/index.ts';
import { enrolFromInvite } from '../peer/enrol-from-invite.ts';
import { type RecoveredDevice, recoverFromInvite } from '../peer/recover-from-invite.ts';

export interface SetupResult {
  userId: string;
  deviceId: string;
}

export interface IdentitySetupOptions {
  dataDir: string;
  /** The unlock passphrase (KITH_PASSPHRASE_FILE) the new keys are sealed under, if any. */
  passphrase?: string | undefined;
  random: RandomSource;
  /** This device's name when the person gives none. */
  defaultDeviceName?: string;
  /** The node's database (migrated, still empty): a restored backup goes into it. */
  database?: KithDatabase;
}

export class IdentitySetup {
  private busy = false;
  private chosenPassphrase: string | undefined;
  private result: SetupResult | undefined;
  private resolveDone: (r: SetupResult) => void = () => {};
  private rejectDone: (e: unknown) => void = () => {};
  /** Settles when a step has written the keystore (or rejects with SETUP_STOPPED on cancel). */
  readonly done: Promise<SetupResult>;

  constructor(private readonly options: IdentitySetupOptions) {
    this.done = new Promise<SetupResult>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // Nobody may be left with an unhandled rejection when the node stops before setup.
    this.done.catch(() => {});
  }

  get state(): { state: 'waiting' } | ({ state: 'ready' } & SetupResult) {
    return this.result ? { state: 'ready', ...this.result } : { state: 'waiting' };
  }

  /** The node stops before any step finished: `done` rejects with SETUP_STOPPED. */
  cancel(): void {
    if (!this.result) this.rejectDone(new KithError('SETUP_STOPPED'));
  }

  /**
   * The unlock passphrase the new keys were sealed under (the config's or the one the owner typed
   * at setup): the full node opens them with it, so it runs unlocked until its next start.
   */
  get passphrase(): string | undefined {
    return this.chosenPassphrase ?? this.options.passphrase;
  }

  create(body: {
    name?: string;
    deviceName?: string;
    bip39Passphrase?: string;
    unlockPassphrase?: string;
  }): Promise<SetupResult & { phrasePending: true }> {
    return this.step(body, async (passphrase) => {
      const { phrase, userId, device, unlocked } = await createIdentity({
        dataDir: this.options.dataDir,
        deviceName: this.deviceName(body.deviceName),
        userName: body.name?.trim(),
        passphrase,
        bip39Passphrase: body.bip39Passphrase || undefined,
        random: this.options.random,
      });
      // Never in a log or an answer: it waits, sealed, until the onboarding page shows it once.
      await writePendingPhrase(this.options.dataDir, unlocked, phrase!);
      return { userId, deviceId: device.deviceId, phrasePending: true as const };
    });
  }

  enrol(body: { code: string; unlockPassphrase?: string }) {
    return this.step(body, (passphrase) =>
      enrolFromInvite({
        code: body.code.trim(),
        dataDir: this.options.dataDir,
        ...(passphrase !== undefined ? { passphrase } : {}),
      }),
    );
  }

  recover(body: {
    phrase: string;
    invite: string;
    bip39Passphrase?: string;
    deviceName?: string;
    revoke?: string[];
    unlockPassphrase?: string;
  }): Promise<RecoveredDevice> {
    return this.step(body, (passphrase) => {
      const seed = phraseToSeed(checkPhrase(body.phrase), body.bip39Passphrase ?? '');
      return recoverFromInvite({
        code: body.invite.trim(),
        dataDir: this.options.dataDir,
        seed,
        revoke: body.revoke ?? [],
        deviceName: this.deviceName(body.deviceName),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
    });
  }

  /** The backup's rows into the (empty) database and its key files into the data dir, or nothing. */
  restore(sealed: AsyncIterable<Uint8Array>, passphrase: string): Promise<RestoreReport> {
    return this.step({}, () => {
      const database = this.options.database;
      if (!database) throw new KithError('RESTORE_REFUSED', 'This node cannot restore in setup mode.');
      return restoreBackup(sealed, { dataDir: this.options.dataDir, database, passphrase });
    });
  }

  private deviceName(given: string | undefined): string {
    const name = (given ?? this.options.defaultDeviceName ?? hostname()).trim().slice(0, 64);
    if (name.length === 0)
      throw new KithError('INVALID_INPUT', 'The device name must be 1 to 64 characters.');
    return name;
  }

  private async step<T extends SetupResult>(
    body: { unlockPassphrase?: string },
    run: (passphrase: string | undefined) => Promise<T>,
  ): Promise<T> {
    if (this.result) throw new KithError('SETUP_DONE');
    if (this.busy) throw new KithError('SETUP_BUSY');
    // One source of the unlock passphrase: a node started with KITH_PASSPHRASE_FILE uses that one.
    if (body.unlockPassphrase !== undefined && this.options.passphrase !== undefined)
      throw new KithError(
        'INVALID_INPUT',
        'This node’s unlock passphrase comes from KITH_PASSPHRASE_FILE (--passphrase-file): leave the unlock passphrase empty.',
      );
    this.busy = true;
    try {
      if (await hasKeystore(this.options.dataDir)) throw new KithError('SETUP_DONE');
      const passphrase = body.unlockPassphrase ?? this.options.passphrase;
      const r = await run(passphrase);
      this.chosenPassphrase = body.unlockPassphrase;
      this.result = { userId: r.userId, deviceId: r.deviceId };
      return r;
    } finally {
      this.busy = false;
    }
  }

  /** Called once the answer to the successful step has gone out: the full node may start. */
  finish(): void {
    if (this.result) this.resolveDone(this.result);
  }
}
