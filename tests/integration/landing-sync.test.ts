import { PutObjectCommand } from '@aws-sdk/client-s3';
import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyRows, openHarness, range, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await openHarness();
});
afterAll(async () => h?.close());

const HOUR_AGO = new Date(Date.now() - 3_600_000);
const object = async (key: string) => {
  const deps = await h.runtime.deps();
  return (await deps.store.list(key)).find((f) => f.key === key);
};
const landOld = (name: string, content: string) => {
  const key = h.land('sync', 'companies', name, content);
  utimesSync(join(h.runtime.landingDir, key), HOUR_AGO, HOUR_AGO);
  return key;
};

describe('the landing sync', () => {
  it('does not read a file again while its size, time and object are those of its last sync, and still sees every change', async () => {
    const a = landOld('a.jsonl', companyRows(range(1, 5)));
    const b = landOld('b.jsonl', companyRows(range(10, 5)));
    const c = landOld('c.jsonl', companyRows(range(20, 5)));
    await h.runtime.syncLanding();

    // Nothing changed: no file is read to compare.
    const again = await h.runtime.syncLanding();
    expect(again.hashed).toBe(0);
    expect(again.uploaded).toBe(0);
    expect(again.unchanged).toBeGreaterThanOrEqual(3);

    // Same size, other bytes, a new time: copied.
    const before = (await object(a))!.etag;
    writeFileSync(join(h.runtime.landingDir, a), companyRows(range(1, 5), '2026-02-02T00:00:00Z'));
    // Another size under the recorded time: copied too.
    writeFileSync(join(h.runtime.landingDir, b), companyRows(range(10, 6)));
    utimesSync(join(h.runtime.landingDir, b), HOUR_AGO, HOUR_AGO);
    // The object replaced in the bucket behind the sync's back, with as many bytes: the folder's file is copied back.
    const deps = await h.runtime.deps();
    await deps.aws.s3.send(new PutObjectCommand({ Bucket: deps.config.landingBucket, Key: c, Body: 'x'.repeat(companyRows(range(20, 5)).length) }));
    const changed = await h.runtime.syncLanding();
    expect(changed.uploaded).toBe(3);
    expect((await object(a))!.etag).not.toBe(before);
    expect((await object(b))!.size).toBe(companyRows(range(10, 6)).length);
    const landed = await h.query<{ n: string }>(`SELECT count() AS n FROM url({u:String}, 'JSONEachRow')`, { u: await deps.store.presignGet(c) });
    expect(Number(landed[0]!.n)).toBe(5);

    // A file written just before a sync may change again within its timestamp: the next sync reads it.
    const settled = await h.runtime.syncLanding();
    expect(settled.uploaded).toBe(0);
    expect(settled.hashed).toBe(1);
  });

  it('lists a folder of the local S3 with its direct objects (ETag and size) and its subfolders', async () => {
    const key = h.land('listing', 'companies', 'x.jsonl', companyRows([1]));
    writeFileSync(join(h.runtime.landingDir, 'listing', 'stray.jsonl'), companyRows([2]));
    await h.runtime.syncLanding();
    const deps = await h.runtime.deps();
    const folder = await deps.store.listFolder('listing/');
    expect(folder.folders).toEqual(['listing/canonical/']);
    expect(folder.files).toEqual([
      { key: 'listing/stray.jsonl', etag: expect.stringMatching(/^[0-9a-f]{32}$/), size: companyRows([2]).length, lastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    ]);
    expect((await deps.store.listFolder('listing/canonical/companies/')).files.map((f) => f.key)).toEqual([key]);
  });
});
