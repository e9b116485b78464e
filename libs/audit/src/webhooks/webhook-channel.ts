/** Channel on which a queued delivery wakes the senders of every instance (the payload is empty). */
export const WEBHOOK_CHANNEL = 'gatehouse_webhooks';
