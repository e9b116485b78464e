import type { DeliveryAttempt } from '@gatehouse/mail';
import { webhookSignature } from './webhook-signature';

/** Where a delivery goes, and the secret it is signed with. */
export interface WebhookTarget {
  readonly url: string;
  readonly secret: string;
}

/** One delivery as it is sent: its `webhook-id` and the bytes stored when it was queued. */
export interface WebhookMessage {
  readonly id: string;
  readonly payload: string;
}

const MAX_ERROR_LENGTH = 200;

type ErrorFields = { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };

const fieldsOf = (value: unknown): ErrorFields => (typeof value === 'object' && value !== null ? value : {});

/**
 * A failed request in a few words: no answer in time, or the network error's code; never the body, URL or secret.
 * Read by the fields, not by class: fetch's errors may come from another realm than this code's `Error`.
 */
function describeRequestFailure(error: unknown, timeoutSeconds: number): string {
  const fields = fieldsOf(error);
  if (fields.name === 'TimeoutError') return `no answer within ${timeoutSeconds} s`;
  const cause = fieldsOf(fields.cause);
  const text =
    [cause.code, cause.message, fields.message].find((part) => typeof part === 'string') ?? String(error);
  return String(text).replace(/\s+/g, ' ').slice(0, MAX_ERROR_LENGTH);
}

/**
 * POSTs one delivery, signed as Standard Webhooks has it: `webhook-id`, `webhook-timestamp` (this attempt's, in
 * Unix seconds) and `webhook-signature`. A 2xx is delivered; 410 Gone refuses it for good; anything else (another
 * status, a redirect, which is never followed, a network error, no answer within the timeout) is tried again.
 * The response's body is never read.
 */
export async function postWebhook(
  target: WebhookTarget,
  message: WebhookMessage,
  timeoutSeconds: number,
): Promise<DeliveryAttempt> {
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gatehouse-Webhooks',
        'webhook-id': message.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': webhookSignature(target.secret, message.id, timestamp, message.payload),
      },
      body: message.payload,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (error) {
    return { outcome: 'failed', error: describeRequestFailure(error, timeoutSeconds) };
  }
  // Let the connection go without reading what the receiver said.
  await response.body?.cancel().catch(() => undefined);
  const { status } = response;
  if (status >= 200 && status < 300) return { outcome: 'delivered', note: `delivered (HTTP ${status})` };
  if (status === 410) return { outcome: 'refused', error: 'HTTP 410', why: 'the endpoint answered 410 Gone' };
  const redirect = status >= 300 && status < 400 ? ', a redirect (never followed)' : '';
  return { outcome: 'failed', error: `HTTP ${status}${redirect}` };
}
