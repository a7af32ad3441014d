/** Ids and names a person types (cli/src/commands/resolve.ts), and the table of human output. */
import { describe, expect, it } from 'vitest';
import { isKithError } from '@kith/core/errors';
import { pick } from '../src/commands/resolve.ts';
import { table } from '../src/table.ts';

const people = [
  { id: 'abcde-fghjk-mnpqr-stvwx-yz012', name: 'Ana' },
  { id: 'abcdf-00000-11111-22222-33333', name: 'Bruno' },
  { id: 'zzzzz-00000-11111-22222-33333', name: null },
];

function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isKithError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

describe('pick', () => {
  it('takes a name (any case), an id, or a prefix that names one', () => {
    expect(pick('bruno', people, 'friend')).toBe(people[1]!.id);
    expect(pick('zzzzz', people, 'friend')).toBe(people[2]!.id);
    expect(pick('ABCDE-FG', people, 'friend')).toBe(people[0]!.id);
  });

  it('an ambiguous prefix is ID_AMBIGUOUS and lists the matches; nothing is NO_MATCH', () => {
    const e = errorOf(() => pick('abcd', people, 'friend'));
    expect(e.code).toBe('ID_AMBIGUOUS');
    expect(e.message).toContain('Ana abcde-fghjk');
    expect(e.message).toContain('Bruno abcdf-00000');
    expect(errorOf(() => pick('Carla', people, 'friend')).code).toBe('NO_MATCH');
  });
});

describe('table', () => {
  it('has a header and never runs two columns together', () => {
    const t = table(
      ['', 'NAME', 'USER ID'],
      [
        ['●', 'Ana', 'abcde'],
        ['○', 'Bartholomew', 'fghjk'],
      ],
    );
    expect(t.split('\n')).toEqual([
      '   NAME         USER ID',
      '●  Ana          abcde',
      '○  Bartholomew  fghjk',
    ]);
  });
});
