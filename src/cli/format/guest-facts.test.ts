import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guestFactsNote } from './guest-facts.js';

const base = { read_at: '2026-11-27T12:00:00.000Z', age_s: 2.1, error: null };

test('fresh facts and stopped instances get no line, like Multipass', () => {
  assert.equal(guestFactsNote({ ...base, status: 'fresh' }), null);
  assert.equal(guestFactsNote(null), null);
  assert.equal(guestFactsNote(undefined), null);
});

test('stale facts say their age and why they were not renewed', () => {
  assert.equal(
    guestFactsNote({
      ...base,
      status: 'stale',
      age_s: 42.4,
      error: 'guest not answering: ssh timed out after 5 s',
    }),
    'read 42 s ago: guest not answering: ssh timed out after 5 s',
  );
  assert.equal(guestFactsNote({ ...base, status: 'stale', age_s: 600 }), 'read 10 min ago');
  assert.equal(guestFactsNote({ ...base, status: 'stale', age_s: 7200 }), 'read 2 h ago');
});

test('never-read facts say so, with the reason when there is one', () => {
  assert.equal(
    guestFactsNote({ status: 'pending', read_at: null, age_s: null, error: null }),
    'not read yet: the first read of this boot is still running',
  );
  assert.equal(
    guestFactsNote({
      status: 'pending',
      read_at: null,
      age_s: null,
      error: 'guest slow to answer: no reply after 3 s yet',
    }),
    'not read yet: guest slow to answer: no reply after 3 s yet',
  );
  assert.equal(
    guestFactsNote({
      status: 'unavailable',
      read_at: null,
      age_s: null,
      error: 'guest not answering: ssh: connect to host 127.0.0.1 port 4022: Connection refused',
    }),
    'unavailable: guest not answering: ssh: connect to host 127.0.0.1 port 4022: Connection refused',
  );
});
