/**
 * AWS failures as the CLI reports them: which call failed, what to do about it, and the exit
 * code. Each Step Functions call goes through `sfnCall`, so a message can name its action.
 */
import { MAX_ATTEMPTS } from './settings.js';

export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A failure already explained for a person; the CLI prints the message and exits with the code. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.exitCode = exitCode;
  }
}

export const CREDENTIALS_HELP =
  'provide AWS credentials: set AWS_PROFILE to a profile in ~/.aws/config (after `aws configure` or `aws sso login`), ' +
  'or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones), or run where an IAM role is attached';

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded']);
const REJECTED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidSignatureException',
]);
const NOT_FOUND = new Set(['ExecutionDoesNotExist', 'StateMachineDoesNotExist', 'InvalidArn']);

/**
 * Turns an error of the AWS call `action` on `resource` into a RemoteError; other errors pass
 * through. `action` is a Step Functions action (`StartExecution`) or a full IAM one (`dynamodb:Scan`).
 */
export function explainAwsError(action: string, resource: string | undefined, error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const permission = action.includes(':') ? action : `states:${action}`;
  const on = resource ? ` on ${resource}` : '';
  const says = error.message ? ` (AWS says: ${error.message})` : '';
  if (error.name === 'CredentialsProviderError') {
    return new RemoteError(`no AWS credentials found for ${permission}: ${CREDENTIALS_HELP}`, EXIT_FAILED, { cause: error });
  }
  if (REJECTED_CREDENTIALS.has(error.name)) {
    return new RemoteError(`AWS rejected the credentials for ${permission} (${error.name}): ${CREDENTIALS_HELP}`, EXIT_FAILED, { cause: error });
  }
  // The SDK's own wording: "Region is missing", "Region not accepted: ...".
  if (/^Region (is missing|not accepted)/.test(error.message)) {
    const what = error.message.startsWith('Region is missing') ? 'no AWS region' : error.message.replace(/\.$/, '');
    return new RemoteError(`${what}: pass --region, or set AWS_REGION or a region in your AWS profile`, EXIT_USAGE, { cause: error });
  }
  // JSON-protocol services say AccessDeniedException; S3 and CloudFormation say AccessDenied.
  if (error.name === 'AccessDeniedException' || error.name === 'AccessDenied') {
    const message = `access denied to ${permission}${on}: the AWS identity in use lacks the IAM permission ${permission}${resource ? ' on that resource' : ''}`;
    return new RemoteError(`${message}${says}`, EXIT_FAILED, { cause: error });
  }
  if (THROTTLING.has(error.name)) {
    const message = `${permission.startsWith('states:') ? 'Step Functions' : 'AWS'} kept throttling ${permission} through ${MAX_ATTEMPTS} attempts with backoff; try again in a minute`;
    return new RemoteError(message, EXIT_FAILED, { cause: error });
  }
  if (NOT_FOUND.has(error.name)) {
    const message = `${error.name}: ${resource ?? 'the resource'} does not exist or is not a valid ARN in this region${says}`;
    return new RemoteError(message, EXIT_USAGE, { cause: error });
  }
  if ('$metadata' in error) return new RemoteError(`${permission}${on} failed: ${error.name}: ${error.message}`, EXIT_FAILED, { cause: error });
  return error;
}

/** Runs one Step Functions call, explaining its failure. */
export async function sfnCall<T>(action: string, resource: string | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAwsError(action, resource, error);
  }
}
