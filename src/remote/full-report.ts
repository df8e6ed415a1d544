/**
 * The full run report of a deployed execution. Its output (or, for a run that did not validate,
 * its Fail state's cause) is Validate's bounded summary, which names where the full report is in
 * the runs bucket; `status` and `trigger --watch` print that report instead.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import type { RunObject } from '../lib/run-layout.js';

/** Where the summary says the full report is, if it says. */
export function reportLocation(execution: DescribeExecutionOutput): RunObject | undefined {
  if (execution.status === 'SUCCEEDED' && execution.output) {
    try {
      const report = (JSON.parse(execution.output) as { report?: Partial<RunObject> } | null)?.report;
      if (typeof report?.Bucket === 'string' && typeof report.Key === 'string') return { Bucket: report.Bucket, Key: report.Key };
    } catch {
      return undefined;
    }
  }
  const match = /full report: s3:\/\/([^/\s]+)\/(\S+)/.exec(execution.cause ?? '');
  return match ? { Bucket: match[1]!, Key: match[2]! } : undefined;
}

/** The full report's text, or why it could not be read (the summary is printed then). */
export async function fullReportText(execution: DescribeExecutionOutput, s3: S3Client): Promise<{ text: string } | { unread: string }> {
  const location = reportLocation(execution);
  if (!location) return { unread: 'the execution names no full report' };
  try {
    const { Body } = await s3.send(new GetObjectCommand(location));
    const report = JSON.parse(await Body!.transformToString()) as { text?: unknown };
    return typeof report.text === 'string' ? { text: report.text } : { unread: `s3://${location.Bucket}/${location.Key} holds no report text` };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const why = name === 'AccessDenied' ? 'access denied (s3:GetObject on the runs bucket)' : name === 'NoSuchKey' ? 'it is no longer there (the runs bucket expires runs)' : `${name}: ${(error as Error).message}`;
    return { unread: `the full report at s3://${location.Bucket}/${location.Key} could not be read: ${why}` };
  }
}
