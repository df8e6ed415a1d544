/**
 * The one state machine definition, and the one function that fills its `${...}` placeholders:
 * the stacks pass real ARNs, the embedded runtime passes well-formed local ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from './project-root.js';

/** The definition's place in the project; relative, because SST bundles the stacks elsewhere. */
export const DEFINITION_FILE = 'statemachines/onceload.asl.json';

export const DEFINITION_PATH = projectPath(DEFINITION_FILE);

/** Placeholder -> the function (in `functions/`) whose ARN fills it. */
export const FUNCTION_PLACEHOLDERS = {
  DiscoverFunctionArn: 'discover',
  EnsureSchemaFunctionArn: 'ensure-schema',
  PlanFunctionArn: 'plan',
  LoadFunctionArn: 'load',
  ValidateFunctionArn: 'validate',
} as const;

export type FunctionName = (typeof FUNCTION_PLACEHOLDERS)[keyof typeof FUNCTION_PLACEHOLDERS];

/** Reads the definition; `projectRoot` is for code that does not run from its source tree (the bundled SST config). */
export function readDefinition(projectRoot?: string): string {
  return readFileSync(projectRoot === undefined ? DEFINITION_PATH : join(projectRoot, DEFINITION_FILE), 'utf8');
}

/** The placeholders a definition uses. */
export function placeholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]!))];
}

/** Fills every placeholder; a missing or unused value is an error, never a silent gap. */
export function substituteDefinition(definition: string, values: Record<string, string>): string {
  const used = placeholders(definition);
  const missing = used.filter((name) => !(name in values));
  if (missing.length) throw new Error(`no value for placeholder(s) ${missing.join(', ')}`);
  const unused = Object.keys(values).filter((name) => !used.includes(name));
  if (unused.length) throw new Error(`the definition has no placeholder(s) ${unused.join(', ')}`);
  return definition.replace(/\$\{([A-Za-z0-9]+)\}/g, (_, name: string) => values[name]!);
}
