import { describe, expect, it } from 'vitest';
import type { Advisory } from './model.js';
import { mergeAdvisories } from './merge.js';

const advisory = (id: string, modified: string, origin: string): Advisory => ({
  id,
  kind: 'usn',
  summary: '',
  modified,
  cves: [],
  severities: [],
  affected: [],
  livepatch: [],
  origin,
});

describe('mergeAdvisories', () => {
  it('keeps the most recently modified copy of an id and says which copy it left out', () => {
    const older = advisory('USN-1-1', '2024-01-01T00:00:00Z', 'b/USN-1-1.json');
    const newer = advisory('USN-1-1', '2024-02-01T00:00:00.5Z', 'a/USN-1-1.json');
    const { advisories, problems } = mergeAdvisories([older, newer]);
    expect(advisories).toEqual([newer]);
    expect(problems).toEqual([
      {
        file: 'b/USN-1-1.json',
        path: 'modified',
        message:
          'USN-1-1 is also in a/USN-1-1.json with a newer modified time (2024-02-01T00:00:00.5Z > 2024-01-01T00:00:00Z); that copy is used and this one ignored',
      },
    ]);
  });

  it('compares times, not their spelling, and breaks ties by origin', () => {
    const first = advisory('USN-1-1', '2024-01-01T02:00:00+02:00', 'a.json');
    const second = advisory('USN-1-1', '2024-01-01T00:00:00Z', 'b.json');
    for (const order of [
      [first, second],
      [second, first],
    ]) {
      const { advisories, problems } = mergeAdvisories(order);
      expect(advisories).toEqual([first]);
      expect(problems[0]).toMatchObject({
        file: 'b.json',
        message: expect.stringContaining('with the same modified time'),
      });
    }
  });

  it('sorts by id', () => {
    const ids = ['USN-6567-2', 'LSN-0106-1', 'USN-6567-1', 'DSA-5678-1'];
    const { advisories } = mergeAdvisories(
      ids.map((id) => advisory(id, '2024-01-01T00:00:00Z', `${id}.json`)),
    );
    expect(advisories.map((a) => a.id)).toEqual(['DSA-5678-1', 'LSN-0106-1', 'USN-6567-1', 'USN-6567-2']);
  });
});
