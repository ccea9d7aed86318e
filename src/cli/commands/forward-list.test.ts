import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from '../format/render.js';
import { renderers } from './forward-list.js';

const document = {
  forwards: [
    {
      instance: 'db',
      protocol: 'udp' as const,
      host_address: '0.0.0.0',
      host_port: 5353,
      guest_port: 53,
      active: false,
    },
    {
      instance: 'web',
      protocol: 'tcp' as const,
      host_address: '127.0.0.1',
      host_port: 8080,
      guest_port: 80,
      active: true,
    },
  ],
};

test('forward list: a table with Instance, Protocol, Host, Guest, Active; CSV the same columns', async () => {
  const table = await render('table', document, renderers);
  assert.equal(table.stream, 'stdout');
  const lines = table.text
    .trimEnd()
    .split('\n')
    .map((l) => l.trimEnd().split(/\s+/));
  assert.deepEqual(lines, [
    ['Instance', 'Protocol', 'Host', 'Guest', 'Active'],
    ['db', 'udp', '0.0.0.0:5353', '53', 'no'],
    ['web', 'tcp', '127.0.0.1:8080', '80', 'yes'],
  ]);
  const csv = await render('csv', document, renderers);
  assert.equal(
    csv.text,
    'Instance,Protocol,Host,Guest,Active\ndb,udp,0.0.0.0:5353,53,no\nweb,tcp,127.0.0.1:8080,80,yes\n',
  );
});

test('forward list: JSON is the API document; YAML is keyed by instance; nothing is a note on stderr', async () => {
  assert.deepEqual(JSON.parse((await render('json', document, renderers)).text), document);
  const yaml = (await render('yaml', document, renderers)).text;
  assert.match(yaml, /^db:\n {2}- protocol: udp\n {4}host_address: 0\.0\.0\.0\n/);
  assert.match(yaml, /\nweb:\n {2}- protocol: tcp\n/);
  assert.deepEqual(await render('table', { forwards: [] }, renderers), {
    stream: 'stderr',
    text: 'No forwards found.\n',
  });
});
