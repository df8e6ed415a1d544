/**
 * The local DynamoDB's expression cache: every parse it answers from a kept shape must be the
 * parse dynalite would have made, with this request's values, errors and unused-name checks.
 * Checked side by side with the parser itself on every expression the ledger sends in a Load
 * (claims, units, a split, settles, a second attempt), and on shapes it must not reuse.
 */
import { createRequire } from 'node:module';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBatch } from '../../src/lib/load.js';
// @ts-expect-error: a plain ES module of the local store's process, without types
import { cachedParse } from '../../src/local/dynalite-expression-cache.mjs';
import { attemptAt, batchDeps, batchOf, DedupWarehouse, fileOf, openLedgerBed, type LedgerBed } from './protocol-harness.js';

type Parse = (text: string, options: { context: Context }) => unknown;
interface Context {
  attrNames?: Record<string, string>;
  attrVals?: Record<string, unknown>;
  unusedAttrNames?: Record<string, boolean>;
  unusedAttrVals?: Record<string, boolean>;
  isKeyCondition?: boolean;
  [other: string]: unknown;
}
interface ParserModule {
  parse: Parse;
}

const dynaliteRequire = createRequire(createRequire(import.meta.url).resolve('dynalite'));
const parsers = {
  condition: dynaliteRequire('./db/conditionParser') as ParserModule,
  update: dynaliteRequire('./db/updateParser') as ParserModule,
  projection: dynaliteRequire('./db/projectionParser') as ParserModule,
};

const copyContext = (context: Context): Context => ({
  ...context,
  attrVals: structuredClone(context.attrVals),
  unusedAttrNames: { ...context.unusedAttrNames },
  unusedAttrVals: { ...context.unusedAttrVals },
});

function outcome(parse: Parse, text: string, context: Context) {
  try {
    return { tree: parse(text, { context }), context: { names: context.unusedAttrNames, values: context.unusedAttrVals } };
  } catch (error) {
    return { error: String((error as Error).message), context: { names: context.unusedAttrNames, values: context.unusedAttrVals } };
  }
}

/** Runs the cached parse and dynalite's own on a copy of each request, and records any difference. */
function sideBySide(parse: Parse) {
  const seen = { calls: 0, saved: 0, differences: [] as string[] };
  let inner = 0;
  const counted: Parse = (text, options) => {
    inner++;
    return parse(text, options);
  };
  const cachedCounted = cachedParse(counted) as Parse;
  const wrapped: Parse = (text, options) => {
    seen.calls++;
    const expected = outcome(parse, text, copyContext(options.context));
    const before = inner;
    const got = outcome(cachedCounted, text, options.context);
    if (inner === before) seen.saved++;
    if (!isDeepStrictEqual(got, expected)) seen.differences.push(`${text}: ${JSON.stringify(got)} <> ${JSON.stringify(expected)}`);
    if ('error' in got) throw new Error(got.error);
    return got.tree;
  };
  return { wrapped, seen };
}

describe('the local DynamoDB parses an expression once per shape', () => {
  let bed: LedgerBed;
  const originals = Object.fromEntries(Object.entries(parsers).map(([name, module]) => [name, module.parse])) as Record<keyof typeof parsers, Parse>;
  const seen: Record<string, ReturnType<typeof sideBySide>['seen']> = {};
  beforeAll(async () => {
    for (const [name, module] of Object.entries(parsers)) {
      const { wrapped, seen: tally } = sideBySide(module.parse);
      module.parse = wrapped;
      seen[name] = tally;
    }
    bed = await openLedgerBed();
  });
  afterAll(async () => {
    for (const [name, module] of Object.entries(parsers)) module.parse = originals[name as keyof typeof parsers];
    await bed?.close();
  });

  it("answers every expression of a Load's ledger work as dynalite's parser does, with each request's own values", async () => {
    for (const tenant of ['t1', 't2']) {
      const warehouse = new DedupWarehouse();
      const files = ['a', 'bad', 'c', 'd'].map((name, index) => {
        const file = fileOf(tenant, name, `e${index}`, 100);
        warehouse.put(file, name === 'bad' ? -3 : 10 + index);
        return file;
      });
      const first = await loadBatch(batchOf(files), attemptAt(bed.clock, `A-${tenant}`), batchDeps(bed.ledger, warehouse, bed.clock));
      expect(first.map((r) => r.status)).toEqual(['loaded', 'failed', 'loaded', 'loaded']);
      bed.clock.advance(3600);
      const again = await loadBatch(batchOf(files), attemptAt(bed.clock, `B-${tenant}`), batchDeps(bed.ledger, warehouse, bed.clock));
      expect(again.map((r) => r.outcome)).toEqual(['loaded', 'failed', 'loaded', 'loaded']);
      for (const file of files.filter((f) => !f.key.includes('bad'))) {
        expect(await bed.ledger.get(file)).toMatchObject({ status: 'loaded', etag: file.etag, rows: warehouse.rowsOf(file) });
      }
    }
    expect(seen.condition!.differences).toEqual([]);
    expect(seen.update!.differences).toEqual([]);
    // The cache answered most parses: the same shapes came back with other values.
    expect(seen.condition!.saved).toBeGreaterThan(seen.condition!.calls / 2);
    expect(seen.update!.saved).toBeGreaterThan(seen.update!.calls / 2);
  });
});

