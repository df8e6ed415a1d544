/**
 * Progress of the outer Map of a running execution: tenant x table items done / total. As a
 * Distributed Map its items run as a map run, counted by DescribeMapRun; as an inline Map they
 * show up as iteration events in the execution history.
 */
import { DescribeMapRunCommand, GetExecutionHistoryCommand, type HistoryEvent, type MapRunItemCounts, type SFNClient } from '@aws-sdk/client-sfn';
import { sfnCall } from './errors.js';

/** The state, in statemachines/onceload.asl.json, that runs one sub-workflow per tenant x table. */
export const ITEM_MAP = 'Plan and load every tenant and table';

export interface ItemProgress {
  total: number;
  succeeded: number;
  /** Failed or timed out. */
  failed: number;
  aborted: number;
  running: number;
  pending: number;
}

export function fromItemCounts(counts: MapRunItemCounts | undefined): ItemProgress {
  return {
    total: counts?.total ?? 0,
    succeeded: counts?.succeeded ?? 0,
    failed: (counts?.failed ?? 0) + (counts?.timedOut ?? 0),
    aborted: counts?.aborted ?? 0,
    running: counts?.running ?? 0,
    pending: counts?.pending ?? 0,
  };
}

interface InlineCounts {
  total: number;
  started: number;
  succeeded: number;
  failed: number;
  aborted: number;
}

/** Reads each execution history event once across polls, until the map run is known. */
export class MapProgressTracker {
  readonly #client: SFNClient;
  readonly #executionArn: string;
  /** The token of the history page holding the newest events read: the next read starts there. */
  #pageToken: string | undefined;
  #lastEventId = 0;
  #lastMapEntered: string | undefined;
  #mapRunArn: string | undefined;
  #inline: InlineCounts | undefined;

  constructor(client: SFNClient, executionArn: string) {
    this.#client = client;
    this.#executionArn = executionArn;
  }

  /** Undefined until the Map has started. */
  async read(): Promise<ItemProgress | undefined> {
    if (!this.#mapRunArn) await this.#readHistory();
    if (this.#mapRunArn) {
      const mapRunArn = this.#mapRunArn;
      const run = await sfnCall('DescribeMapRun', mapRunArn, () => this.#client.send(new DescribeMapRunCommand({ mapRunArn })));
      return fromItemCounts(run.itemCounts);
    }
    const c = this.#inline;
    if (!c) return undefined;
    const running = c.started - c.succeeded - c.failed - c.aborted;
    return { total: c.total, succeeded: c.succeeded, failed: c.failed, aborted: c.aborted, running, pending: c.total - c.started };
  }

  async #readHistory(): Promise<void> {
    for (;;) {
      const page = await sfnCall('GetExecutionHistory', this.#executionArn, async () => {
        try {
          return await this.#historyPage(this.#pageToken);
        } catch (error) {
          // Page tokens expire after a day: read the history again from the start.
          if (!this.#pageToken || !(error instanceof Error) || error.name !== 'InvalidToken') throw error;
          this.#pageToken = undefined;
          this.#lastEventId = 0;
          this.#lastMapEntered = undefined;
          this.#inline = undefined;
          return await this.#historyPage(undefined);
        }
      });
      for (const event of page.events ?? []) {
        if ((event.id ?? 0) <= this.#lastEventId) continue;
        this.#lastEventId = event.id ?? this.#lastEventId;
        this.#apply(event);
      }
      if (!page.nextToken || this.#mapRunArn) return;
      this.#pageToken = page.nextToken;
    }
  }

  #historyPage(nextToken: string | undefined) {
    const executionArn = this.#executionArn;
    const page = { maxResults: 1000, includeExecutionData: false, ...(nextToken ? { nextToken } : {}) };
    return this.#client.send(new GetExecutionHistoryCommand({ executionArn, ...page }));
  }

  #apply(event: HistoryEvent): void {
    switch (event.type) {
      case 'MapStateEntered':
        this.#lastMapEntered = event.stateEnteredEventDetails?.name;
        break;
      // Both follow the Map's own MapStateEntered; the iterations of an inline Map come later.
      case 'MapStateStarted':
        if (this.#lastMapEntered !== ITEM_MAP) break;
        this.#inline = { total: event.mapStateStartedEventDetails?.length ?? 0, started: 0, succeeded: 0, failed: 0, aborted: 0 };
        break;
      case 'MapRunStarted':
        if (this.#lastMapEntered === ITEM_MAP) this.#mapRunArn = event.mapRunStartedEventDetails?.mapRunArn;
        break;
      case 'MapIterationStarted':
        if (this.#inline && event.mapIterationStartedEventDetails?.name === ITEM_MAP) this.#inline.started++;
        break;
      case 'MapIterationSucceeded':
        if (this.#inline && event.mapIterationSucceededEventDetails?.name === ITEM_MAP) this.#inline.succeeded++;
        break;
      case 'MapIterationFailed':
        if (this.#inline && event.mapIterationFailedEventDetails?.name === ITEM_MAP) this.#inline.failed++;
        break;
      case 'MapIterationAborted':
        if (this.#inline && event.mapIterationAbortedEventDetails?.name === ITEM_MAP) this.#inline.aborted++;
        break;
      default:
        break;
    }
  }
}
