import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, webhookSignature } from './webhook-signature';

describe('webhook signatures', () => {
  it('makes secrets of 32 random bytes, written as Standard Webhooks writes them', () => {
    const secrets = Array.from({ length: 20 }, () => newWebhookSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(secrets.length);
  });

  it('signs as the standardwebhooks library signs, and its verifier accepts the result', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({
      type: 'user.created',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { id: 'x' },
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = webhookSignature(secret, 'msg_1', timestamp, body);
    expect(signature).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs the id, the timestamp and every byte of the body', () => {
    const secret = newWebhookSecret();
    const base = webhookSignature(secret, 'msg_1', 1700000000, '{"a":1}');
    expect(webhookSignature(secret, 'msg_2', 1700000000, '{"a":1}')).not.toBe(base);
    expect(webhookSignature(secret, 'msg_1', 1700000001, '{"a":1}')).not.toBe(base);
    expect(webhookSignature(secret, 'msg_1', 1700000000, '{"a":2}')).not.toBe(base);
    expect(webhookSignature(newWebhookSecret(), 'msg_1', 1700000000, '{"a":1}')).not.toBe(base);
  });
});
