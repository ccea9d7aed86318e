/**
 * @module `skiff restart [NAMES...|--all] [--timeout S]`.
 */
import { bootVerb } from '../instance-action.js';

export const verb = bootVerb('restart', 'Restart instances');
