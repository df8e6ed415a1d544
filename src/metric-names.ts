/** The service's CloudWatch names, shared by the functions that publish and the stacks that alarm and draw. */
export const SERVICE_NAME = 'onceload';
export const METRICS_NAMESPACE = 'onceload';

export const METRIC = {
  filesLoaded: 'FilesLoaded',
  filesSkipped: 'FilesSkipped',
  fileFailures: 'FileFailures',
  rowsInserted: 'RowsInserted',
  itemFailures: 'ItemFailures',
  runsValidated: 'RunsValidated',
  validationFailures: 'ValidationFailures',
  /** Scheduled ticks that did nothing because an earlier execution was still running. */
  skippedTicks: 'SkippedTicks',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
