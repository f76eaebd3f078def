/** The client-credentials grant as a client performs it: the access token, or a failed expectation. */
import { expect } from 'vitest';

export async function clientToken(
  apiBase: string,
  client: { client_id: string; client_secret: string },
): Promise<string> {
  const res = await fetch(`${apiBase}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
