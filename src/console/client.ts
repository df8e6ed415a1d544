/**
 * The CLI's way in while a console holds the data dir: instead of failing on the lock, a command
 * asks the console's API, at the address the console wrote to `<data-dir>/console.json`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import { processAlive } from '../local/data-dir-lock.js';
import { RunBusyError } from './runs.js';

export interface ConsoleAddress {
  url: string;
  pid: number;
}

/** The console holding the data dir, if one does: its file names it and it holds the lock. */
export function runningConsole(dataDir: string): ConsoleAddress | undefined {
  const dir = resolve(dataDir);
  const file = join(dir, 'console.json');
  if (!existsSync(file)) return undefined;
  try {
    const address = JSON.parse(readFileSync(file, 'utf8')) as ConsoleAddress;
    const holder = Number(readFileSync(join(dir, 'onceload.lock'), 'utf8').trim());
    // A console killed with -9 leaves its file behind: only a live holder of the lock counts.
    return holder === address.pid && processAlive(address.pid) ? address : undefined;
  } catch {
    return undefined;
  }
}

export class ConsoleClient {
  readonly url: string;

  constructor(address: ConsoleAddress) {
    this.url = address.url;
  }

  async #send(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(`api/${path}`, this.url), init);
    } catch (error) {
      throw new Error(`the console at ${this.url} holds the data dir but did not answer (${error instanceof Error ? error.message : String(error)})`);
    }
    if (response.ok) return response;
    const { error } = (await response.json().catch(() => ({ error: `HTTP ${response.status}` }))) as { error: string };
    // The console's answers keep the CLI's exit codes: bad input 2, a run under way 1.
    if (response.status === 400 || response.status === 404) throw new InputError(error);
    if (response.status === 409) throw new RunBusyError(error);
    throw new Error(`the console at ${this.url}: ${error}`);
  }

  async get<T>(path: string): Promise<T> {
    return (await (await this.#send(path)).json()) as T;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return (await (await this.#send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as T;
  }

  /** A POST whose answer is bytes (a query's result in its format). */
  async postForBytes(path: string, body: unknown): Promise<Buffer> {
    const response = await this.#send(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return Buffer.from(await response.arrayBuffer());
  }
}