describe('shapes it must not reuse', () => {
  const condition = dynaliteRequire('./db/conditionParser') as ParserModule;
  const context = (values: Record<string, unknown>, names: Record<string, string> = { '#s': 'status' }): Context => ({
    attrNames: names,
    attrVals: values,
    unusedAttrNames: Object.fromEntries(Object.keys(names).map((n) => [n, true])),
    unusedAttrVals: Object.fromEntries(Object.keys(values).map((n) => [n, true])),
    isReserved: () => false,
    compare: dynaliteRequire('./db').compare,
  });

  it("keeps BETWEEN's check of its bounds: a second request with bounds the wrong way round still fails", () => {
    const parse = cachedParse(condition.parse) as Parse;
    const text = '#s BETWEEN :low AND :high';
    // The parser answers a bad expression with its message.
    expect(parse(text, { context: context({ ':low': { N: '1' }, ':high': { N: '5' } }) })).toHaveProperty('expression');
    expect(parse(text, { context: context({ ':low': { N: '9' }, ':high': { N: '5' } }) })).toMatch(/upper bound to be greater/);
  });

  it('gives each request its own values, errors and unused names', () => {
    const parse = cachedParse(condition.parse) as Parse;
    const text = '#s = :a AND etag <> :b';
    const first = parse(text, { context: context({ ':a': { S: 'loading' }, ':b': { S: 'e1' } }) });
    const second = parse(text, { context: context({ ':a': { S: 'loaded' }, ':b': { S: 'e2' } }) });
    expect(JSON.stringify(first)).toContain('"e1"');
    expect(JSON.stringify(second)).toContain('"e2"');
    expect(JSON.stringify(second)).not.toContain('"e1"');
    // An unused value is left in the request's unused set, for dynalite to report.
    const extra = context({ ':a': { S: 'x' }, ':b': { S: 'y' }, ':c': { S: 'z' } });
    parse(text, { context: extra });
    expect(extra.unusedAttrVals).toEqual({ ':c': true });
    // A name it does not define is an error each time, with the parser's own message.
    for (let i = 0; i < 2; i++) {
      expect(parse('#t = :a', { context: context({ ':a': { S: 'x' } }) })).toMatch(/attribute name used in the document path is not defined/);
    }
  });

  it('parses every time a shape whose tree holds more of a value than the value itself', () => {
    let calls = 0;
    // A parser that derives from a value's content: its tree cannot be filled with another request's values.
    const deriving: Parse = (text, { context }) => {
      calls++;
      const value = (context.attrVals![':a'] as { S: string }).S;
      delete context.unusedAttrVals![':a'];
      return { text, upper: value.toUpperCase() };
    };
    const parse = cachedParse(deriving) as Parse;
    expect(parse('x', { context: context({ ':a': { S: 'one' } }) })).toEqual({ text: 'x', upper: 'ONE' });
    expect(parse('x', { context: context({ ':a': { S: 'two' } }) })).toEqual({ text: 'x', upper: 'TWO' });
    expect(calls).toBeGreaterThanOrEqual(3);
  });
});
