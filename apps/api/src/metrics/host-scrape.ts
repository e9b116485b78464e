import { AggregatorRegistry, Registry } from 'prom-client';
import { HostMetricsAnswer, HostMetricsRequest, isHostMetricsAnswer } from '../workers/host-metrics-messages';

/** Beyond prom-client's own 5 s in the primary, whose error then comes first: this covers a primary that is gone. */
const ANSWER_TIMEOUT_MS = 6_000;

interface Pending {
  settle(answer: HostMetricsAnswer | { error: string }): void;
}

/**
 * A cluster worker's half of a scrape with WORKERS above 1: asks the primary for every worker's metrics
 * aggregated, and reports its own registry when the primary gathers them. Used only for a scrape: no request
 * other than `/api/metrics` sends or waits for anything.
 */
export class HostScrape {
  private lastId = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly onMessage = (message: unknown): void => {
    if (isHostMetricsAnswer(message)) this.pending.get(message.id)?.settle(message);
  };

  constructor(registry: Registry) {
    // What this worker reports when the primary gathers; prom-client's listener answers with it, and
    // constructing an AggregatorRegistry is what installs that listener in a worker.
    AggregatorRegistry.setRegistries([registry]);
    new AggregatorRegistry();
    process.on('message', this.onMessage);
  }

  /** The host's metrics in the text format; rejects with the reason when the primary could not gather them. */
  fetch(): Promise<string> {
    const id = ++this.lastId;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => pending.settle({ error: `no answer from the cluster primary within ${ANSWER_TIMEOUT_MS} ms` }),
        ANSWER_TIMEOUT_MS,
      );
      const pending: Pending = {
        settle: (answer) => {
          clearTimeout(timer);
          this.pending.delete(id);
          if ('text' in answer) resolve(answer.text);
          else reject(new Error(answer.error));
        },
      };
      this.pending.set(id, pending);
      const request: HostMetricsRequest = { gatehouse: 'host-metrics-request', id };
      if (!process.send || !process.connected) {
        pending.settle({ error: 'the cluster primary is gone' });
        return;
      }
      process.send(request, (error: Error | null) => {
        if (error) pending.settle({ error: `the cluster primary could not be asked: ${error.message}` });
      });
    });
  }

  close(): void {
    process.off('message', this.onMessage);
    for (const pending of this.pending.values()) pending.settle({ error: 'the server is closing' });
  }
}
