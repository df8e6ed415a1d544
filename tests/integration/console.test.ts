/**
 * `onceload console` as a user meets it: the CLI spawned on a data dir with a finished run that
 * failed a file, the page opened in headless Chromium (Debian's `chromium`, driven by
 * playwright-core), and the runs list, the state graph, the report, the ledger's reset and a
 * run started from the page checked in the browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BIN, runCli } from './cli-process.js';
import { companyRows } from './harness.js';

const CHROMIUM = process.env.ONCELOAD_CHROMIUM ?? '/usr/bin/chromium';
const BAD_KEY = 'acme/canonical/companies/renamed-column.jsonl';

let dataDir: string;
let consoleProcess: ChildProcess;
let consoleExit: Promise<number | null>;
let url: string;
let s3Endpoint: string;
let browser: Browser;
let page: Page;
let firstRun: string;

const onceload = (...args: string[]) => runCli(args, { env: { ONCELOAD_DATA_DIR: dataDir, ONCELOAD_PROGRESS_SECONDS: '0' }, timeoutMs: 180_000 });

function land(name: string, content: string): void {
  const dir = join(dataDir, 'landing', 'acme', 'canonical', 'companies');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), content);
}

/** Starts the console and resolves to its URL once it has printed it. */
function startConsole(): Promise<{ url: string; s3: string }> {
  consoleProcess = spawn(process.execPath, [BIN, 'console', '--port', '0'], { env: { ...process.env, ONCELOAD_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  consoleExit = new Promise((resolve) => consoleProcess.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    consoleProcess.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /onceload console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      const s3 = /local S3 +(http:\/\/127\.0\.0\.1:\d+) +bucket onceload-landing/.exec(output);
      if (found && s3 && output.includes('credentials  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER')) resolve({ url: found[1]!, s3: s3[1]! });
    });
    consoleProcess.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    consoleProcess.once('exit', (code) => reject(new Error(`the console exited with ${code}: ${output}`)));
  });
}

/** A raw request, with headers a browser on another site (or a rebound DNS name) would send. */
function request(path: string, options: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, url), { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end(options.body);
  });
}

async function api<T>(path: string): Promise<T> {
  return (await (await fetch(new URL(`api/${path}`, url))).json()) as T;
}

