/**
 * @module MAC addresses skiff gives a guest NIC: six colon-separated pairs of hex digits, unicast (a multicast
 * or broadcast source address is dropped by every switch and bridge) and not all zero. Pure.
 */
import { SkiffError } from './errors.js';

const MAC = /^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

/** Why `text` cannot be a guest NIC's MAC address (to follow `"TEXT" is `), or null when it can. */
export function macProblem(text: string): string | null {
  if (!MAC.test(text)) return 'not a MAC address (six pairs of hex digits separated by ":")';
  if (/^(?:00:){5}00$/.test(text)) return 'the all-zero address, not a usable NIC address';
  // The lowest bit of the first octet marks a group (multicast or broadcast) address.
  if ((parseInt(text.slice(0, 2), 16) & 1) === 1) return 'a multicast address, not a NIC address';
  return null;
}

/**
 * `text` in lowercase, as records, QEMU and cloud-init's match all use it.
 * @throws SkiffError('invalid-argument') naming `field`
 */
export function checkMac(text: string, field: string): string {
  const problem = macProblem(text);
  if (problem !== null) {
    throw new SkiffError('invalid-argument', `${field}: "${text}" is ${problem}`, {
      details: { field },
    });
  }
  return text.toLowerCase();
}
