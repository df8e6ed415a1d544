/** Which function each Task state of the definition calls, and its memory in GB (Lambda's GB-seconds). */
import { FUNCTION_PLACEHOLDERS, type FunctionName } from '../definition.js';
import { FUNCTION_SETTINGS } from '../function-settings.js';
import { allStates, localDefinition, localFunctionArn, type StateLike } from '../local/state-machine.js';

export function taskStateFunctions(): Map<string, FunctionName> {
  const byArn = new Map(Object.values(FUNCTION_PLACEHOLDERS).map((fn) => [localFunctionArn(fn), fn]));
  const functions = new Map<string, FunctionName>();
  for (const [name, state] of allStates(localDefinition().States as unknown as Record<string, StateLike>)) {
    const fn = state.Type === 'Task' ? byArn.get(state.Resource ?? '') : undefined;
    if (fn) functions.set(name, fn);
  }
  return functions;
}

export const memoryGb = (fn: FunctionName) => FUNCTION_SETTINGS[fn].memoryMb / 1024;
