import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filePathOfUri } from './file-uri.js';

test('local file URIs become paths, percent-decoded', () => {
  assert.equal(filePathOfUri('file:///srv/images/a%20b.img'), '/srv/images/a b.img');
  assert.equal(filePathOfUri('file://localhost/srv/a.img'), '/srv/a.img');
  assert.equal(filePathOfUri('file:///srv/../etc/x.img'), '/etc/x.img');
});

test('malformed or non-local URIs are refused, naming the URI and the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['file://%zz', /does not parse as a URL/],
    ['file:image.img', /does not start with file:\/\//],
    ['file://host/x.img', /File URL host must be "localhost" or empty/],
    ['file:///a%2Fb.img', /must not include encoded \/ characters/],
    ['file:///a.img?x=1', /query or fragment/],
    ['file:///a%00b.img', /NUL byte/],
    ['file:///', /names a directory/],
    ['file:///srv/', /names a directory/],
  ];
  for (const [uri, reason] of cases) {
    assert.throws(
      () => filePathOfUri(uri),
      (error: Error & { code?: string }) => {
        assert.equal(error.name, 'SkiffError', uri);
        assert.equal(error.code, 'invalid-argument', uri);
        assert.ok(error.message.startsWith(`"${uri}" is not a usable file:// URI: `), error.message);
        assert.match(error.message, reason);
        return true;
      },
    );
  }
});
