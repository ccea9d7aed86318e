/**
 * @module `skiff start [NAMES...|--all] [--timeout S]`.
 */
import { bootVerb } from '../instance-action.js';

export const verb = bootVerb('start', 'Start instances');
