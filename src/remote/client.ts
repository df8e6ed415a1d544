/** The Step Functions client of the AWS-facing commands. */
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';

/**
 * Throttling is retried by the SDK's standard retry strategy (exponential backoff with jitter,
 * a longer base delay for ThrottlingException), as are 5xx and network errors; six attempts
 * ride out a burst, then the command fails with a message saying so (see errors.ts).
 */
export const MAX_ATTEMPTS = 6;

/** Without a region the SDK takes AWS_REGION or the profile's; the commands say so when neither is set. */
export function createSfnClient(region?: string, extra: SFNClientConfig = {}): SFNClient {
  return new SFNClient({ ...(region ? { region } : {}), maxAttempts: MAX_ATTEMPTS, ...extra });
}
