/**
 * @module Reading a text file that may not be there yet (a first start, a first use): its content, or null when
 * it does not exist; any other failure is thrown.
 */
import { readFile } from 'node:fs/promises';

/** The file's text, or null when nothing is at `path`. @throws what readFile throws, except ENOENT */
export async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
