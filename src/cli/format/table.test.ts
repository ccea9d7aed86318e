import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable } from './table.js';
import { renderCsv } from './csv.js';
import { parseFormat } from './formats.js';

test('table columns are aligned two spaces apart, last column unpadded', () => {
  const out = renderTable(
    ['Image', 'Aliases', 'Version'],
    [
      ['24.04', 'noble,lts', '20251120'],
      ['22.04', 'jammy', '20251101'],
    ],
  );
  assert.equal(out, 'Image  Aliases    Version\n24.04  noble,lts  20251120\n22.04  jammy      20251101\n');
});

test('csv quotes cells with commas, quotes and newlines', () => {
  assert.equal(
    renderCsv(
      ['a', 'b'],
      [
        ['x,y', 'say "hi"'],
        ['plain', 'two\nlines'],
      ],
    ),
    'a,b\n"x,y","say ""hi"""\nplain,"two\nlines"\n',
  );
});

test('unknown formats are rejected with the allowed list', () => {
  assert.equal(parseFormat(undefined), 'table');
  assert.equal(parseFormat('JSON'), 'json');
  assert.throws(
    () => parseFormat('xml'),
    /Invalid format type given\. \(--format xml: expected one of table, json, csv, yaml\)/,
  );
});
