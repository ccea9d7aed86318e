import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { fingerprintOf, makeSelfSigned } from './certificate.js';

test('a self-signed ECDSA P-256 certificate whose key matches it', async () => {
  const pair = await makeSelfSigned('skiffd@host');
  const cert = new X509Certificate(pair.certPem);
  assert.match(cert.subject, /CN=skiffd@host/);
  assert.equal(cert.issuer, cert.subject);
  assert.ok(cert.verify(cert.publicKey), 'signed by its own key');
  const key = createPrivateKey(pair.keyPem);
  assert.equal(key.asymmetricKeyType, 'ec');
  assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.checkPrivateKey(key));
  assert.equal(
    createPublicKey(key).export({ format: 'der', type: 'spki' }).toString('hex'),
    cert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
  );
});

test('each certificate is new, and its fingerprint is the SHA-256 one openssl prints', async () => {
  const [a, b] = await Promise.all([makeSelfSigned('x'), makeSelfSigned('x')]);
  assert.notEqual(fingerprintOf(a.certPem), fingerprintOf(b.certPem));
  assert.match(fingerprintOf(a.certPem), /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const der = new X509Certificate(a.certPem).raw;
  const hex = createHash('sha256').update(der).digest('hex').toUpperCase();
  assert.equal(fingerprintOf(a.certPem), hex.match(/../g)!.join(':'));
  assert.equal(fingerprintOf(der), fingerprintOf(a.certPem));
  assert.notEqual(new X509Certificate(a.certPem).serialNumber, new X509Certificate(b.certPem).serialNumber);
});
