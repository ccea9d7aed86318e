import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render, type Renderers } from './render.js';

interface Pets {
  pets: Array<{ name: string; legs: number }>;
}

const renderers: Renderers<Pets> = {
  csv: ({ pets }) => ({ headers: ['Name', 'Legs'], rows: pets.map((p) => [p.name, String(p.legs)]) }),
  table: ({ pets }) =>
    pets.length === 0
      ? { note: 'No pets found.' }
      : { headers: ['Name', 'Legs'], rows: pets.map((p) => [p.name, String(p.legs)]) },
};
const data: Pets = { pets: [{ name: 'rex, the dog', legs: 4 }] };

test('json and yaml print the document itself; csv and table the rows the command gives', async () => {
  assert.deepEqual(await render('json', data, renderers), {
    stream: 'stdout',
    text: '{\n    "pets": [\n        {\n            "name": "rex, the dog",\n            "legs": 4\n        }\n    ]\n}\n',
  });
  assert.deepEqual(await render('yaml', data, renderers), {
    stream: 'stdout',
    text: 'pets:\n  - name: rex, the dog\n    legs: 4\n',
  });
  assert.deepEqual(await render('csv', data, renderers), {
    stream: 'stdout',
    text: 'Name,Legs\n"rex, the dog",4\n',
  });
  assert.deepEqual(await render('table', data, renderers), {
    stream: 'stdout',
    text: 'Name          Legs\nrex, the dog  4\n',
  });
});

test('a YAML document of its own replaces the JSON one for yaml only', async () => {
  const keyed: Renderers<Pets> = {
    ...renderers,
    yaml: ({ pets }) => Object.fromEntries(pets.map(({ name, ...rest }) => [name, [rest]])),
  };
  assert.equal((await render('yaml', data, keyed)).text, 'rex, the dog:\n  - legs: 4\n');
  assert.equal((await render('json', data, keyed)).text, (await render('json', data, renderers)).text);
});

test('an empty table becomes a note on stderr, and laid-out text passes through', async () => {
  assert.deepEqual(await render('table', { pets: [] }, renderers), {
    stream: 'stderr',
    text: 'No pets found.\n',
  });
  assert.deepEqual(await render('table', data, { ...renderers, table: () => 'as is\n' }), {
    stream: 'stdout',
    text: 'as is\n',
  });
  // The note is for tables only: the other formats still print an (empty) document.
  assert.equal((await render('csv', { pets: [] }, renderers)).text, 'Name,Legs\n');
});
