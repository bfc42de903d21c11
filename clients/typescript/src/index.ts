// The WARAS REST API client: openapi-fetch typed by the generated `paths` of schema.ts
// (regenerate that file with clients/generate.sh; this one is written by hand).
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';
/** Every named schema of the API, e.g. `Schemas['Session']`, `Schemas['SendMessage']`. */
export type Schemas = components['schemas'];
export type WarasClient = Client<paths>;

export interface WarasClientOptions extends Omit<ClientOptions, 'baseUrl' | 'headers'> {
  /** The service's origin, e.g. `http://127.0.0.1:8080` (paths start with `/api/v1`). */
  baseUrl: string;
  /** A tenant key (`waras_…`) or, for the admin endpoints, the admin key. */
  apiKey: string;
  /** Headers sent with every request besides `Authorization`. */
  headers?: Record<string, string>;
}

/**
 * A typed client: `client.POST('/api/v1/sessions', { body: { name: 'support' } })` answers
 * `{ data, error, response }` with `data` typed by the 2xx schema and `error` by the problem one.
 */
export function createWarasClient({ baseUrl, apiKey, headers, ...options }: WarasClientOptions): WarasClient {
  return createClient<paths>({
    ...options,
    baseUrl,
    headers: { ...headers, Authorization: `Bearer ${apiKey}` },
  });
}
