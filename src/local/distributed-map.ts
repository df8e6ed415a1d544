/**
 * What the local engine leaves out of a Distributed Map, done as AWS does it, around the engine:
 * aws-local-stepfunctions takes a Map's items from its input and ignores ItemReader and
 * ResultWriter. Each such Map gets two local steps: one before it reads the items from the runs
 * bucket (as ItemReader does), one after it writes the children's results there in the layout
 * Step Functions writes (`<prefix>/<map run id>/manifest.json`, `SUCCEEDED_0.json`) and puts the
 * ResultWriter's answer at the Map's ResultPath. The states themselves run unchanged.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';

/** Fields and states of the emulation: the meter leaves them out, as AWS never sees them. */
export const LOCAL_PREFIX = '__local';
const ITEMS = `${LOCAL_PREFIX}Items`;
const RESULTS = `${LOCAL_PREFIX}Results`;

interface MapLike {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Next?: string;
  End?: boolean;
  ItemsPath?: string;
  ResultPath?: string | null;
  Label?: string;
  ItemReader?: { Parameters?: Record<string, unknown>; ReaderConfig?: { InputType?: string } };
  ResultWriter?: { Parameters?: Record<string, unknown> };
  Choices?: { Next?: string }[];
  Default?: string;
  Catch?: { Next?: string }[];
  ItemProcessor?: { States: Record<string, MapLike> };
}

interface Machine {
  StartAt: string;
  States: Record<string, MapLike>;
}

export type EmulationStep = 'item-reader' | 'result-writer';

export interface Emulation {
  /** Local step state name -> what it does. */
  steps: Map<string, EmulationStep>;
}

/** Every reference to state `from` in one States map now names `to`. */
function redirect(machine: Machine, from: string, to: string): void {
  if (machine.StartAt === from) machine.StartAt = to;
  for (const state of Object.values(machine.States)) {
    if (state.Next === from) state.Next = to;
    if (state.Default === from) state.Default = to;
    for (const c of [...(state.Choices ?? []), ...(state.Catch ?? [])]) if (c.Next === from) c.Next = to;
  }
}

/** The result key a ResultPath of the form `$.name` names. */
function resultKey(path: string | null | undefined, state: string): string {
  const match = /^\$\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(path ?? '');
  if (!match) throw new Error(`state ${JSON.stringify(state)}: a Map with a ResultWriter needs a ResultPath of the form $.name locally`);
  return match[1]!;
}

/**
 * Rewrites `definition` (in place) so the engine runs its Distributed Maps' readers and writers
 * as local steps whose Resource is `arnOf(step)`.
 */
export function emulateDistributedMaps(definition: Machine, arnOf: (step: EmulationStep) => string): Emulation {
  const steps = new Map<string, EmulationStep>();
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Map' || (!state.ItemReader && !state.ResultWriter)) continue;
    if (state.ItemReader) {
      const reader = `${name} (ItemReader)`;
      redirect(definition, name, reader);
      definition.States[reader] = {
        Type: 'Task',
        Resource: arnOf('item-reader'),
        Parameters: { 'state.$': '$', ...state.ItemReader.Parameters, InputType: state.ItemReader.ReaderConfig?.InputType ?? 'JSON' },
        Next: name,
      };
      state.ItemsPath = `$.${ITEMS}`;
      delete state.ItemReader;
      steps.set(reader, 'item-reader');
    }
    if (state.ResultWriter) {
      const writer = `${name} (ResultWriter)`;
      const key = resultKey(state.ResultPath, name);
      definition.States[writer] = {
        Type: 'Task',
        Resource: arnOf('result-writer'),
        Parameters: { 'state.$': '$', ...state.ResultWriter.Parameters, ResultKey: key, Label: state.Label ?? name },
        ...(state.End ? { End: true } : { Next: state.Next }),
      };
      delete state.End;
      state.Next = writer;
      state.ResultPath = `$.${RESULTS}`;
      delete state.ResultWriter;
      steps.set(writer, 'result-writer');
    }
  }
  return { steps };
}

type State = Record<string, unknown>;

async function getText(s3: S3Client, Bucket: string, Key: string): Promise<string> {
  const { Body } = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Body!.transformToString();
}

/** ItemReader: the items of a JSON array or JSON-lines object, put where the Map reads them. */
async function readItems(s3: S3Client, input: { state: State; Bucket: string; Key: string; InputType: string }): Promise<State> {
  const text = await getText(s3, input.Bucket, input.Key);
  const items =
    input.InputType === 'JSONL'
      ? text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown)
      : (JSON.parse(text) as unknown[]);
  return { ...input.state, [ITEMS]: items };
}

/** ResultWriter: the children's records and the manifest, then the Map's answer at its ResultPath. */
async function writeResults(
  s3: S3Client,
  input: { state: State; Bucket: string; Prefix?: string; ResultKey: string; Label: string },
  executionArn: string,
): Promise<State> {
  const { [ITEMS]: items = [], [RESULTS]: results = [], ...state } = input.state as State & { [ITEMS]?: unknown[]; [RESULTS]?: unknown[] };
  const mapRunId = randomUUID();
  const [, , , region, account, , machine = 'onceload'] = executionArn.split(':');
  const mapRunArn = `arn:aws:states:${region}:${account}:mapRun:${machine}/${input.Label}:${mapRunId}`;
  const base = `${input.Prefix ? `${input.Prefix.replace(/\/$/, '')}/` : ''}${mapRunId}/`;
  const now = new Date().toISOString();
  const records = (results as unknown[]).map((output, index) => ({
    ExecutionArn: `${executionArn}/${input.Label}:${index}`,
    Input: JSON.stringify((items as unknown[])[index] ?? null),
    InputDetails: { Included: true },
    Name: String(index),
    Output: JSON.stringify(output),
    OutputDetails: { Included: true },
    StartDate: now,
    StopDate: now,
    Status: 'SUCCEEDED',
  }));
  const put = async (Key: string, value: unknown) =>
    s3.send(new PutObjectCommand({ Bucket: input.Bucket, Key, Body: JSON.stringify(value), ContentType: 'application/json' }));
  const resultFiles = records.length ? [{ Key: `${base}SUCCEEDED_0.json`, Size: Buffer.byteLength(JSON.stringify(records)) }] : [];
  if (records.length) await put(resultFiles[0]!.Key, records);
  await put(`${base}manifest.json`, { DestinationBucket: input.Bucket, MapRunArn: mapRunArn, ResultFiles: { FAILED: [], PENDING: [], SUCCEEDED: resultFiles } });
  return { ...state, [input.ResultKey]: { MapRunArn: mapRunArn, ResultWriterDetails: { Bucket: input.Bucket, Key: `${base}manifest.json` } } };
}

/** The local step's handler, given the S3 client of the runs bucket. */
export function emulationHandler(step: EmulationStep, s3: () => Promise<S3Client>, executionArn: string) {
  return async (event: unknown): Promise<State> =>
    step === 'item-reader' ? readItems(await s3(), event as Parameters<typeof readItems>[1]) : writeResults(await s3(), event as Parameters<typeof writeResults>[1], executionArn);
}

/** A payload as AWS would carry it: without the emulation's fields. */
export function withoutLocalFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !key.startsWith(LOCAL_PREFIX)));
}
