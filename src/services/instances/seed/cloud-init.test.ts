import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { readMultipart } from '../../../testing/mime-reader.js';
import {
  cloudInitFiles,
  guestHostPublicKey,
  parseUserCloudConfig,
  readUserData,
  SKIFF_MERGE_TYPE,
} from './cloud-init.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDaemonKeyDaemonKeyDaemonKeyDaemonKeyDaemonKe skiff';
const base = { instanceId: 'iid-primary-1', hostname: 'primary', sshAuthorizedKeys: [KEY] };
const read11 = (text: string): unknown => parse(text, { version: '1.1' });

/** The parts of user-data, and skiff's own config (the last part) read as YAML 1.1. */
function seed(userData?: string) {
  const files = cloudInitFiles({ ...base, ...(userData === undefined ? {} : { userData }) });
  const doc = readMultipart(files['user-data']);
  const ours = doc.parts.at(-1)!;
  return { files, doc, parts: doc.parts, skiff: read11(ours.body) as Record<string, unknown>, ours };
}

test('user-data is MIME multipart that cloud-init recognises (MIME-Version in the first 4 KiB)', () => {
  const { files, doc } = seed();
  assert.match(files['user-data'].slice(0, 4096), /^MIME-Version: 1\.0$/m);
  assert.match(doc.headers['content-type'] ?? '', /^multipart\/mixed; boundary="/);
});

test("without user data: skiff's part alone, the default user kept, the daemon key only for ubuntu", () => {
  const { parts, skiff, ours } = seed();
  assert.equal(parts.length, 1);
  assert.match(ours.headers['content-type'] ?? '', /^text\/cloud-config;/);
  assert.equal(ours.headers['merge-type'], SKIFF_MERGE_TYPE);
  assert.ok(ours.body.startsWith('#cloud-config\n'));
  assert.deepEqual(skiff, {
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
    manage_etc_hosts: true,
  });
  assert.equal(
    (skiff as Record<string, unknown>).ssh_authorized_keys,
    undefined,
    'no top-level keys: they would go to any default user',
  );
  assert.doesNotMatch(ours.body, /packages|pollinate|package_update/);
});

test("the user's cloud-config reaches the guest byte for byte (YAML 1.1 traps, non-ASCII, comments)", () => {
  const user = [
    '#cloud-config',
    '# a comment cloud-init ignores',
    'write_files:',
    '  - path: /etc/flag',
    '    content: "on"',
    '    permissions: "0640"',
    '  - path: /etc/answer',
    '    content: no',
    'runcmd:',
    '  - [sh, -c, "echo 1:20 > /tmp/t"]',
    'bootcmd: [echo héllo ✓]',
    '',
  ].join('\n');
  const { parts } = seed(user);
  assert.equal(parts.length, 2);
  assert.match(
    parts[0]!.headers['content-type'] ?? '',
    /^text\/plain;/,
    'cloud-init types it by its first line',
  );
  assert.equal(parts[0]!.body, user);
});

test('long keys stay on one line (line-based readers)', () => {
  const long = `ssh-rsa ${'A'.repeat(700)} me@host`;
  const files = cloudInitFiles({ ...base, sshAuthorizedKeys: [long] });
  const ours = readMultipart(files['user-data']).parts.at(-1)!.body;
  assert.ok(ours.split('\n').some((line) => line.includes(long)));
});

test('header-less YAML is taken as cloud-config and gets the header line, nothing else changes', () => {
  const { parts } = seed('runcmd: [ls]\n');
  assert.equal(parts[0]!.body, '#cloud-config\nruncmd: [ls]\n');
});

test('a #! script, #include and #cloud-boothook pass through; the default user is kept', () => {
  for (const text of [
    '#!/bin/sh\necho hi > /tmp/hi\n',
    '#include\nhttp://127.0.0.1/x\n',
    '#cloud-boothook\necho\n',
  ]) {
    const { parts, skiff } = seed(text);
    assert.equal(parts[0]!.body, text);
    assert.equal((skiff.users as unknown[])[0], 'default');
  }
});

test("a user's MIME document is nested as it is", () => {
  const mime =
    'Content-Type: multipart/mixed; boundary="XYZ"\nMIME-Version: 1.0\n\n--XYZ\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho hi\n--XYZ--\n';
  const { files } = seed(mime);
  assert.ok(files['user-data'].includes(mime.trimEnd()));
});

test('users without default: skiff adds only its login user, in front (merge: list(prepend))', () => {
  const { skiff } = seed('#cloud-config\nusers:\n  - name: alice\n');
  assert.deepEqual(skiff.users, [
    {
      name: 'ubuntu',
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      shell: '/bin/bash',
      lock_passwd: true,
      ssh_authorized_keys: [KEY],
    },
  ]);
});

test("the user's own ubuntu entry: skiff's entry carries their keys plus the daemon's, and only unset defaults", () => {
  const { skiff } = seed(
    '#cloud-config\nusers:\n  - default\n  - name: ubuntu\n    shell: /bin/zsh\n    lock-passwd: false\n    ssh-authorized-keys: [ssh-ed25519 AAAAmine me]\n',
  );
  // cloud-init merges same-name entries keeping the FIRST one's values: skiff's comes first.
  assert.deepEqual(skiff.users, [
    {
      name: 'ubuntu',
      sudo: 'ALL=(ALL) NOPASSWD:ALL',
      'ssh-authorized-keys': [KEY, 'ssh-ed25519 AAAAmine me'],
    },
  ]);
});

test('network-config pins DHCP to the NIC by MAC; an all-digit MAC stays a string for YAML 1.1', () => {
  for (const [mac, expected] of [
    ['52:54:00:AA:BB:CC', '52:54:00:aa:bb:cc'],
    ['52:54:00:12:34:56', '52:54:00:12:34:56'],
  ] as const) {
    const files = cloudInitFiles({ ...base, macAddress: mac });
    assert.deepEqual(read11(files['network-config'] ?? ''), {
      version: 2,
      ethernets: { default: { match: { macaddress: expected }, dhcp4: true } },
    });
  }
});

test('extra NICs: mode=auto gets DHCP matched by MAC (off the default route, not waited for); manual gets nothing', () => {
  const files = cloudInitFiles({
    ...base,
    macAddress: '52:54:00:00:00:01',
    extraNics: [
      { mac: '52:54:00:00:00:02', mode: 'manual' },
      { mac: '52:54:00:12:34:56', mode: 'auto' },
      { mac: '52:54:00:AA:BB:CC', mode: 'auto' },
    ],
  });
  const extra = (mac: string) => ({
    match: { macaddress: mac },
    dhcp4: true,
    'dhcp-identifier': 'mac',
    'dhcp4-overrides': { 'route-metric': 200 },
    optional: true,
  });
  assert.deepEqual(read11(files['network-config'] ?? ''), {
    version: 2,
    ethernets: {
      default: { match: { macaddress: '52:54:00:00:00:01' }, dhcp4: true },
      extra1: extra('52:54:00:12:34:56'),
      extra2: extra('52:54:00:aa:bb:cc'),
    },
  });
  assert.doesNotMatch(files['network-config'] ?? '', /52:54:00:00:00:02|set-name/);
});

test('only manual extra NICs: the network-config is the primary NIC alone', () => {
  const files = cloudInitFiles({
    ...base,
    macAddress: '52:54:00:00:00:01',
    extraNics: [{ mac: '52:54:00:00:00:02', mode: 'manual' }],
  });
  assert.deepEqual(read11(files['network-config'] ?? ''), {
    version: 2,
    ethernets: { default: { match: { macaddress: '52:54:00:00:00:01' }, dhcp4: true } },
  });
});

test('extra NICs without the primary MAC are a programming error, not a seed that strands the primary NIC', () => {
  assert.throws(() => cloudInitFiles({ ...base, extraNics: [{ mac: '52:54:00:00:00:02', mode: 'auto' }] }), {
    code: 'internal',
  });
});

test('meta-data: instance-id and hostname as strings, whatever they look like', () => {
  const files = cloudInitFiles({ ...base, instanceId: '0640', hostname: 'on' });
  assert.deepEqual(read11(files['meta-data']), { 'instance-id': '0640', 'local-hostname': 'on' });
});

test('a daemon key is required', () => {
  assert.throws(() => cloudInitFiles({ ...base, sshAuthorizedKeys: [] }), { code: 'invalid-argument' });
});

test('parseUserCloudConfig reads YAML 1.1 as cloud-init does; blank is empty', () => {
  assert.deepEqual(parseUserCloudConfig('#cloud-config\nruncmd: [ls]\n'), { runcmd: ['ls'] });
  assert.deepEqual(parseUserCloudConfig('a: on\nb: 0640\nc: 1:20\n'), { a: true, b: 0o640, c: 80 });
  assert.deepEqual(parseUserCloudConfig(''), {});
  assert.deepEqual(parseUserCloudConfig('#cloud-config\n'), {});
  assert.equal(readUserData('  \n'), null);
});

const rejects: Array<[string, string, RegExp]> = [
  ['bad indentation', '#cloud-config\nruncmd:\n  - a\n - b\n', /^cloud-init: line 4: /],
  ['unclosed flow', '#cloud-config\nusers: [a, b\n', /^cloud-init: line \d+: /],
  ['duplicate key', '#cloud-config\na: 1\na: 2\n', /^cloud-init: line 3: Map keys must be unique/],
  ['tab indentation', '#cloud-config\nruncmd:\n\t- ls\n', /^cloud-init: line 3: /],
  ['a list', '#cloud-config\n- a\n- b\n', /^cloud-init: the top level must be a mapping .* got a list/],
  ['a header-less list', '- a\n- b\n', /^cloud-init: user data must start with #cloud-config, #!/],
  ['plain text', 'hello', /^cloud-init: user data must start with #cloud-config, #!.*\(got string/],
  [
    'keys not a list',
    '#cloud-config\nssh_authorized_keys: ssh-ed25519 AAAA\n',
    /ssh_authorized_keys: must be a list of strings/,
  ],
  ['users a mapping', '#cloud-config\nusers: {alice: true}\n', /users: must be a list/],
  ['users a string', '#cloud-config\nusers: default,alice\n', /users: must be a list/],
  ['user entry a number', '#cloud-config\nusers: [default, 3]\n', /users\[1\]: must be a name or a mapping/],
  [
    'user keys not a list',
    '#cloud-config\nusers: [{name: a, ssh_authorized_keys: k}]\n',
    /users\[0\]\.ssh_authorized_keys/,
  ],
  [
    'an alias bomb',
    `#cloud-config\na: &a [x, x, x, x, x, x, x, x, x]\n${[...'bcdefghij'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcdefghij'[i]}`).join(', ')}]`).join('\n')}\n`,
    /too many aliases/,
  ],
  ['NUL bytes', '#!/bin/sh\n\0', /must be text/],
];
for (const [name, text, message] of rejects) {
  test(`readUserData rejects ${name} with a clear invalid-argument`, () => {
    assert.throws(
      () => readUserData(text),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'invalid-argument');
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });
}

