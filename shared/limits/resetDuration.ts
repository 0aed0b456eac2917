/**
 * A duration as OpenAI's `x-ratelimit-reset-*` headers write it (Go's duration format):
 * `250ms` under a second, else hours, minutes and seconds with the leading zero units
 * left out and up to three decimals of seconds: `1s`, `17.5s`, `6m0s`, `1h0m0s`.
 */
export function formatResetDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const secondsText = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}
