/** The archive restore in words on the page (app/logic/restore-progress.ts). */
import { describe, expect, it } from 'vitest';
import type { RestoreRun } from '../app/api.ts';
import {
  type RestoreRunView,
  restoreProgressText,
  restoreReportText,
} from '../app/logic/restore-progress.ts';

const run = (over: Partial<RestoreRunView>): RestoreRunView => ({
  running: true,
  stage: 'lists',
  done: 0,
  total: 0,
  report: null,
  ...over,
});

describe('restore progress', () => {
  it('says what the run does at each stage', () => {
    expect(restoreProgressText(run({ stage: 'lists' }))).toBe('Opening the archive lists…');
    expect(restoreProgressText(run({ stage: 'items', done: 3, total: 10 }))).toBe(
      'Restoring 3 of 10 archived items…',
    );
    expect(restoreProgressText(run({ stage: 'items', done: 0, total: 1 }))).toBe(
      'Restoring 0 of 1 archived item…',
    );
    expect(restoreProgressText(run({ stage: 'friends' }))).toMatch(/friends/);
    expect(restoreProgressText(run({ stage: 'done', running: false }))).toBe('');
  });

  it('reports conversations, messages, failures and friends', () => {
    expect(restoreReportText({ items: 2, conversations: 1, added: 2, failed: [] })).toBe(
      '1 conversation restored, 2 messages new on this device.',
    );
    expect(
      restoreReportText({
        items: 3,
        conversations: 2,
        added: 1,
        failed: [{ id: 'ab', code: 'ENVELOPE_TOO_FEW_SHARES' }],
        friends: {
          friends: 2,
          added: ['u1'],
          introduced: [{ outcome: 'merged' }, { outcome: 'unreachable' }],
        },
      }),
    ).toBe(
      '2 conversations restored, 1 message new on this device; 1 item could not be opened; ' +
        '2 friends in your list (1 new here); 1 of 2 friend devices introduced to this one.',
    );
  });

  it('says when nothing was found, and what to try', () => {
    expect(restoreReportText({ items: 0, conversations: 0, added: 0, failed: [] })).toMatch(
      /Nothing archived was found.*online/,
    );
  });

  it('reads the agent’s run as it is (the shape of GET /api/archive/restore-run)', () => {
    const agentRun: RestoreRun = {
      running: false,
      byPhrase: true,
      stage: 'done',
      done: 1,
      total: 1,
      report: { items: 1, conversations: 1, added: 1, failed: [] },
      error: null,
    };
    const view: RestoreRunView = agentRun;
    expect(restoreReportText(view.report!)).toBe('1 conversation restored, 1 message new on this device.');
  });
});
