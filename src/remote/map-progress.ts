/**
 * Progress of the outer Map of a running execution: tenant x table items done / total. The Map
 * is a Distributed Map: its items run as a map run, found in the execution history and counted
 * by DescribeMapRun.
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

/** Reads each execution history event once across polls, until the map run is known. */
export class MapProgressTracker {
  readonly #client: SFNClient;
  readonly #executionArn: string;
  /** The token of the history page holding the newest events read: the next read starts there. */
  #pageToken: string | undefined;
  #lastEventId = 0;
  #lastMapEntered: string | undefined;
  #mapRunArn: string | undefined;

  constructor(client: SFNClient, executionArn: string) {
    this.#client = client;
    this.#executionArn = executionArn;
  }

  /** Undefined until the Map has started. */
  async read(): Promise<ItemProgress | undefined> {
    if (!this.#mapRunArn) await this.#readHistory();
    const mapRunArn = this.#mapRunArn;
    if (!mapRunArn) return undefined;
    const run = await sfnCall('DescribeMapRun', mapRunArn, () => this.#client.send(new DescribeMapRunCommand({ mapRunArn })));
    return fromItemCounts(run.itemCounts);
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
    // A map run follows its own Map's MapStateEntered; nested Maps inside the items are inline.
    if (event.type === 'MapStateEntered') this.#lastMapEntered = event.stateEnteredEventDetails?.name;
    if (event.type === 'MapRunStarted' && this.#lastMapEntered === ITEM_MAP) this.#mapRunArn = event.mapRunStartedEventDetails?.mapRunArn;
  }
}
