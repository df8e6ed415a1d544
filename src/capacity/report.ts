/** The capacity figures of a fleet as a table of text, per tick and per month, in both ways of picking items. */
import { ADDITIVE, COST_LABELS, zeroCosts, type Additive, type Costs } from './costs.js';
import { type Fleet, type FleetTicks, sweepsPerMonth, ticksPerMonth } from './fleet.js';
import { predictTick, type CapacityModel, type TickCost } from './model.js';
import { dollarsOf, type Dollars } from './prices.js';

export interface Estimate {
  tick: TickCost & { dollars: Dollars };
  month: { costs: Costs; dollars: Dollars };
}

export interface CapacityEstimate {
  fleet: Fleet;
  ticksPerMonth: number;
  everyItem: Estimate;
  activeOnly: Estimate;
  /** A month as it runs: a sweep every `sweepHours`, the other ticks between sweeps. */
  month: { sweeps: number; costs: Costs; dollars: Dollars };
}

function estimate(model: CapacityModel, tick: FleetTicks[keyof FleetTicks], fleet: Fleet): Estimate {
  const cost = predictTick(model, tick, fleet.concurrency);
  const perMonth = ticksPerMonth(fleet.everySeconds);
  const costs = Object.fromEntries(Object.entries(cost.costs).map(([key, value]) => [key, value * perMonth])) as Costs;
  return { tick: { ...cost, dollars: dollarsOf(cost.costs) }, month: { costs, dollars: dollarsOf(costs) } };
}

export function estimateFleet(model: CapacityModel, fleet: Fleet, ticks: FleetTicks): CapacityEstimate {
  const everyItem = estimate(model, ticks.everyItem, fleet);
  const activeOnly = estimate(model, ticks.activeOnly, fleet);
  const sweeps = sweepsPerMonth(fleet);
  const between = ticksPerMonth(fleet.everySeconds) - sweeps;
  const costs = Object.fromEntries(Object.keys(everyItem.tick.costs).map((key) => [key, sweeps * everyItem.tick.costs[key as keyof Costs] + between * activeOnly.tick.costs[key as keyof Costs]])) as Costs;
  return { fleet, ticksPerMonth: ticksPerMonth(fleet.everySeconds), everyItem, activeOnly, month: { sweeps, costs, dollars: dollarsOf(costs) } };
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');
const decimal = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 2 : 0 });
const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: n < 1 ? 4 : 2 })}`;

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

type Row = [label: string, value: (e: Estimate) => [tick: string, month: string]];

const both = (f: (costs: Costs) => number, format: (n: number) => string = count): Row[1] => (e) => [format(f(e.tick.costs)), format(f(e.month.costs))];
const bill = (f: (d: Dollars) => number): Row[1] => (e) => [usd(f(e.tick.dollars)), usd(f(e.month.dollars))];

/** Fractions of a request make no sense; GB-seconds keep theirs. */
const formatOf = (key: Additive) => (key === 'lambdaGbSeconds' ? decimal : count);

const ROWS: Row[] = [
  ...ADDITIVE.map((key): Row => [COST_LABELS[key], both((c) => c[key], formatOf(key))]),
  ['largest state payload', (e) => [`${count(e.tick.largestPayloadBytes)} B`, '']],
  ['longest history', (e) => [`${count(e.tick.historyEvents)} events`, '']],
  ['wall time (rough)', (e) => [duration(e.tick.wallSeconds), '']],
  ['Step Functions', bill((d) => d.stepFunctions)],
  ['Lambda', bill((d) => d.lambda)],
  ['DynamoDB', bill((d) => d.dynamodb)],
  ['S3', bill((d) => d.s3)],
  ['total (ClickHouse not priced)', bill((d) => d.total)],
];

/** The fitted per-unit costs, one column each. */
export function formatModel(model: CapacityModel): string {
  const units: [string, Costs][] = [
    ['execution', model.execution],
    ['per table', model.table],
    ['idle item', model.idleItem],
    ['active item', model.activeItem],
    ['per file', model.perFile],
  ];
  const cells = [['measured per unit', ...units.map(([name]) => name)], ...ADDITIVE.map((key) => [COST_LABELS[key], ...units.map(([, costs]) => decimal(costs[key]))])];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

export function formatEstimate(result: CapacityEstimate, batchMaxFiles: number): string {
  const { fleet } = result;
  const items = fleet.tenants * fleet.tables;
  const columns: [string, Estimate][] = [
    ['a sweep: every item listed', result.everyItem],
    ['between sweeps: marked items only', result.activeOnly],
  ];
  const cells = ROWS.map(([label, value]) => [label, ...columns.flatMap(([, e]) => value(e))]);
  const header = ['', ...columns.flatMap(() => ['per tick', 'per month'])];
  const widths = header.map((_, i) => Math.max(...[header, ...cells].map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const pairWidth = (i: number) => widths[2 * i + 1]! + widths[2 * i + 2]! + 2;
  const titles = ' '.repeat(widths[0]!) + columns.map(([title], i) => `  ${title.padStart(pairWidth(i))}`).join('');
  return [
    `${count(fleet.tenants)} tenants x ${fleet.tables} tables = ${count(items)} items; ${decimal(fleet.active * 100)}% active ` +
      `(${count(Math.round(items * fleet.active))} items) with ${fleet.files} new files each; ` +
      `a tick every ${duration(fleet.everySeconds)} (${count(result.ticksPerMonth)} ticks a month); Map concurrency ${fleet.concurrency}`,
    '',
    titles,
    line(header),
    ...cells.map(line),
    '',
    `A month as it runs, one sweep every ${decimal(fleet.sweepHours)} h (${decimal(result.month.sweeps)} sweeps) and marked items only in between: ` +
      `${count(result.month.costs.stateTransitions)} state transitions, ${count(result.month.costs.lambdaInvocations)} Lambda invocations, ${usd(result.month.dollars.total)}.`,
    `Each landed object also invokes the marking function once (one conditional DynamoDB write): ${count(Math.round(items * fleet.active) * fleet.files)} a tick here, ` +
      `${usd(dollarsOf({ ...zeroCosts(), lambdaInvocations: 1, dynamodbWrites: 1 }).total * Math.round(items * fleet.active) * fleet.files * result.ticksPerMonth)} a month, not in the columns.`,
    'A scheduled tick between sweeps processes only the items with arrival marks (objects landed since they were',
    'last listed); a sweep tick, and any run started by hand, processes every item, as in the first columns.',
    'Wall time is a rough figure: the items one after another in as many lanes as the Map runs at once,',
    'at the item durations measured locally. Each DynamoDB request is counted as one request unit.',
    ...columns
      .filter(([, e]) => e.tick.wallSeconds >= fleet.everySeconds)
      .map(([title]) => `With ${title}, a tick takes as long as the interval or longer: the next tick would find it running and be skipped.`),
    ...(fleet.files > batchMaxFiles
      ? [`An item's files go in Load batches of at most ${batchMaxFiles}: past that, Lambda invocations and states grow in steps the model does not see.`]
      : []),
  ].join('\n');
}
