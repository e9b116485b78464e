/** A worker asking the primary for the whole host's metrics, on behalf of one scrape; `id` pairs it with its answer. */
export interface HostMetricsRequest {
  readonly gatehouse: 'host-metrics-request';
  readonly id: number;
}

/** The primary's answer to one request: every worker's metrics aggregated, or why there are none. */
export type HostMetricsAnswer =
  | { readonly gatehouse: 'host-metrics-answer'; readonly id: number; readonly text: string }
  | { readonly gatehouse: 'host-metrics-answer'; readonly id: number; readonly error: string };

function isGatehouseMessage(message: unknown, kind: string): message is { gatehouse: string; id: number } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { gatehouse?: unknown }).gatehouse === kind &&
    typeof (message as { id?: unknown }).id === 'number'
  );
}

export function isHostMetricsRequest(message: unknown): message is HostMetricsRequest {
  return isGatehouseMessage(message, 'host-metrics-request');
}

export function isHostMetricsAnswer(message: unknown): message is HostMetricsAnswer {
  if (!isGatehouseMessage(message, 'host-metrics-answer')) return false;
  const { text, error } = message as { text?: unknown; error?: unknown };
  return typeof text === 'string' || typeof error === 'string';
}
