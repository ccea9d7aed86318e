import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostArch } from './arch.js';

test('Node architectures map to simplestreams (Debian) names', () => {
  assert.equal(hostArch('x64'), 'amd64');
  assert.equal(hostArch('arm64'), 'arm64');
  assert.equal(hostArch('arm'), 'armhf');
  assert.equal(hostArch('ia32'), 'i386');
  assert.equal(hostArch('ppc64'), 'ppc64el');
  assert.equal(hostArch('s390x'), 's390x');
  assert.equal(hostArch('riscv64'), 'riscv64');
});

test('an unknown architecture passes through, and the default is this host', () => {
  assert.equal(hostArch('mips'), 'mips');
  assert.equal(hostArch(), hostArch(process.arch));
});
