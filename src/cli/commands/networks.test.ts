import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { render } from '../format/render.js';
import { renderers } from './networks.js';

// The entries of Multipass's own formatter fixtures (tests/unit/test_data/formatters/*/multiple_lines_networks_reply.*).
const list = [
  { name: 'en0', type: 'eth', description: 'Ether' },
  { name: 'wlx0123456789ab', type: 'wifi', description: 'Wireless' },
];

test("networks: Multipass's columns, JSON list, YAML keyed by name, CSV with a header", async () => {
  const table = await render('table', { list }, renderers);
  assert.deepEqual(table, {
    stream: 'stdout',
    text: 'Name             Type  Description\nen0              eth   Ether\nwlx0123456789ab  wifi  Wireless\n',
  });
  assert.deepEqual(JSON.parse((await render('json', { list }, renderers)).text), { list });
  assert.deepEqual(parse((await render('yaml', { list }, renderers)).text), {
    en0: [{ type: 'eth', description: 'Ether' }],
    wlx0123456789ab: [{ type: 'wifi', description: 'Wireless' }],
  });
  assert.equal(
    (await render('csv', { list }, renderers)).text,
    'Name,Type,Description\nen0,eth,Ether\nwlx0123456789ab,wifi,Wireless\n',
  );
});

test('networks: nothing usable is a note on stderr for the table, an empty list in JSON', async () => {
  assert.deepEqual(await render('table', { list: [] }, renderers), {
    stream: 'stderr',
    text: 'No network interfaces found.\n',
  });
  assert.deepEqual(JSON.parse((await render('json', { list: [] }, renderers)).text), { list: [] });
  assert.equal((await render('csv', { list: [] }, renderers)).text, 'Name,Type,Description\n');
});
