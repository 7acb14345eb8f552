/**
 * Pieces of a simulated run shared by the soak tests in Node and in Chromium (no Node
 * imports here: the browser soak page bundles it): a replayable PRNG and timers on a
 * simulated clock.
 */
import type { Timers } from '@realmauth/core'

/** Deterministic PRNG (mulberry32), so a failing run can be replayed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** setTimeout on a simulated clock: callbacks run when the loop moves `now()` past them and calls `runDue`. */
export function simulatedTimers(now: () => number) {
  const queue = new Map<number, { at: number; fn: () => void }>()
  let next = 1
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      queue.set(next, { at: now() + ms, fn })
      return next++
    },
    clearTimeout: (handle) => void queue.delete(handle as number),
  }
  /** When the next timer is due, or Infinity. */
  const nextDue = () => Math.min(Infinity, ...[...queue.values()].map((t) => t.at))
  /** Runs the timers the clock has passed; returns how many ran. */
  const runDue = () => {
    let ran = 0
    for (const [id, t] of [...queue].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > now()) break
      queue.delete(id)
      t.fn()
      ran++
    }
    return ran
  }
  return { timers, nextDue, runDue }
}
