/**
 * The console's HTTP server: the page's files from `src/console/page/` and the JSON API, on the
 * loopback interface only. The API can reset files and start runs, so it answers only requests
 * addressed to the loopback host (no DNS rebinding) and only JSON posts (a cross-site form
 * cannot send one without a preflight, which is never granted).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { projectPath } from '../project-root.js';
import { ConfigError } from '../config.js';
import { InputError } from '../errors.js';
import { handleApi, NotFound, type ApiContext } from './api.js';
import { RunBusyError } from './runs.js';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/** Throws an InputError unless `host` is a loopback address: the console serves this machine only. */
export function assertLoopback(host: string): void {
  if (!LOOPBACK_HOSTS.includes(host)) {
    throw new InputError(`the console listens on the loopback interface only (${LOOPBACK_HOSTS.join(', ')}), not ${JSON.stringify(host)}: it can reset files and start runs, with no sign-in`, '--host');
  }
}

const PAGE_DIR = pathToFileURL(projectPath('src', 'console', 'page') + '/');
const PAGE_FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

const MAX_BODY_BYTES = 64 * 1024;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new InputError(`the request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InputError('the request body is not JSON');
  }
}

function statusOf(error: unknown): number {
  if (error instanceof InputError || error instanceof ConfigError) return 400;
  if (error instanceof NotFound) return 404;
  if (error instanceof RunBusyError) return 409;
  return 500;
}

/** `host:port` as a browser on this machine sends it in the Host header. */
function addressedHere(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host ?? '';
  return LOOPBACK_HOSTS.some((h) => host === `${h.includes(':') ? `[${h}]` : h}:${port}`);
}

async function answer(ctx: ApiContext, req: IncomingMessage, res: ServerResponse, port: number): Promise<void> {
  if (!addressedHere(req, port)) return sendJson(res, 421, { error: `this console answers requests to 127.0.0.1:${port} or localhost:${port} only` });
  const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
  if (url.pathname.startsWith('/api/')) {
    if (req.method === 'POST' && !(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return sendJson(res, 415, { error: 'send the request body as application/json' });
    }
    try {
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const reply = await handleApi(ctx, req.method ?? 'GET', url.pathname.slice('/api/'.length), url.searchParams, body);
      return reply.raw ? send(res, reply.status, reply.raw.type, reply.raw.data) : sendJson(res, reply.status, reply.body);
    } catch (error) {
      return sendJson(res, statusOf(error), { error: error instanceof Error ? error.message : String(error) });
    }
  }
  const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
  const type = req.method === 'GET' ? PAGE_FILES[name] : undefined;
  if (!type) return send(res, 404, 'text/plain; charset=utf-8', 'not found');
  send(res, 200, type, await readFile(new URL(name, PAGE_DIR)));
}

export interface ConsoleServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startConsoleServer(ctx: ApiContext, options: { host: string; port: number }): Promise<ConsoleServer> {
  assertLoopback(options.host);
  const server: Server = createServer((req, res) => {
    answer(ctx, req, res, (server.address() as AddressInfo).port).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new InputError(`port ${options.port} is in use; give another with --port (0: any free port)`, '--port') : error),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = options.host === '::1' ? '[::1]' : options.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
