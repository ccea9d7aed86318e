/**
 * @module YAML that means the same to every reader: cloud-init reads YAML 1.1 (PyYAML), where plain `on`, `no`,
 * `0640`, `1:20` or an all-digit MAC are booleans and numbers, while skiff's YAML library speaks 1.2. So every
 * one-line string value skiff writes for a guest is double-quoted (multi-line ones are literal blocks) (unambiguous in 1.1 and 1.2 alike; the library's own
 * choice would leave `<<`, a merge key to PyYAML, plain), keys stay plain only when no reader could take them
 * for anything but a string, long lines are never folded (an SSH key must stay on one line), and numbers and
 * booleans are written in the forms both versions share.
 */
import { Document, isScalar, visit } from 'yaml';

/** Keys a YAML 1.1 reader reads as strings when plain: identifiers that are not booleans or null. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SPECIAL_1_1 = /^(?:y|n|yes|no|true|false|on|off|null)$/i;

/**
 * Multi-line text (a private key) as a literal block, which every reader, line-based ones included, takes as
 * it stands; everything else double-quoted.
 */
const stringType = (text: string): 'BLOCK_LITERAL' | 'QUOTE_DOUBLE' =>
  text.includes('\n') ? 'BLOCK_LITERAL' : 'QUOTE_DOUBLE';

/** `value` as YAML whose every scalar a YAML 1.1 reader (PyYAML) reads back as the same value. */
export function yaml11(value: unknown): string {
  // Nodes are made with the YAML 1.2 core schema: its 1.1 schema types `<<` as a merge key and will not quote it.
  const doc = new Document(value);
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && typeof pair.key.value === 'string') {
        const key = pair.key.value;
        pair.key.type = PLAIN_KEY.test(key) && !SPECIAL_1_1.test(key) ? 'PLAIN' : 'QUOTE_DOUBLE';
      }
      if (isScalar(pair.value) && typeof pair.value.value === 'string')
        pair.value.type = stringType(pair.value.value);
    },
    Seq(_, seq) {
      for (const item of seq.items)
        if (isScalar(item) && typeof item.value === 'string') item.type = stringType(item.value);
    },
  });
  return doc.toString({ lineWidth: 0, minContentWidth: 0 });
}
