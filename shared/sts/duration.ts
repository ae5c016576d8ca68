import { DURATION_MAX_SECONDS, DURATION_MIN_SECONDS } from '../aws-rules.js';

/**
 * The duration every IAM role allows: MaxSessionDuration is 1–12 h and defaults to 1 h, so
 * 3600 s is what fedgate falls back to when STS says a longer request exceeds the role's maximum.
 */
export const ALWAYS_ALLOWED_DURATION_SECONDS = 3600;

/**
 * Clamps a requested session duration into STS's range (900..43200 s, whole seconds). STS fails
 * rather than clamping, so fedgate clamps; a value that is not a finite number becomes the
 * always-allowed 3600 s.
 * @example clampDuration(60) // 900
 * @example clampDuration(86_400) // 43200
 */
export const clampDuration = (seconds: number): number => {
  if (!Number.isFinite(seconds)) return ALWAYS_ALLOWED_DURATION_SECONDS;
  return Math.min(DURATION_MAX_SECONDS, Math.max(DURATION_MIN_SECONDS, Math.floor(seconds)));
};
