import { toAuthError, type AuthError } from './AuthError.js'

/**
 * How a request that failed for a reason that may pass (network error, 5xx) is retried:
 * exponential backoff with jitter, so clients that failed together do not retry together.
 *
 * @example
 * ```ts
 * const client = new AuthClient({ issuer, clientId: 'spa', refresh: { attempts: 5, backoffMs: 500 } })
 * ```
 */
export interface RetryPolicy {
  /** Attempts in all before the failure is reported. Default 3. */
  attempts?: number
  /** First retry delay; doubles per attempt up to `maxBackoffMs`, with jitter. Default 1000. */
  backoffMs?: number
  /** Default 30000. */
  maxBackoffMs?: number
}

/** `policy` with the documented defaults filled in. */
export function retryPolicy(policy: RetryPolicy = {}): Required<RetryPolicy> {
  return {
    attempts: Math.max(1, policy.attempts ?? 3),
    backoffMs: policy.backoffMs ?? 1000,
    maxBackoffMs: policy.maxBackoffMs ?? 30_000,
  }
}

/** Milliseconds to wait before attempt `attempt + 1`: between half and all of the doubled backoff. */
export function retryDelay(policy: Required<RetryPolicy>, attempt: number, random: () => number): number {
  const base = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1))
  return base / 2 + (random() * base) / 2
}

/**
 * Runs `run` until it succeeds, fails for good (not `retryable`, or `giveUp` says so), or
 * the policy's attempts are spent, waiting {@link retryDelay} between attempts with `sleep`;
 * the error thrown is an `AuthError` named after `during`. Positional, as it ships in SPAs.
 */
export async function retry<T>(
  during: string,
  run: () => Promise<T>,
  policy: Required<RetryPolicy>,
  sleep: (ms: number) => Promise<unknown>,
  random: () => number,
  giveUp?: (error: AuthError) => boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (err) {
      const error = toAuthError(err, during)
      if (!error.retryable || attempt >= policy.attempts || giveUp?.(error)) throw error
      await sleep(retryDelay(policy, attempt, random))
    }
  }
}
