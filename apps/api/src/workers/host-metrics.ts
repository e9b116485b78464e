import { Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import { HostMetricsAnswer, isHostMetricsRequest } from './host-metrics-messages';

/**
 * The primary's half of a scrape with WORKERS above 1: a worker that received an authorised scrape asks here, and
 * prom-client's cluster support gathers every worker's registry over IPC and aggregates it by each metric's
 * `aggregator` (counters and histograms summed), so every worker answers with the same figures for the host.
 */
export class HostMetrics {
  // Constructing it in the primary installs prom-client's listener for the workers' replies.
  private readonly aggregator = new AggregatorRegistry();

  /**
   * @param unavailable why the host's figures cannot be gathered now (a worker still starting, which would not
   *   answer before prom-client's 5 s timeout), or undefined.
   * @param warn where a failed gathering is reported.
   */
  constructor(
    private readonly unavailable: () => string | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  /** Answers `message` when it is a request for the host's metrics; false for any other message. */
  handle(worker: Worker, message: unknown): boolean {
    if (!isHostMetricsRequest(message)) return false;
    void this.answer(worker, message.id);
    return true;
  }

  private async answer(worker: Worker, id: number): Promise<void> {
    let answer: HostMetricsAnswer;
    const reason = this.unavailable();
    if (reason !== undefined) {
      answer = { gatehouse: 'host-metrics-answer', id, error: reason };
    } else {
      try {
        // prom-client rejects after 5 s when a worker does not reply, and skips the ones already disconnected.
        const text = await this.aggregator.clusterMetrics();
        answer = { gatehouse: 'host-metrics-answer', id, text };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.warn(`the workers' metrics could not be gathered: ${message}`);
        answer = { gatehouse: 'host-metrics-answer', id, error: message };
      }
    }
    // With a callback, a worker gone meanwhile is an error passed here rather than an 'error' event on the worker.
    if (worker.isConnected()) worker.send(answer, () => undefined);
  }
}
