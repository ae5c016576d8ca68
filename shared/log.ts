import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The one logger of fedgate. Messages are constant lowercase phrases; variable parts go in keys.
 * `logEvent` stays off: a SAMLResponse, an authorization code or a cookie is a credential.
 */
export const logger = new Logger({ serviceName: 'fedgate' });

/** The part of a logger shared/ uses: injected, so tests can capture what is logged. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'appendKeys'>;

/**
 * A stable, non-reversible handle for a subject identifier in logs (first 16 hex chars of SHA-256),
 * so one person's sign-ins can be correlated without writing their id into every log line.
 * @example hashSubject('00u1abcd') // '5d1c…'
 */
export const hashSubject = (subject: string): string =>
  createHash('sha256').update(`fedgate-subject:${subject}`).digest('hex').slice(0, 16);

/**
 * fedgate's metrics, as CloudWatch embedded metric format lines on stdout (namespace `fedgate`).
 * `POWERTOOLS_METRICS_DISABLED=true` turns them off (the tests and the local runner do).
 */
export const metrics = new Metrics({ namespace: 'fedgate', serviceName: 'fedgate' });

/**
 * The part of metrics shared/ uses: counts and latencies, each with its own small set of
 * dimensions (bounded values only: routes, error codes, protocols — never a subject or an IdP
 * claim).
 */
export interface Meter {
  count(name: string, dimensions: Record<string, string>, value?: number): void;
  milliseconds(name: string, dimensions: Record<string, string>, value: number): void;
}

/**
 * A {@link Meter} on Powertools Metrics: every figure is published at once as its own EMF line
 * (`singleMetric`), so figures with different dimensions never share a record.
 */
export const createMeter = (m: Pick<Metrics, 'singleMetric'>): Meter => {
  const emit = (
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    dimensions: Record<string, string>,
    value: number,
  ) => {
    const single = m.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, unit, value);
  };
  return {
    count: (name, dimensions, value = 1) => emit(name, MetricUnit.Count, dimensions, value),
    milliseconds: (name, dimensions, value) =>
      emit(name, MetricUnit.Milliseconds, dimensions, value),
  };
};

/** The meter every function passes to its handler. */
export const meter: Meter = createMeter(metrics);
