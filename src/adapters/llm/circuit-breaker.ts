import { ModelError, type ChatModel } from './model.js';

export type BreakerSettings = { failures: number; cooldownMs: number; now?: () => number };

/**
 * Stops calling a model provider that keeps failing: after `failures` consecutive provider
 * failures (timeouts, 429s, 5xx, connection errors) the circuit opens and calls fail at once
 * for `cooldownMs`; then one trial call is let through, and its outcome closes or reopens it.
 * Empty answers and aborted calls say nothing about the provider's health and are not counted.
 */
export function withCircuitBreaker(model: ChatModel, { failures, cooldownMs, now = Date.now }: BreakerSettings): ChatModel {
  let consecutiveFailures = 0;
  let openUntil = 0;
  let trialInFlight = false;

  return {
    async complete(messages, options) {
      const isOpen = consecutiveFailures >= failures;
      if (isOpen && (now() < openUntil || trialInFlight)) {
        const retryAfter = Math.max(1, Math.ceil((openUntil - now()) / 1000));
        throw new ModelError('circuit_open', `the model provider is failing; calls are paused for ${retryAfter} s`, retryAfter);
      }
      trialInFlight = isOpen;
      try {
        const answer = await model.complete(messages, options);
        consecutiveFailures = 0;
        return answer;
      } catch (error) {
        if (error instanceof ModelError && error.kind !== 'empty') {
          consecutiveFailures += 1;
          if (consecutiveFailures >= failures) openUntil = now() + cooldownMs;
        }
        throw error;
      } finally {
        if (isOpen) trialInFlight = false;
      }
    },
  };
}
