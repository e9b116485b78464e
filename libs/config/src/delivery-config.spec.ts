import { ConfigError } from './config-error';
import { loadConfig } from './load-config';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return error instanceof ConfigError ? error.problems : [String(error)];
  }
};

describe('loadConfig: durable deliveries and webhooks', () => {
  it('retries first after 5 s, polls every 5 s, tries webhooks for 3 days, 10 s each', () => {
    const config = loadConfig({});
    expect(config.delivery).toEqual({ retryFirst: 5, pollInterval: 5 });
    expect(config.webhooks).toEqual({ giveUpAfter: 3 * 86400, timeout: 10 });
  });

  it('reads the durations given', () => {
    const config = loadConfig({
      DELIVERY_RETRY_FIRST: '1s',
      DELIVERY_POLL_INTERVAL: '2m',
      WEBHOOK_GIVE_UP: '12h',
      WEBHOOK_TIMEOUT: '3',
    });
    expect(config.delivery).toEqual({ retryFirst: 1, pollInterval: 120 });
    expect(config.webhooks).toEqual({ giveUpAfter: 12 * 3600, timeout: 3 });
  });

  it.each([
    ['DELIVERY_RETRY_FIRST', '0'],
    ['DELIVERY_RETRY_FIRST', '6m'],
    ['DELIVERY_POLL_INTERVAL', '0s'],
    ['DELIVERY_POLL_INTERVAL', 'often'],
    ['WEBHOOK_GIVE_UP', '59'],
    ['WEBHOOK_GIVE_UP', '31d'],
    ['WEBHOOK_TIMEOUT', '0'],
    ['WEBHOOK_TIMEOUT', '2m'],
  ])('refuses %s=%s, naming it', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} must be a duration`));
  });
});
