import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getClient, insertClient, listClients, revokeClient } from '../../../origin/db/clients.js';
import { isUniqueViolation } from '../../../origin/db/driver.js';
import { describeDb, openTestDb, type TestDb } from '../../support/db.js';

const newId = () => `cl_${randomBytes(8).toString('hex')}`;

describeDb('oauth client queries', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb({ migrate: true });
  });
  afterAll(() => t?.close());

  it('inserts and reads back a client with its scopes', async () => {
    const id = newId();
    const created = await insertClient(t.db, {
      id,
      name: 'uploader, "quoted"',
      secretHash: 'scrypt$N=16384$salt$hash',
      scopes: ['images:read', 'images:write'],
    });
    expect(created).toEqual({
      id,
      name: 'uploader, "quoted"',
      secretHash: 'scrypt$N=16384$salt$hash',
      scopes: ['images:read', 'images:write'],
      createdAt: expect.any(Date),
      revokedAt: null,
    });
    expect(await getClient(t.db, id)).toEqual(created);
    expect(await getClient(t.db, 'unknown')).toBeNull();
  });

  it('stores an empty scope list', async () => {
    const id = newId();
    await insertClient(t.db, { id, name: 'n', secretHash: 'h', scopes: [] });
    expect((await getClient(t.db, id))!.scopes).toEqual([]);
  });

  it('refuses a duplicate id', async () => {
    const id = newId();
    await insertClient(t.db, { id, name: 'a', secretHash: 'h', scopes: [] });
    const err = await insertClient(t.db, { id, name: 'b', secretHash: 'h', scopes: [] }).catch(
      (e: unknown) => e,
    );
    expect(isUniqueViolation(err)).toBe(true);
  });

  it('revokes once and still returns the revoked client', async () => {
    const id = newId();
    await insertClient(t.db, { id, name: 'r', secretHash: 'h', scopes: ['images:read'] });
    expect(await revokeClient(t.db, id)).toBe(true);
    expect(await revokeClient(t.db, id)).toBe(false);
    expect(await revokeClient(t.db, 'unknown')).toBe(false);
    expect((await getClient(t.db, id))!.revokedAt).toBeInstanceOf(Date);
  });

  it('lists clients oldest first, revoked ones included', async () => {
    await t.db.query('delete from oauth_clients');
    const ids = [newId(), newId(), newId()];
    for (const id of ids) await insertClient(t.db, { id, name: id, secretHash: 'h', scopes: [] });
    await t.db.query(`update oauth_clients set created_at = now() - interval '1 hour' where id = $1`, [
      ids[2],
    ]);
    await revokeClient(t.db, ids[0]!);
    const listed = await listClients(t.db);
    // Oldest first; the two created in the same instant (one transaction-free burst) may tie, then by id.
    expect(listed[0]!.id).toBe(ids[2]);
    expect(listed.map((c) => c.id).sort()).toEqual([...ids].sort());
    expect(listed.find((c) => c.id === ids[0])!.revokedAt).toBeInstanceOf(Date);
  });
});
