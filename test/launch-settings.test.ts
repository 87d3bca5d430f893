// The CLI's launch settings (src/util/allocator.ts): which V8 flags each command re-executes itself with,
// and that a flag the user already chose, either way, is left to the user.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { missingFlags, v8FlagsFor } from '../src/util/allocator.js';

describe('launch settings', () => {
  it('serve gets a smaller young generation everywhere and a single-threaded scavenger on <= 4 cores', () => {
    assert.deepEqual(v8FlagsFor(['node', 'cli.js', 'serve'], 2), ['--max-semi-space-size=8', '--no-parallel-scavenge']);
    assert.deepEqual(v8FlagsFor(['node', 'cli.js', 'serve'], 4), ['--max-semi-space-size=8', '--no-parallel-scavenge']);
    assert.deepEqual(v8FlagsFor(['node', 'cli.js', 'serve'], 16), ['--max-semi-space-size=8']);
    assert.deepEqual(v8FlagsFor(['node', 'cli.js', 'train'], 2), []);
  });

  it('a flag given by the user (value or no- form, dashes or underscores) is not added again', () => {
    const wanted = ['--max-semi-space-size=8', '--no-parallel-scavenge'];
    assert.deepEqual(missingFlags(wanted, []), wanted);
    assert.deepEqual(missingFlags(wanted, ['--max-semi-space-size=32']), ['--no-parallel-scavenge']);
    assert.deepEqual(missingFlags(wanted, ['--parallel-scavenge']), ['--max-semi-space-size=8']);
    assert.deepEqual(missingFlags(wanted, ['--max_semi_space_size=4', '--no-parallel-scavenge']), []);
  });
});
