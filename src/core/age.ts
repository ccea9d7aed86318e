/**
 * @module Human durations for messages ("3 min", "2 h").
 */

/** A short human text for a duration in ms, e.g. `42 s`, `3 min`, `5 h`, `2 days`. */
export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}
