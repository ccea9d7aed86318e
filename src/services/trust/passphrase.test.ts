import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassphrase, isPassphraseHash, verifyPassphrase } from './passphrase.js';

test('a hash verifies its passphrase only, and never shows it', async () => {
  const stored = hashPassphrase('correct horse');
  assert.ok(isPassphraseHash(stored));
  assert.ok(!stored.includes('correct horse'));
  assert.ok(await verifyPassphrase('correct horse', stored));
  assert.ok(!(await verifyPassphrase('correct hors', stored)));
  assert.ok(!(await verifyPassphrase('', stored)));
});

test('each hash has its own salt', () => {
  assert.notEqual(hashPassphrase('same'), hashPassphrase('same'));
});

test('anything else is no hash and verifies nothing', async () => {
  for (const stored of ['', 'plain', 'a'.repeat(64), 'scrypt$3$8$1$AAAA$AAAA', 'scrypt$32768$8$1$AAAA$AAAA'])
    assert.ok(!(await verifyPassphrase('plain', stored)), stored);
  assert.ok(!isPassphraseHash('scrypt$3$8$1$AAAA$AAAA'), 'N must be a power of two');
  assert.ok(!isPassphraseHash(`scrypt$${1 << 24}$8$1$AAAA$AAAA`), 'a cost that would stall the daemon');
});
