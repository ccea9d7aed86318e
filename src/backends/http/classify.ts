/**
 * @module Maps Node/undici network errors to skiff's cause classes. Pure: takes an error, returns a class.
 */
import type { FailureCause } from '../../core/fetch-error.js';

export interface Classified {
  cause: FailureCause;
  message: string;
}

const DNS = new Set(['EAI_AGAIN', 'ENOTFOUND', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const NO_ROUTE = new Set(['ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN', 'EHOSTDOWN', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED']);
const TIMEOUT = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);
const TLS = new Set([
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

const WORDS: Record<string, string> = {
  'redirect-loop': 'redirect loop: the server redirects back to a URL already visited',
  dns: 'DNS lookup failed',
  'no-route': 'no route to host',
  refused: 'connection refused',
  reset: 'connection reset by peer',
  timeout: 'timed out',
  tls: 'TLS handshake failed',
  network: 'network error',
};

/** Classify an error thrown by undici (or node:net/dns underneath it). */
export function classifyNetworkError(error: unknown): Classified {
  const code = findCode(error);
  const cause = causeOf(error, code);
  const detail = cause === 'redirect-loop' ? undefined : (code ?? messageOf(error));
  const words = cause === 'proxy' ? `proxy error: ${messageOf(error)}` : (WORDS[cause] ?? cause);
  return { cause, message: detail && cause !== 'proxy' ? `${words} (${detail})` : words };
}

function causeOf(error: unknown, code: string | undefined): FailureCause {
  // undici's redirect interceptor says so only in words (its code, UND_ERR_INVALID_ARG, is generic).
  if (/redirect loop|max redirects/i.test(messageOf(error))) return 'redirect-loop';
  if (code !== undefined) {
    if (DNS.has(code)) return 'dns';
    if (NO_ROUTE.has(code)) return 'no-route';
    if (code === 'ECONNREFUSED') return 'refused';
    if (RESET.has(code)) return 'reset';
    if (TIMEOUT.has(code)) return 'timeout';
    if (TLS.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))
      return 'tls';
  }
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  if (/proxy/i.test(messageOf(error))) return 'proxy';
  return 'network';
}

/**
 * Classify a non-success status that reached the caller. A 3xx means the redirect interceptor stopped
 * following (past its limit), which is a redirect loop too; 414 gets a sentence, as few know the number.
 */
export function classifyHttpStatus(status: number): Classified {
  if (status >= 300 && status < 400 && status !== 304) {
    return {
      cause: 'redirect-loop',
      message: `too many redirects: the server was still redirecting (HTTP ${status}) at the limit`,
    };
  }
  if (status === 414) {
    return {
      cause: 'http-414',
      message: 'server answered HTTP 414: the URL is longer than the server accepts',
    };
  }
  return { cause: `http-${status}`, message: `server answered HTTP ${status}` };
}

/** The most specific errno-like code in the error's cause chain (undici nests the socket error). */
function findCode(error: unknown): string | undefined {
  let codes: string[] = [];
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  // Prefer an OS errno (E...) over undici's wrapper codes, which say less about the cause.
  codes = [...codes.filter((c) => c.startsWith('E') && !c.startsWith('ERR_')), ...codes];
  return codes[0];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
