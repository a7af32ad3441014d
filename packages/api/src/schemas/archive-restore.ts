/**
 * Restoring the archive (docs/ARCHITECTURE.md "Restoring the archive"): one run in the agent,
 * started by `kith archive restore` or the web UI, followed by its state and its events. The
 * phrase travels in the start request only; the agent uses it in memory and keeps it nowhere.
 */
import Type from 'typebox';

export const RestoreArchiveBody = Type.Object(
  {
    /** The seed phrase, after a recovery: opens the lists and items the lost devices sealed. */
    phrase: Type.Optional(Type.String({ minLength: 1, maxLength: 1024 })),
    bip39Passphrase: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);

const Failed = Type.Array(Type.Object({ id: Type.String(), code: Type.String() }));

export const Introduction = Type.Object({
  user: Type.String(),
  device: Type.String(),
  /** `merged`: the friend dropped the lost device's link after our log (it took the revocation). */
  outcome: Type.Union([Type.Literal('merged'), Type.Literal('unconfirmed'), Type.Literal('unreachable')]),
  code: Type.Optional(Type.String()),
});

export const RestoreReport = Type.Object({
  /** Archived items found in the lists (history segments and current items). */
  items: Type.Integer(),
  conversations: Type.Integer(),
  /** Messages this device did not have before. */
  added: Type.Integer(),
  failed: Failed,
  /** With the phrase: friends back from the archived friend list. */
  friends: Type.Optional(
    Type.Object({
      friends: Type.Integer(),
      added: Type.Array(Type.String()),
      introduced: Type.Array(Introduction),
      failed: Failed,
    }),
  ),
});

export const RestoreStage = Type.Union([
  Type.Literal('idle'),
  Type.Literal('lists'),
  Type.Literal('items'),
  Type.Literal('friends'),
  Type.Literal('done'),
  Type.Literal('failed'),
]);

/** The run in progress, or the last one (until the agent restarts). */
export const RestoreRun = Type.Object({
  running: Type.Boolean(),
  byPhrase: Type.Boolean(),
  stage: RestoreStage,
  /** Items (stage `items`) or friend bundles (stage `friends`) done, of `total`. */
  done: Type.Integer(),
  total: Type.Integer(),
  report: Type.Union([RestoreReport, Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String() }), Type.Null()]),
});
