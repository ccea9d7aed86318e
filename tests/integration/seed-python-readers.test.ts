/**
 * Everything skiff writes into a seed, read back by the readers cloud-init itself uses: Python's email package
 * for the MIME user-data and PyYAML (YAML 1.1) for every YAML document. Needs /usr/bin/python3 with python3-yaml
 * (scripts/install-deps installs it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { cloudInitFiles } from '../../src/services/instances/seed/cloud-init.js';
import { yaml11 } from '../../src/services/instances/seed/yaml11.js';

const run = promisify(execFile);

/** Runs `script` with `input` on stdin under Debian's Python; returns its stdout parsed as JSON. */
async function python(script: string, input: string): Promise<unknown> {
  const child = run('/usr/bin/python3', ['-c', script], { maxBuffer: 16 << 20 });
  child.child.stdin!.end(input);
  const { stdout } = await child;
  return JSON.parse(stdout);
}

const READ_SEED = `
import email, json, sys, yaml
files = json.load(sys.stdin)
msg = email.message_from_string(files["user-data"])
parts = []
for part in msg.walk():
    if part.get_content_maintype() == "multipart":
        continue
    body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    parts.append({"type": part.get_content_type(), "merge": part.get("Merge-Type"),
                  "filename": part.get_filename(), "body": body,
                  "yaml": yaml.safe_load(body) if body.startswith("#cloud-config") else None})
out = {"parts": parts, "meta": yaml.safe_load(files["meta-data"]),
       "net": yaml.safe_load(files["network-config"]) if "network-config" in files else None}
print(json.dumps(out))
`;

test('PyYAML reads back every value skiff writes as the same value (YAML 1.1 traps)', async () => {
  const values = {
    strings: [
      'on',
      'off',
      'yes',
      'no',
      'y',
      'n',
      'true',
      'False',
      'null',
      '~',
      '',
      '0640',
      '0o17',
      '0x1F',
      '0b101',
      '1:20',
      '190:20:30',
      '52:54:00:12:34:56',
      '1_000',
      '1e3',
      '.inf',
      '-.inf',
      '.NaN',
      '2001-12-14',
      '2001-12-14t21:59:43.10-05:00',
      '=',
      '<<',
      '- a',
      '#x',
      'a: b',
      '"q"',
      "'s'",
      'tab\there',
      'line\nbreak',
      'héllo ✓',
      '  padded  ',
      '*alias',
      '&anchor',
      '!tag',
      '%',
      '@',
      '`',
      '|',
      '>',
      '?',
      '[',
      '{',
      `ssh-rsa ${'A'.repeat(600)} me@host`,
    ],
    numbers: [0, 7, -3, 640, 1.5],
    booleans: [true, false],
    nested: { 'instance-id': 'iid-0640', users: ['default', { name: 'ubuntu', lock_passwd: true }] },
  };
  const back = await python(
    'import json, sys, yaml\nprint(json.dumps(yaml.safe_load(sys.stdin.read())))',
    yaml11(values),
  );
  assert.deepEqual(back, values);
});

test("cloud-init's readers see the user's text unchanged, skiff's part and network-config as meant", async () => {
  const user =
    '#cloud-config\nwrite_files:\n  - path: /etc/x\n    content: "on"\n    permissions: "0640"\nbootcmd: [echo héllo ✓]\n';
  const files = cloudInitFiles({
    instanceId: 'iid-1',
    hostname: 'no',
    sshAuthorizedKeys: ['ssh-ed25519 AAAAkey skiffd'],
    userData: user,
    macAddress: '52:54:00:12:34:56',
  });
  const seen = (await python(READ_SEED, JSON.stringify(files))) as {
    parts: Array<{ type: string; merge: string | null; filename: string; body: string; yaml: unknown }>;
    meta: unknown;
    net: unknown;
  };
  assert.equal(seen.parts.length, 2);
  assert.equal(seen.parts[0]!.type, 'text/plain');
  assert.equal(seen.parts[0]!.body, user, 'byte for byte, non-ASCII included');
  assert.deepEqual((seen.parts[0]!.yaml as { write_files: unknown[] }).write_files, [
    { path: '/etc/x', content: 'on', permissions: '0640' },
  ]);
  assert.equal(seen.parts[1]!.type, 'text/cloud-config');
  assert.equal(seen.parts[1]!.merge, 'dict(no_replace,recurse_list)+list(prepend)+str()');
  assert.deepEqual(seen.parts[1]!.yaml, {
    users: [
      'default',
      {
        name: 'ubuntu',
        sudo: 'ALL=(ALL) NOPASSWD:ALL',
        shell: '/bin/bash',
        lock_passwd: true,
        ssh_authorized_keys: ['ssh-ed25519 AAAAkey skiffd'],
      },
    ],
    manage_etc_hosts: true,
  });
  assert.deepEqual(seen.meta, { 'instance-id': 'iid-1', 'local-hostname': 'no' });
  assert.deepEqual(seen.net, {
    version: 2,
    ethernets: { default: { match: { macaddress: '52:54:00:12:34:56' }, dhcp4: true } },
  });
});

test('PyYAML reads the extra NICs of network-config as meant: auto ones matched by MAC, manual ones absent', async () => {
  const files = cloudInitFiles({
    instanceId: 'iid-2',
    hostname: 'bridged',
    sshAuthorizedKeys: ['ssh-ed25519 AAAAkey skiffd'],
    macAddress: '52:54:00:00:00:01',
    extraNics: [
      { mac: '52:54:00:12:34:56', mode: 'auto' },
      { mac: '52:54:00:00:00:03', mode: 'manual' },
    ],
  });
  const seen = (await python(READ_SEED, JSON.stringify(files))) as { net: unknown };
  assert.deepEqual(seen.net, {
    version: 2,
    ethernets: {
      default: { match: { macaddress: '52:54:00:00:00:01' }, dhcp4: true },
      extra0: {
        match: { macaddress: '52:54:00:12:34:56' },
        dhcp4: true,
        'dhcp-identifier': 'mac',
        'dhcp4-overrides': { 'route-metric': 200 },
        optional: true,
      },
    },
  });
});
