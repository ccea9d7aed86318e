import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as words from './messages.js';

// Multipass's own text, copied from its sources (see messages.ts); a change here breaks users' scripts.
test("Multipass's fixed messages, word for word", () => {
  assert.equal(words.invalidInstanceName('1bad'), 'Invalid instance name supplied: 1bad');
  assert.equal(
    words.invalidMemorySize('1CiG'),
    '1CiG is not a valid memory size - need a non-negative integer (in base 10) or a decimal followed by K, M, or G (e.g. 1234B, 42MiB, 0.5G)',
  );
  assert.equal(words.instanceMissing('x'), 'instance "x" does not exist');
  assert.equal(
    words.instanceDeletedOnStart('x'),
    "Instance 'x' is deleted. Use 'recover' to recover it or 'purge' to permanently delete it.",
  );
  assert.equal(words.instanceDeleted('x'), 'instance "x" is deleted');
  assert.equal(words.instanceExists('x'), 'instance "x" already exists');
  assert.equal(words.unrecognizedSettingsKey('a.b'), "Unrecognized settings key: 'a.b'");
  assert.equal(words.invalidSetting('k', 'v', 'why'), "Invalid setting 'k=v': why");
  assert.equal(words.INVALID_FORMAT, 'Invalid format type given.');
  assert.equal(words.NAME_OR_ALL_REQUIRED, 'Name argument or --all is required');
  assert.equal(words.namesWithAll(1), 'Cannot specify name when --all option set');
  assert.equal(words.namesWithAll(2), 'Cannot specify names when --all option set');
  assert.equal(
    words.unknownCommandOrAlias('bogus'),
    `Error: Unknown command or alias 'bogus' (try "skiff help" or "skiff aliases")`,
  );
  assert.equal(words.unknownHelpCommand('bogus'), "Error: Unknown Command: 'bogus'");
});
