/**
 * @module The three parts of undici that skiff uses (the proxy-aware agent, the redirect interceptor and the
 * request API), loaded one by one: undici's index loads every feature (fetch, WebSocket, caches, mocks), which
 * cost skiffd about 8 MB of resident memory for nothing (see bench:idle). Types still come from 'undici'.
 */
import { createRequire } from 'node:module';
import type { Dispatcher, EnvHttpProxyAgent as EnvHttpProxyAgentType, interceptors } from 'undici';

const load = createRequire(import.meta.url);

/** undici's EnvHttpProxyAgent: HTTP_PROXY, HTTPS_PROXY and NO_PROXY in either case. */
export const EnvHttpProxyAgent = load(
  'undici/lib/dispatcher/env-http-proxy-agent.js',
) as typeof EnvHttpProxyAgentType;

/** undici's redirect interceptor (`interceptors.redirect`). */
export const redirectInterceptor = load('undici/lib/interceptor/redirect.js') as typeof interceptors.redirect;

const api = load('undici/lib/api/index.js') as {
  request: (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
};
// What undici's index does: give every dispatcher the request API. Proxy agents call it on their inner clients.
Object.assign((load('undici/lib/dispatcher/dispatcher.js') as { prototype: object }).prototype, api);

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & {
  method?: Dispatcher.HttpMethod;
};

/** undici's `request(url, options)` on a given dispatcher. */
export function request(
  dispatcher: Dispatcher,
  url: string,
  options: RequestOptions,
): Promise<Dispatcher.ResponseData> {
  const parsed = new URL(url);
  return api.request.call(dispatcher, {
    method: 'GET',
    ...options,
    origin: parsed.origin,
    path: `${parsed.pathname}${parsed.search}`,
  });
}