test("the guest's host key goes into skiff's part (ssh_keys), multi-line as a literal block; it is the pin", () => {
  const hostKey = {
    privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\nBBBB\n-----END OPENSSH PRIVATE KEY-----\n',
    publicKey: 'ssh-ed25519 AAAAhost vm\n',
  };
  const files = cloudInitFiles({ ...base, hostKey });
  const ours = readMultipart(files['user-data']).parts.at(-1)!.body;
  assert.match(ours, /ed25519_private: \|\n {4}-----BEGIN OPENSSH PRIVATE KEY-----\n {4}AAAA\n/);
  assert.deepEqual((read11(ours) as Record<string, unknown>).ssh_keys, {
    ed25519_private: hostKey.privateKey,
    ed25519_public: 'ssh-ed25519 AAAAhost vm',
  });
  assert.equal(guestHostPublicKey({ ...base, hostKey }), 'ssh-ed25519 AAAAhost vm');
  // A user who brings their own host key wins, as with every key they set: then theirs is the pin.
  const theirs =
    '#cloud-config\nssh_keys:\n  ed25519_private: x\n  ed25519_public: ssh-ed25519 AAAAtheirs me\n';
  assert.equal(guestHostPublicKey({ ...base, hostKey, userData: theirs }), 'ssh-ed25519 AAAAtheirs me');
  assert.equal(guestHostPublicKey(base), null);
});
