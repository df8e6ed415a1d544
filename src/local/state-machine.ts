/**
 * Runs the one ASL definition with aws-local-stepfunctions. Each Task state calls the handler
 * module its Resource names (the modules the stacks deploy), with a Lambda-like context.
 */
import { ExecutionAbortedError, ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { FUNCTION_PLACEHOLDERS, readDefinition, substituteDefinition, type FunctionName } from '../definition.js';
import { FUNCTION_SETTINGS } from '../function-settings.js';
import { getDeps } from '../runtime/deps.js';
import { registerExecution } from '../adapters/embedded/running-executions.js';
import { emulateDistributedMaps, emulationHandler, type Emulation } from './distributed-map.js';
import { ExecutionMeter, type ExecutionUsage } from './execution-limits.js';
import { lambdaContext } from './lambda-context.js';
import { definitionHash, recordValidated, wasValidated } from './validated-definitions.js';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const HANDLERS: Record<FunctionName, () => Promise<{ handler: unknown }>> = {
  discover: () => import('../../functions/discover.js'),
  'ensure-schema': () => import('../../functions/ensure-schema.js'),
  plan: () => import('../../functions/plan.js'),
  load: () => import('../../functions/load.js'),
  validate: () => import('../../functions/validate.js'),
};

/** Loads every function's module, e.g. while the stores start, so the first invocation of each does not wait on it. */
export async function loadHandlers(): Promise<void> {
  await Promise.all(Object.values(HANDLERS).map((load) => load()));
}

const LOCAL_ACCOUNT = '000000000000';
const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${LOCAL_ACCOUNT}:stateMachine:onceload`;
export const localFunctionArn = (name: string) => `arn:aws:lambda:us-east-1:${LOCAL_ACCOUNT}:function:onceload-${name}`;

/**
 * The definition with well-formed local ARNs, so validation stays on, and with its Distributed
 * Maps' ItemReader and ResultWriter done by local steps (distributed-map.ts).
 */
export function localDefinition(): StateMachineDefinition & { emulation: Emulation } {
  const values = Object.fromEntries(Object.entries(FUNCTION_PLACEHOLDERS).map(([placeholder, fn]) => [placeholder, localFunctionArn(fn)]));
  const definition = JSON.parse(substituteDefinition(readDefinition(), values)) as StateMachineDefinition;
  const emulation = emulateDistributedMaps(definition as never, (step) => localFunctionArn(`local-${step}`));
  // Not a field of the definition the engine runs: defined as not enumerable.
  return Object.defineProperty(definition, 'emulation', { value: emulation, enumerable: false }) as StateMachineDefinition & { emulation: Emulation };
}

export interface StateLike {
  Type: string;
  Resource?: string;
  Retry?: unknown[];
  ItemProcessor?: { States: Record<string, StateLike>; ProcessorConfig?: { Mode?: string } };
  Iterator?: { States: Record<string, StateLike> };
}

const START_TIME_PATH = '$$.Execution.StartTime';

/**
 * The definition with every `"x.$": "$$.Execution.StartTime"` field of a payload template made
 * the literal `"x": startTime`. The engine stamps StartTime with its own clock even over a
 * given context, so a chosen start time has to be written into the definition.
 */
export function pinStartTime<T>(definition: T, startTime: string): T {
  const pin = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(pin);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => (key.endsWith('.$') && inner === START_TIME_PATH ? [key.slice(0, -2), startTime] : [key, pin(inner)])),
    );
  };
  return pin(definition) as T;
}

export function* allStates(states: Record<string, StateLike>): Generator<[string, StateLike]> {
  for (const [name, state] of Object.entries(states)) {
    yield [name, state];
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) yield* allStates(inner.States);
  }
}

export type LocalEvent = Parameters<NonNullable<RunOptions['onEvent']>>[0];

export interface RunOptions {
  executionName: string;
  /** Replaces the ASL's retry waits (milliseconds), e.g. to keep tests fast. */
  retryIntervalMs?: number;
  onEvent?: (event: { type: string; timestamp: number; state?: { name: string; input?: unknown; output?: unknown }; parentState?: { name: string }; index?: number }) => void;
  /** Aborts the execution, as StopExecution does: tasks already running go on to their end. */
  signal?: AbortSignal;
  /** The execution's start time (`$$.Execution.StartTime`), e.g. a test's clock; the real start time when absent. */
  startTime?: Date;
}

export interface ExecutionResult {
  executionName: string;
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** What the execution used, counted from its event log as AWS would count it. */
  usage: ExecutionUsage;
}

export interface LocalStateMachineOptions {
  /** Overrides every function's timeout as the Lambda context reports it (tests use seconds, not minutes). */
  lambdaTimeoutSeconds?: number;
  /** Where the hashes of definitions already validated are kept (validated-definitions.ts); none: validated every time. */
  validatedDefinitions?: string;
}

export function createLocalStateMachine(machineOptions: LocalStateMachineOptions = {}) {
  const definition = localDefinition();
  const byArn = new Map(Object.values(FUNCTION_PLACEHOLDERS).map((fn) => [localFunctionArn(fn), fn]));
  const taskStates: [string, FunctionName][] = [];
  const retryable: string[] = [];
  const { steps } = definition.emulation;
  const distributedMaps = new Set<string>();
  for (const [name, state] of allStates(definition.States as unknown as Record<string, StateLike>)) {
    if (state.Retry?.length) retryable.push(name);
    if (state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED') distributedMaps.add(name);
    if (state.Type !== 'Task' || steps.has(name)) continue;
    const fn = byArn.get(state.Resource ?? '');
    if (!fn) throw new Error(`state ${JSON.stringify(name)} calls ${state.Resource}, which is not an onceload function`);
    taskStates.push([name, fn]);
  }
  const timeoutOf = (fn: FunctionName) => machineOptions.lambdaTimeoutSeconds ?? FUNCTION_SETTINGS[fn].timeoutSeconds;
  const validationOptions = { checkArn: true, checkPaths: true };
  const hash = machineOptions.validatedDefinitions === undefined ? undefined : definitionHash(definition, validationOptions);
  const validated = hash !== undefined && wasValidated(machineOptions.validatedDefinitions!, hash);
  // Throws, naming every problem, when the definition is not valid.
  const machine = new StateMachine(definition, { validationOptions: validated ? { ...validationOptions, noValidate: true } : validationOptions });
  if (hash !== undefined && !validated) recordValidated(machineOptions.validatedDefinitions!, hash);

  return async function run(input: unknown, options: RunOptions): Promise<ExecutionResult> {
    const executionArn = `arn:aws:states:us-east-1:${LOCAL_ACCOUNT}:execution:onceload:${options.executionName}`;
    const s3 = async () => (await getDeps()).aws.s3;
    const handlers = Object.fromEntries([
      ...taskStates.map(([stateName, fn]) => [
        stateName,
        async (event: unknown) => {
          const { handler } = (await HANDLERS[fn]()) as { handler: Handler };
          return handler(event, lambdaContext(`onceload-${fn}`, timeoutOf(fn)));
        },
      ]),
      ...[...steps].map(([stateName, step]) => [stateName, emulationHandler(step, s3, executionArn)]),
    ]);
    const startTime = (options.startTime ?? new Date()).toISOString();
    const runner = options.startTime ? new StateMachine(pinStartTime(definition, startTime), { validationOptions }) : machine;
    // Running, as a scheduled tick started after it sees it (src/lib/tick.ts).
    const unregister = registerExecution(options.executionName, startTime);
    const execution = runner.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(options.retryIntervalMs !== undefined
          ? { retryIntervalOverrides: Object.fromEntries(retryable.map((name) => [name, options.retryIntervalMs!])) }
          : {}),
      },
      context: {
        StateMachine: { Id: LOCAL_STATE_MACHINE_ARN, Name: 'onceload' },
        Execution: {
          Id: executionArn,
          Name: options.executionName,
          Input: input as never,
          StartTime: startTime,
        },
      },
    });
    options.signal?.addEventListener('abort', () => execution.abort(), { once: true });
    // Every event is metered: AWS's payload and history limits end the execution as they would there.
    const meter = new ExecutionMeter({ localSteps: new Set(steps.keys()), distributedMaps });
    const events = (async () => {
      for await (const event of execution.eventLogs) {
        if (meter.observe(event as never)) execution.abort();
        options.onEvent?.(event as never);
      }
    })();
    const ended = (result: Omit<ExecutionResult, 'executionName' | 'usage'>): ExecutionResult => {
      const breach = meter.breach;
      const outcome = breach ? { status: 'FAILED' as const, error: breach.error, cause: breach.cause } : result;
      return { executionName: options.executionName, ...outcome, usage: meter.usage };
    };
    try {
      const output = await execution.result;
      await events;
      return ended({ status: 'SUCCEEDED', output });
    } catch (error) {
      await events.catch(() => undefined);
      if (error instanceof ExecutionAbortedError) return ended({ status: 'ABORTED' });
      if (error instanceof ExecutionError) {
        const cause = (error as { cause?: { name?: string; message?: string } }).cause;
        return ended({ status: 'FAILED', error: cause?.name ?? 'Error', cause: cause?.message ?? error.message });
      }
      throw error;
    } finally {
      unregister();
    }
  };
}
