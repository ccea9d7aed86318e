import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyHttpStatus, classifyNetworkError } from './classify.js';

function err(code: string, message = code, cause?: unknown): Error {
  return Object.assign(new Error(message, cause ? { cause } : undefined), { code });
}

const cases: Array<[string, unknown, string, RegExp]> = [
  ['resolver not ready', err('EAI_AGAIN'), 'dns', /DNS lookup failed \(EAI_AGAIN\)/],
  ['unknown host', err('ENOTFOUND'), 'dns', /ENOTFOUND/],
  ['no route', err('ENETUNREACH'), 'no-route', /no route to host \(ENETUNREACH\)/],
  ['host unreachable', err('EHOSTUNREACH'), 'no-route', /EHOSTUNREACH/],
  ['refused', err('ECONNREFUSED'), 'refused', /connection refused/],
  ['reset', err('ECONNRESET'), 'reset', /connection reset/],
  ['undici socket closed', err('UND_ERR_SOCKET', 'other side closed'), 'reset', /UND_ERR_SOCKET/],
  ['connect timeout', err('UND_ERR_CONNECT_TIMEOUT'), 'timeout', /timed out/],
  ['headers timeout', err('UND_ERR_HEADERS_TIMEOUT'), 'timeout', /UND_ERR_HEADERS_TIMEOUT/],
  ['body timeout', err('UND_ERR_BODY_TIMEOUT'), 'timeout', /timed out/],
  [
    'attempt deadline',
    Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }),
    'timeout',
    /timed out/,
  ],
  ['self-signed', err('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls', /TLS handshake failed/],
  ['expired', err('CERT_HAS_EXPIRED'), 'tls', /CERT_HAS_EXPIRED/],
  ['bad hostname', err('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls', /TLS/],
  ['ssl', err('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls', /TLS/],
  [
    'fetch wraps the socket error',
    new TypeError('fetch failed', { cause: err('EAI_AGAIN') }),
    'dns',
    /EAI_AGAIN/,
  ],
  [
    'errno preferred over wrapper code',
    err('UND_ERR_CONNECT', 'x', err('ENETUNREACH')),
    'no-route',
    /ENETUNREACH/,
  ],
  [
    'proxy tunnel refused',
    new Error('Proxy response (407) !== 200 when HTTP Tunneling'),
    'proxy',
    /proxy error: Proxy response \(407\)/,
  ],
  ['anything else', new Error('boom'), 'network', /network error \(boom\)/],
];

for (const [name, error, cause, message] of cases) {
  test(`classifies ${name} as ${cause}`, () => {
    const got = classifyNetworkError(error);
    assert.equal(got.cause, cause);
    assert.match(got.message, message);
  });
}

test('a redirect loop is a cause class of its own, whichever way undici reports it', () => {
  // What undici's redirect interceptor throws (an InvalidArgumentError with a generic code).
  const loop = err(
    'UND_ERR_INVALID_ARG',
    'Redirect loop detected. Cannot redirect to http://127.0.0.1:8080. This typically happens when using a Client or Pool with cross-origin redirects. Use an Agent for cross-origin redirects.',
  );
  assert.deepEqual(classifyNetworkError(loop), {
    cause: 'redirect-loop',
    message: 'redirect loop: the server redirects back to a URL already visited',
  });
  assert.equal(classifyNetworkError(new Error('max redirects')).cause, 'redirect-loop');
});

test('a 3xx that reaches the caller means too many redirects; a 414 gets a sentence', () => {
  assert.deepEqual(classifyHttpStatus(302), {
    cause: 'redirect-loop',
    message: 'too many redirects: the server was still redirecting (HTTP 302) at the limit',
  });
  assert.deepEqual(classifyHttpStatus(414), {
    cause: 'http-414',
    message: 'server answered HTTP 414: the URL is longer than the server accepts',
  });
  assert.deepEqual(classifyHttpStatus(503), { cause: 'http-503', message: 'server answered HTTP 503' });
});
