/** Issue 25 point 6: the README's groupBy list lacked `region` and `endpoint`, which the API and CLI offer. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GROUP_COLUMNS } from '../../src/store/read/costs.js';

describe('GROUP_COLUMNS', () => {
  it('is the groupBy list the README gives, in its order (README lacked region and endpoint)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const m = /`groupBy` \(`--group-by`\), one or more of: ((?:`\w+`(?:, )?)+)/.exec(readme);
    expect(m, 'README states the groupBy list').not.toBeNull();
    expect(m![1]!.split(', ').map((g) => g.replace(/`/g, ''))).toEqual(Object.keys(GROUP_COLUMNS));
  });
});
