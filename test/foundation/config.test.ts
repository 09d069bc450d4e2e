import { ConfigError, parseConfig } from '../../common/config';

describe('configuration', () => {
  it('applies defaults and starts an embedded Temporal when TEMPORAL_ADDRESS is unset', () => {
    const config = parseConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.embeddedTemporal).toBe(true);
    expect(config.temporalAddress).toBe('127.0.0.1:7233');
    expect(config.TEMPORAL_UI_PORT).toBe(8233);
    expect(config.TEMPORAL_TLS).toBe(false);
  });

  it('connects to a given cluster instead of starting one', () => {
    const config = parseConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_NAMESPACE: 'io-prod' });
    expect(config.embeddedTemporal).toBe(false);
    expect(config.temporalAddress).toBe('temporal.example:7233');
    expect(config.TEMPORAL_NAMESPACE).toBe('io-prod');
  });

  it('runs the service workflows on their own task queue unless told to share the main one', () => {
    expect(parseConfig({}).TEMPORAL_SERVICES_TASK_QUEUE).toBe('io-onboarding-services');
    expect(parseConfig({ TEMPORAL_TASK_QUEUE: 'io-prod' }).TEMPORAL_SERVICES_TASK_QUEUE).toBe(
      'io-prod-services',
    );
    expect(
      parseConfig({ TEMPORAL_TASK_QUEUE: 'io-prod', TEMPORAL_SERVICES_TASK_QUEUE: 'io-prod' })
        .TEMPORAL_SERVICES_TASK_QUEUE,
    ).toBe('io-prod');
  });

  it('polls both task queues unless told one (WORKER_QUEUES), never one of a shared queue', () => {
    expect(parseConfig({}).WORKER_QUEUES).toBe('all');
    expect(parseConfig({ WORKER_QUEUES: 'comuni' }).WORKER_QUEUES).toBe('comuni');
    expect(parseConfig({ WORKER_QUEUES: 'services' }).WORKER_QUEUES).toBe('services');
    expect(() => parseConfig({ WORKER_QUEUES: 'servizi' })).toThrow(/WORKER_QUEUES/);
    const shared = { TEMPORAL_TASK_QUEUE: 'io-prod', TEMPORAL_SERVICES_TASK_QUEUE: 'io-prod' };
    expect(parseConfig(shared).WORKER_QUEUES).toBe('all');
    for (const one of ['comuni', 'services']) {
      expect(() => parseConfig({ ...shared, WORKER_QUEUES: one })).toThrow(
        expect.objectContaining({
          issues: [
            expect.objectContaining({ variable: 'WORKER_QUEUES', message: expect.stringMatching(/io-prod/) }),
          ],
        }),
      );
    }
  });

  it('parses booleans strictly ("false" is false)', () => {
    expect(parseConfig({ TEMPORAL_TLS: 'false' }).TEMPORAL_TLS).toBe(false);
    expect(parseConfig({ TEMPORAL_TLS: 'true' }).TEMPORAL_TLS).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['TEMPORAL_TLS', 'maybe'],
    ['LOG_LEVEL', 'verbose'],
    ['TEMPORAL_UI_URL', 'not a url'],
  ])('refuses %s=%s with a message naming the variable', (variable, value) => {
    let error: unknown;
    try {
      parseConfig({ [variable]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toContain(variable);
    expect((error as ConfigError).message).toContain(variable);
  });

  it('requires the key with a client certificate', () => {
    expect(() => parseConfig({ TEMPORAL_TLS_CERT_PATH: '/tmp/cert.pem' })).toThrow(/TEMPORAL_TLS_KEY_PATH/);
  });
});