/** The share of a PNG's pixels near `rgb`, counted by the browser itself on a canvas. */
async function shareOfColour(png: Buffer, rgb: [number, number, number]): Promise<{ share: number; colours: number }> {
  const probe = await browser.newPage();
  try {
    return await probe.evaluate(
      async ({ data, rgb }) => {
        const image = new Image();
        image.src = `data:image/png;base64,${data}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d')!;
        context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        let near = 0;
        const colours = new Set<number>();
        for (let i = 0; i < pixels.length; i += 4) {
          const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
          colours.add((r << 16) | (g << 8) | b);
          if (Math.abs(r - rgb[0]) + Math.abs(g - rgb[1]) + Math.abs(b - rgb[2]) < 30) near++;
        }
        return { share: near / (pixels.length / 4), colours: colours.size };
      },
      { data: png.toString('base64'), rgb },
    );
  } finally {
    await probe.close();
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'onceload-console-'));
  expect(onceload('tenants', 'add', 'acme', '--tables', 'companies').code).toBe(0);
  land('good.jsonl', companyRows([1, 2, 3]));
  // The incident's mistake: a column the table does not have. The file fails, by name.
  land('renamed-column.jsonl', `${JSON.stringify({ id: 9, name: 'x', last_updated: '2026-01-01T00:00:00Z', created_date: '2026-01-01' })}\n`);
  const run = onceload('run', '--json');
  expect(run.code, run.stderr).toBe(1);
  firstRun = (JSON.parse(run.stdout) as { executionName: string }).executionName;
  ({ url, s3: s3Endpoint } = await startConsole());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  if (consoleProcess && consoleProcess.exitCode === null) consoleProcess.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

it('answers only requests addressed to the loopback host, and takes posts only as JSON', async () => {
  const port = new URL(url).port;
  const rebound = await request('api/runs', { headers: { host: `attacker.example:${port}` } });
  expect(rebound.status).toBe(421);
  expect(JSON.parse(rebound.body).error).toContain(`127.0.0.1:${port} or localhost:${port} only`);
  expect((await request('api/runs', { headers: { host: `localhost:${port}` } })).status).toBe(200);
  // What a cross-site form can send without a preflight: refused, and nothing reset.
  const form = await request('api/files/reset', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ tenant: 'acme', table: 'companies', key: BAD_KEY }) });
  expect(form.status).toBe(415);
  const bad = await request('api/files?status=lost', {});
  expect(bad.status).toBe(400);
  expect(JSON.parse(bad.body).error).toContain('status: unknown status "lost"');
});

it('lists the runs, draws the run as a state graph with each state marked, renders its report, resets a failed file after a confirm, and starts a run that shows live', async () => {
  expect(existsSync(join(dataDir, 'console.json'))).toBe(true);
  // The runs list.
  await page.goto(url);
  const row = page.locator(`#runs tr[data-run="${firstRun}"]`);
  await row.waitFor();
  expect(await row.locator('.badge').textContent()).toBe('FAILED');

  // One run: its states, marked from its event log, and its report.
  await row.locator('a').click();
  const discover = page.locator('#graph .state[data-state="Discover tenants and tables"]');
  await discover.waitFor();
  for (const state of ['Discover tenants and tables', 'Create missing canonical tables', 'Plan and load every tenant and table', 'Plan the files to load', 'Load a batch of files', 'Validate the run']) {
    expect(await page.locator(`#graph .state[data-state="${state}"]`).getAttribute('data-status'), state).toBe('succeeded');
  }
  expect(await page.locator('#graph .state[data-state="Refuse the execution input"]').getAttribute('data-status')).toBe('not-run');
  expect(await page.locator('#graph .map-items').first().textContent()).toBe('items 1 of 1 done');
  await page.locator('#report').waitFor();
  expect(await page.locator('#report [data-total="failed"] b').textContent()).toBe('1');
  expect(await page.locator('#report [data-total="loaded"] b').textContent()).toBe('1');
  expect(await page.locator('#failures').textContent()).toContain('created_date');

  // Laid out top to bottom: the first state above the Map, the Map above Validate, and drawn.
  const box = async (state: string) => (await page.locator(`#graph .state[data-state="${state}"]`).first().boundingBox())!;
  const [first, map, validate] = [await box('Discover tenants and tables'), await box('Plan and load every tenant and table'), await box('Validate the run')];
  expect(first.height).toBeGreaterThan(20);
  expect(first.y + first.height).toBeLessThan(map.y);
  expect(map.y + map.height).toBeLessThan(validate.y);
  const { colours } = await shareOfColour(await page.locator('#graph').screenshot(), [0, 0, 0]);
  expect(colours, 'a drawn graph, not a blank area').toBeGreaterThan(20);
  // Each state's status shows as the colour of its thick left edge, as the screenshot has it.
  const edge = async (state: string) => {
    const b = await box(state);
    return page.screenshot({ clip: { x: b.x + 2, y: b.y + 4, width: 6, height: b.height - 8 } });
  };
  const SUCCEEDED: [number, number, number] = [0x2e, 0x9d, 0x50];
  const NOT_RUN: [number, number, number] = [0xb8, 0xbc, 0xc4];
  expect((await shareOfColour(await edge('Discover tenants and tables'), SUCCEEDED)).share).toBeGreaterThan(0.9);
  expect((await shareOfColour(await edge('Validate the run'), SUCCEEDED)).share).toBeGreaterThan(0.9);
  expect((await shareOfColour(await edge('Refuse the execution input'), NOT_RUN)).share).toBeGreaterThan(0.9);

  // The ledger, filtered to failed files; the reset is confirmed first.
  await page.goto(`${url}#/files?status=failed`);
  const failed = page.locator(`#files tr[data-key="${BAD_KEY}"]`);
  await failed.waitFor();
  expect(await page.locator('#files tbody tr').count()).toBe(1);
  expect(await failed.locator('td.error').textContent()).toContain('"created_date" is not a column of companies');
  let asked = '';
  page.once('dialog', (dialog) => {
    asked = dialog.message();
    void dialog.accept();
  });
  await failed.locator('button.reset').click();
  await page.locator('#reset-done').waitFor();
  expect(asked).toContain(BAD_KEY);
  const afterReset = await api<{ entries: { key: string; status: string }[] }>('files?tenant=acme&table=companies');
  expect(afterReset.entries.find((e) => e.key === BAD_KEY)?.status).toBe('reset');
  expect(await page.locator('#files tbody tr').count()).toBe(0);

  // A run started from the page runs in the console's process and shows while it goes; it loads
  // a file dropped in landing/ and one a producer wrote through the S3 API, as printed.
  land('more.jsonl', companyRows([4, 5]));
  const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  await s3.send(new PutObjectCommand({ Bucket: 'onceload-landing', Key: 'acme/canonical/companies/via-s3.jsonl', Body: companyRows([6, 7, 8]) }));
  s3.destroy();
  await page.goto(url);
  await page.locator('#start-run-button').click();
  await page.waitForURL(/#\/runs\/run-/);
  const started = await page.locator('h2 .badge').textContent();
  expect(['STARTING', 'RUNNING']).toContain(started);
  await page.locator('h2 .badge:text-matches("SUCCEEDED|FAILED")').waitFor({ timeout: 120_000 });
  await page.locator('#report').waitFor();
  // The reset file failed again (its column is still wrong); the two new files loaded.
  expect(await page.locator('#report [data-total="loaded"] b').textContent()).toBe('2');
  expect(await page.locator('#report [data-total="rows"] b').textContent()).toBe('5');
  expect(await page.locator('#graph .state[data-state="Validate the run"]').getAttribute('data-status')).toBe('succeeded');
  const runs = await api<{ runs: { runId: string }[] }>('runs');
  expect(runs.runs).toHaveLength(2);

  // Ctrl-C: the console lets the data dir go, and the CLI sees what the page did.
  consoleProcess.kill('SIGINT');
  expect(await consoleExit).toBe(0);
  expect(existsSync(join(dataDir, 'console.json'))).toBe(false);
  const listed = onceload('runs', '--json');
  expect((JSON.parse(listed.stdout) as unknown[]).length).toBe(2);
}, 240_000);

it('refuses to listen on anything but the loopback interface, before it takes the data dir', () => {
  const refused = runCli(['console', '--host', '0.0.0.0', '--port', '0'], { env: { ONCELOAD_DATA_DIR: join(dataDir, 'never') } });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('--host: the console listens on the loopback interface only');
  expect(existsSync(join(dataDir, 'never'))).toBe(false);
});
