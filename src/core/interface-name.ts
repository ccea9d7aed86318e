/**
 * @module Host network interface names skiff accepts. Linux allows 15 bytes of anything but `/`, `:` and
 * whitespace; skiff takes a safer subset, since a name lands in QEMU options (where `,` separates them) and in
 * ip(8)'s argv (where a leading `-` is an option). Pure.
 */

/** Letters, digits, `_`, `.` and `-`, at most 15, not starting with `-` or `.`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

export function isInterfaceName(name: string): boolean {
  return NAME.test(name);
}
