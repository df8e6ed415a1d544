// dynalite parses every expression of every request with PEG parsers: about 2.9 ms of CPU for a
// claim's update and condition, most of what the local DynamoDB spends in a first run. The
// ledger sends the same few expressions again and again with other values, so each expression
// is parsed once per shape (its text, its attribute names, the types of its values) and the tree
// is reused with the request's own values put in place.
//
// A shape is kept only when a second parse, with values of the same types and other content,
// gives the first tree once its values are put back: whatever the parser does with the values
// beyond placing them in the tree, the shape is then parsed every time as before. Expressions
// whose checks read the values themselves (BETWEEN's bounds, attribute_type's name) are never
// kept, and neither is an expression the parser found wrong: its message is the parser's own.

import { isDeepStrictEqual } from 'node:util';

const MAX_SHAPES = 1000;
const CACHEABLE_TYPES = new Set(['S', 'N', 'SS', 'NS']);
const READS_VALUES = /between|attribute_type/i;

/** Wraps each parser module's `parse` (dynalite's condition, update and projection parsers). */
export function cacheExpressionParses(...parsers) {
  for (const parser of parsers) parser.parse = cachedParse(parser.parse);
}

export function cachedParse(parse) {
  const shapes = new Map();
  return function parseCached(text, options) {
    const context = options?.context;
    const key = context === undefined ? undefined : shapeKey(text, context);
    if (key === undefined) return parse(text, options);
    const shape = shapes.get(key);
    if (shape === null) return parse(text, options);
    if (shape !== undefined) {
      for (const name of shape.usedNames) delete context.unusedAttrNames?.[name];
      for (const name of shape.usedValues) delete context.unusedAttrVals?.[name];
      return fill(shape.tree, shape.slots, context.attrVals);
    }
    const unusedNames = { ...context.unusedAttrNames };
    const unusedValues = { ...context.unusedAttrVals };
    const tree = parse(text, options);
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(key, learn(parse, text, context, tree, unusedNames, unusedValues));
    return tree;
  };
}

function shapeKey(text, context) {
  if (READS_VALUES.test(text)) return undefined;
  const values = context.attrVals ?? {};
  const types = [];
  for (const name of Object.keys(values).sort()) {
    const type = valueType(values[name]);
    if (type === undefined) return undefined;
    types.push(`${name}=${type}`);
  }
  return JSON.stringify([text, Boolean(context.isKeyCondition), context.attrNames ?? null, types]);
}

function valueType(value) {
  if (value === null || typeof value !== 'object') return undefined;
  const keys = Object.keys(value);
  return keys.length === 1 && CACHEABLE_TYPES.has(keys[0]) ? keys[0] : undefined;
}

/** The shape's tree with a probe value in each value's place, or null when it cannot be reused. */
function learn(parse, text, context, tree, unusedNamesBefore, unusedValuesBefore) {
  // The parsers answer a bad expression with its message: parsed again each time.
  if (tree === null || typeof tree !== 'object') return null;
  const slots = new Map();
  const probes = {};
  let index = 0;
  for (const [name, value] of Object.entries(context.attrVals ?? {})) {
    const probe = probeLike(value, index++);
    probes[name] = probe;
    slots.set(probe, name);
  }
  const probeContext = {
    ...context,
    attrVals: probes,
    unusedAttrNames: { ...unusedNamesBefore },
    unusedAttrVals: { ...unusedValuesBefore },
  };
  let probeTree;
  try {
    probeTree = parse(text, { context: probeContext });
  } catch {
    return null;
  }
  const usedNames = removedKeys(unusedNamesBefore, context.unusedAttrNames);
  const usedValues = removedKeys(unusedValuesBefore, context.unusedAttrVals);
  const sameUse =
    sameKeys(usedNames, removedKeys(unusedNamesBefore, probeContext.unusedAttrNames)) &&
    sameKeys(usedValues, removedKeys(unusedValuesBefore, probeContext.unusedAttrVals));
  if (!sameUse || !isDeepStrictEqual(fill(probeTree, slots, context.attrVals), tree)) return null;
  return { tree: probeTree, slots, usedNames, usedValues };
}

function probeLike(value, index) {
  const [type] = Object.keys(value);
  const text = `\u0000probe${index}`;
  const number = String(987654321 + index);
  if (type === 'S') return { S: text };
  if (type === 'N') return { N: number };
  if (type === 'SS') return { SS: [text] };
  return { NS: [number] };
}

function removedKeys(before, after) {
  return Object.keys(before ?? {}).filter((name) => !Object.hasOwn(after ?? {}, name));
}

function sameKeys(a, b) {
  return a.length === b.length && a.every((name) => b.includes(name));
}

// The request's own value objects go where the probes were: the same objects the parser would
// have placed there, so nothing of another request's values is ever shared.
function fill(node, slots, values) {
  if (node === null || typeof node !== 'object') return node;
  const name = slots.get(node);
  if (name !== undefined) return values[name];
  if (Array.isArray(node)) return node.map((item) => fill(item, slots, values));
  const copy = Object.create(Object.getPrototypeOf(node));
  for (const key of Object.keys(node)) copy[key] = fill(node[key], slots, values);
  return copy;
}
