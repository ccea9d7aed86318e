import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SkiffError } from '../../core/errors.js';
import { parseAddresses, parseLinkKinds, parseLinkNames, parseRoutes } from './ip-json.js';

/** Captured from iproute2 6.1 in a namespace (tsc does not copy testdata, so read it from src/). */
const fixture = (name: string): string =>
  readFileSync(new URL(`../../../../src/backends/net/testdata/${name}`, import.meta.url), 'utf8');

describe('ip -j parsers on real output', () => {
  it('addresses: each interface with its IPv4 addresses and prefix lengths', () => {
    assert.deepEqual(parseAddresses(fixture('ip-addr.json')), [
      { ifname: 'lo', inet: ['127.0.0.1/8'] },
      { ifname: 'v0', inet: ['172.20.1.5/16'] },
      { ifname: 'br9', inet: ['10.9.9.1/24'] },
    ]);
  });

  it('routes of every table, without the default routes (main table and a VPN-style table)', () => {
    const routes = parseRoutes(fixture('ip-route.json'));
    const cidrs = routes.map((r) => r.cidr);
    for (const expected of ['10.50.0.0/16', '10.60.0.7/32', '10.70.0.0/24', '172.20.0.0/16', '10.9.9.0/24']) {
      assert.ok(cidrs.includes(expected), `${expected} in ${cidrs.join(' ')}`);
    }
    assert.ok(!cidrs.some((c) => c.endsWith('/0') || c.startsWith('default')));
    assert.ok(routes.every((r) => r.kind === 'route'));
    assert.equal(routes.find((r) => r.cidr === '10.9.9.0/24')?.dev, 'br9');
    assert.equal(routes.find((r) => r.cidr === '10.70.0.0/24')?.dev, undefined, 'a blackhole has no device');
  });

  it('link kinds by name, and the ports of a bridge', () => {
    const kinds = parseLinkKinds(fixture('ip-link-details.json'));
    assert.equal(kinds.get('br9'), 'bridge');
    assert.equal(kinds.get('v0'), 'veth');
    assert.equal(kinds.get('lo'), null);
    assert.equal(kinds.has('nope'), false);
    assert.deepEqual(parseLinkNames(fixture('ip-link-master.json')), ['v1']);
  });

  it('empty output is an empty list; anything but a JSON array of objects is an error', () => {
    assert.deepEqual(parseLinkNames(''), []);
    assert.deepEqual(parseLinkNames('[]'), []);
    for (const bad of ['{', '{}', '[1]', '[null]']) {
      assert.throws(
        () => parseLinkNames(bad),
        (e: unknown) => e instanceof SkiffError && /^ip -j link: /.test(e.message),
        bad,
      );
    }
    assert.throws(() => parseAddresses('[{"addr_info":[]}]'), /\[0\]\.ifname is not a string/);
  });
});
