import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { cloudInitFiles, parseUserCloudConfig } from './cloud-init.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDaemonKeyDaemonKeyDaemonKeyDaemonKeyDaemonKe skiff';
const base = { instanceId: 'iid-primary-1', hostname: 'primary', sshAuthorizedKeys: [KEY] };

const userData = (files: { 'user-data': string }): Record<string, unknown> => {
  assert.ok(files['user-data'].startsWith('#cloud-config\n'));
  return parse(files['user-data']) as Record<string, unknown>;
};

test('without user config: the default user with the daemon key, sudo and bash; nothing installed', () => {
  const files = cloudInitFiles(base);
  assert.deepEqual(parse(files['meta-data']), {
    'instance-id': 'iid-primary-1',
    'local-hostname': 'primary',
  });
  assert.deepEqual(userData(files), {
    users: [
      'default',
      {
        name: 'ubuntu',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        shell: '/bin/bash',
        lock_passwd: true,
        ssh_authorized_keys: [KEY],
      },
    ],
    ssh_authorized_keys: [KEY],
  });
  assert.equal(files['network-config'], undefined);
  assert.doesNotMatch(files['user-data'], /packages|pollinate|package_update/);
});

test('long keys stay on one line (line-based NoCloud readers)', () => {
  const long = `ssh-rsa ${'A'.repeat(700)} me@host`;
  const files = cloudInitFiles({ ...base, sshAuthorizedKeys: [long] });
  assert.ok(files['user-data'].split('\n').some((line) => line.endsWith(long)));
});

test("the user's keys, runcmd, write_files, packages and users are kept", () => {
  const user = [
    '#cloud-config',
    'packages: [htop]',
    'runcmd:',
    '  - [sh, -c, "echo hi > /tmp/hi"]',
    '  - touch /tmp/done',
    'write_files:',
    '  - path: /etc/motd',
    '    content: |',
    '      hello',
    'ssh_authorized_keys:',
    '  - ssh-ed25519 AAAAuser user@laptop',
    'users:',
    '  - name: alice',
    '    ssh_authorized_keys: [ssh-ed25519 AAAAalice alice]',
  ].join('\n');
  const doc = userData(cloudInitFiles({ ...base, userCloudConfig: user }));
  assert.deepEqual(doc.packages, ['htop']);
  assert.deepEqual(doc.runcmd, [['sh', '-c', 'echo hi > /tmp/hi'], 'touch /tmp/done']);
  assert.deepEqual(doc.write_files, [{ path: '/etc/motd', content: 'hello\n' }]);
  assert.deepEqual(doc.ssh_authorized_keys, [KEY, 'ssh-ed25519 AAAAuser user@laptop']);
  const users = doc.users as Array<string | Record<string, unknown>>;
  assert.equal(users[0], 'default', 'the default user is always created');
  assert.deepEqual(users[1], { name: 'alice', ssh_authorized_keys: ['ssh-ed25519 AAAAalice alice'] });
  assert.deepEqual((users[2] as Record<string, unknown>).ssh_authorized_keys, [KEY]);
});

test("the user's own ubuntu entry is merged: their settings win, the daemon key is added", () => {
  const user =
    'users:\n  - default\n  - name: ubuntu\n    shell: /bin/zsh\n    ssh-authorized-keys: [ssh-ed25519 AAAAmine me]\n';
  const users = userData(cloudInitFiles({ ...base, userCloudConfig: user })).users as unknown[];
  assert.deepEqual(users, [
    'default',
    {
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      shell: '/bin/zsh',
      lock_passwd: true,
      name: 'ubuntu',
      ssh_authorized_keys: [KEY, 'ssh-ed25519 AAAAmine me'],
    },
  ]);
});

test('the legacy comma-separated users string is accepted', () => {
  const users = userData(cloudInitFiles({ ...base, userCloudConfig: 'users: default, bob' }))
    .users as unknown[];
  assert.deepEqual(users.slice(0, 2), ['default', 'bob']);
});

test('the user hostname and other keys pass through untouched', () => {
  const doc = userData(
    cloudInitFiles({ ...base, userCloudConfig: 'hostname: custom\ntimezone: Europe/Paris\n' }),
  );
  assert.equal(doc.hostname, 'custom');
  assert.equal(doc.timezone, 'Europe/Paris');
});

test('network-config pins DHCP to the NIC by MAC when given', () => {
  const files = cloudInitFiles({ ...base, macAddress: '52:54:00:AA:BB:CC' });
  assert.deepEqual(parse(files['network-config'] ?? ''), {
    version: 2,
    ethernets: { default: { match: { macaddress: '52:54:00:aa:bb:cc' }, dhcp4: true } },
  });
});

test('a daemon key is required', () => {
  assert.throws(() => cloudInitFiles({ ...base, sshAuthorizedKeys: [] }), { code: 'invalid-argument' });
});

test('parseUserCloudConfig: header optional, blank is empty', () => {
  assert.deepEqual(parseUserCloudConfig('#cloud-config\nruncmd: [ls]\n'), { runcmd: ['ls'] });
  assert.deepEqual(parseUserCloudConfig('runcmd: [ls]'), { runcmd: ['ls'] });
  assert.deepEqual(parseUserCloudConfig(''), {});
  assert.deepEqual(parseUserCloudConfig('#cloud-config\n'), {});
});

const rejects: Array<[string, string, RegExp]> = [
  ['bad indentation', '#cloud-config\nruncmd:\n  - a\n - b\n', /^cloud-init: line 4: /],
  ['unclosed flow', 'users: [a, b\n', /^cloud-init: line \d+: /],
  ['duplicate key', 'a: 1\na: 2\n', /^cloud-init: line 2: Map keys must be unique/],
  ['tab indentation', 'runcmd:\n\t- ls\n', /^cloud-init: line 2: /],
  ['a list', '- a\n- b\n', /^cloud-init: the top level must be a mapping .* got a list/],
  ['a scalar', 'hello', /^cloud-init: the top level must be a mapping .* got string/],
  ['a shell script', '#!/bin/sh\necho hi\n', /only #cloud-config YAML is supported/],
  [
    'keys not a list',
    'ssh_authorized_keys: ssh-ed25519 AAAA\n',
    /ssh_authorized_keys: must be a list of strings/,
  ],
  ['users a mapping', 'users: {alice: true}\n', /users: must be a list/],
  ['user entry a number', 'users: [default, 3]\n', /users\[1\]: must be a name or a mapping/],
];
for (const [name, text, message] of rejects) {
  test(`parseUserCloudConfig rejects ${name} with a clear invalid-argument`, () => {
    assert.throws(
      () => parseUserCloudConfig(text),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'invalid-argument');
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });
}
