/**
 * @module The `Guest facts` line of `skiff info`: how old the guest-read fields are, and why. Pure.
 */
import type { GuestFactsJson } from '../../api/contract.js';

/**
 * A line saying why the guest fields are old or blank; none when they are fresh (the table then looks like
 * Multipass's).
 */
export function guestFactsNote(guest: GuestFactsJson | null | undefined): string | null {
  if (!guest) return null;
  const why = guest.error ? `: ${guest.error}` : '';
  switch (guest.status) {
    case 'fresh':
      return null;
    case 'stale':
      return `read ${ago(guest.age_s)}${why}`;
    case 'pending':
      return `not read yet${why || ': the first read of this boot is still running'}`;
    case 'unavailable':
      return `unavailable${why}`;
    default: {
      const unknown: never = guest.status;
      return String(unknown);
    }
  }
}

function ago(seconds: number | null): string {
  if (seconds === null) return 'at an unknown time';
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}
