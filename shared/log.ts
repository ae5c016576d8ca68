import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The one logger of fedgate. Messages are constant lowercase phrases; variable parts go in keys.
 * `logEvent` stays off: a SAMLResponse, an authorization code or a cookie is a credential.
 */
export const logger = new Logger({ serviceName: 'fedgate' });

/** The part of a logger shared/ uses: injected, so tests can capture what is logged. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error' | 'appendKeys'>;

// The hash lives with the mapping (it is also the default SourceIdentity, which mapping must
// compute without Powertools); log lines keep using it from here.
export { hashSubject } from './mapping/subject-ref.js';

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
