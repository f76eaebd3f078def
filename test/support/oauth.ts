/** The client-credentials grant as a client performs it: the access token (anything but 200 throws). */
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
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
