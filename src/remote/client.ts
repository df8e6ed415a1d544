/** The Step Functions client of the AWS-facing commands. */
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { MAX_ATTEMPTS } from './settings.js';

export { MAX_ATTEMPTS };

/** Without a region the SDK takes AWS_REGION or the profile's; the commands say so when neither is set. */
export function createSfnClient(region?: string, extra: SFNClientConfig = {}): SFNClient {
  return new SFNClient({ ...(region ? { region } : {}), maxAttempts: MAX_ATTEMPTS, ...extra });
}
