import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGuestFacts } from './guest-facts.js';

const sections = (addresses: string) =>
  [
    'NAME="Ubuntu"\nPRETTY_NAME="Ubuntu 24.04.1 LTS"\nID=ubuntu',
    '0.45 0.51 0.15 1/123 4567',
    '/dev/sda1 5153960756 1288490188 3865470568 25% /',
    'MemTotal:        1467840 kB\nMemFree:          900000 kB\nMemAvailable:    1408448 kB',
    addresses,
  ].join('\n@@\n');

test('parses release, load, disk, memory and addresses', () => {
  const facts = parseGuestFacts(sections('10.0.2.15 fd00::1 \n'));
  assert.deepEqual(facts, {
    release: 'Ubuntu 24.04.1 LTS',
    load: [0.45, 0.51, 0.15],
    disk: { device: 'sda1', totalBytes: 5153960756, usedBytes: 1288490188 },
    memory: { totalBytes: 1467840 * 1024, usedBytes: (1467840 - 1408448) * 1024 },
    ipv4: ['10.0.2.15'],
  });
});

test('ip -o addr output gives the addresses, not the broadcast', () => {
  const facts = parseGuestFacts(
    sections('2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0\\       valid_lft forever'),
  );
  assert.deepEqual(facts.ipv4, ['10.0.2.15']);
});

test('missing sections give nulls, not errors', () => {
  assert.deepEqual(parseGuestFacts(''), { release: null, load: null, disk: null, memory: null, ipv4: [] });
});

test('control characters from the guest never reach the terminal', () => {
  const output = [
    'PRETTY_NAME="Evil\u001b[2J\u001b]0;owned\u0007 OS"',
    '0 0 0 1/1 1',
    '/dev/sd\u001ba1 100 50 50 50% /',
    '',
    '',
  ].join('\n@@\n');
  const facts = parseGuestFacts(output);
  assert.equal(facts.release, 'Evil[2J]0;owned OS');
  assert.equal(facts.disk?.device, 'sda1');
});
