/**
 * The forward-secrecy sweep (docs/SECURITY.md "Forward secrecy"), on the schedule of
 * secrecy-schedule.ts: rotates this device's prekey when due; erases each epoch key whose time
 * is over after sealing its messages' bodies under the storage key (the device keeps reading
 * what it stored); erases prekeys past their keep time; then erases the keys of the erasure
 * buckets nothing uses any more, which makes every copy of what they sealed unreadable.
 */
import { encodeCanonical } from '@kith/core/codec';
import type { CryptoBackend } from '@kith/core/crypto/backend';
import { openVerifiedChatMessage } from '@kith/core/messaging/chat-message';
import type { ErasureKeys } from '../keystore/erasure-keys.ts';
import type { PeerNode } from '../peer/peer-node.ts';
import { sealBox } from '../peer/sealed-box.ts';
import type { MessageRepository } from '../repositories/message-repository.ts';
import type { Epochs } from './epochs.ts';
import type { Prekeys } from './prekeys.ts';
import type { SecrecySchedule } from './secrecy-schedule.ts';

/** The purpose a stored message body is sealed for (message-views.ts opens it). */
export const MESSAGE_BODY_PURPOSE = 'message-body';

export interface SweepResult {
  prekeyMade: boolean;
  epochsErased: number;
  prekeysErased: number;
  bucketsErased: number;
}

export class SecrecySweep {
  private running: Promise<SweepResult> | undefined;

  constructor(
    private readonly node: PeerNode,
    private readonly repo: MessageRepository,
    private readonly epochs: Epochs,
    private readonly prekeys: Prekeys,
    private readonly erasure: ErasureKeys,
    private readonly schedule: SecrecySchedule,
    private readonly backend: () => CryptoBackend,
  ) {}

  /** One pass; a call while one runs waits for it and runs again. */
  async run(): Promise<SweepResult> {
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.pass();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async pass(): Promise<SweepResult> {
    const result: SweepResult = { prekeyMade: false, epochsErased: 0, prekeysErased: 0, bucketsErased: 0 };
    // Locked, the device holds no storage key: nothing can be sealed, rotated or opened.
    if (this.node.locked) return result;
    result.prekeyMade = await this.prekeys.rotateIfDue();
    const now = this.schedule.clock();
    const begunBefore = new Date(now - this.schedule.epochMaxAgeMs - this.schedule.epochLateMs);
    for (;;) {
      const due = await this.repo.epochsBegunBefore(begunBefore, 100);
      if (due.length === 0) break;
      for (const row of due) {
        const key = await this.epochs.key(row.epochId);
        const bodies: { id: Uint8Array; bodySealed: Uint8Array }[] = [];
        if (key) {
          for (const m of await this.repo.messagesOfEpoch(row.epochId)) {
            if (m.bodySealed) continue;
            let body: { t: string; text?: string };
            try {
              const opened = openVerifiedChatMessage(m.item, key, this.backend());
              // Conversation items went to their service when they came; only texts are shown.
              body = opened.body.t === 'text' ? { t: 'text', text: opened.body.text } : { t: opened.body.t };
            } catch {
              continue;
            }
            bodies.push({
              id: m.id,
              bodySealed: sealBox(
                this.node.options.device.storageKey,
                MESSAGE_BODY_PURPOSE,
                encodeCanonical(body as never),
                this.node.random,
              ),
            });
          }
        }
        await this.repo.eraseEpoch(row.epochId, bodies);
        this.epochs.dropErased([row.epochId]);
        result.epochsErased++;
      }
    }
    result.prekeysErased = await this.prekeys.eraseOld();
    const keep = new Set([...(await this.repo.epochBuckets()), ...(await this.prekeys.bucketsInUse())]);
    result.bucketsErased = (await this.erasure.eraseEnded(now, keep)).length;
    if (result.epochsErased || result.prekeysErased || result.bucketsErased)
      this.node.log.info({ ...result }, 'secrecy: erased keys whose time was over');
    return result;
  }
}
