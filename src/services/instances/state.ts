/**
 * @module Instance states (Multipass's names) and which operation each allows. Pure.
 */
import { SkiffError } from '../../core/errors.js';
import { instanceDeleted, instanceDeletedOnStart } from '../../core/messages.js';

/** Every state, for checking what is loaded from disk. */
export const INSTANCE_STATES = [
  'Starting',
  'Running',
  'Restarting',
  'Delayed Shutdown',
  'Stopping',
  'Stopped',
  'Suspending',
  'Suspended',
  'Deleted',
  'Unknown',
] as const;

export type InstanceState = (typeof INSTANCE_STATES)[number];

export type Operation =
  'start' | 'stop' | 'restart' | 'suspend' | 'delete' | 'recover' | 'purge' | 'exec' | 'set';

/** Whether `op` may run on an instance in `state`; the error says why not and what to do. */
export function checkOperation(name: string, state: InstanceState, op: Operation): void {
  const allowed = allowedIn(state, op);
  if (!allowed) {
    const hint = hintFor(state, op);
    // Multipass's words first for a deleted instance: scripts match on them.
    const deleted = op === 'start' ? instanceDeletedOnStart(name) : `${instanceDeleted(name)} (${hint})`;
    throw new SkiffError(
      'conflict',
      state === 'Deleted'
        ? deleted
        : `cannot ${op} "${name}": it is ${state.toLowerCase()}${hint ? ` (${hint})` : ''}`,
      {
        details: { state },
      },
    );
  }
}

function allowedIn(state: InstanceState, op: Operation): boolean {
  switch (op) {
    case 'start':
      return (
        state === 'Stopped' ||
        state === 'Suspended' ||
        state === 'Running' ||
        state === 'Unknown' ||
        state === 'Delayed Shutdown'
      );
    case 'stop':
      return (
        state === 'Running' ||
        state === 'Stopped' ||
        state === 'Suspended' ||
        state === 'Delayed Shutdown' ||
        state === 'Unknown'
      );
    case 'restart':
      return state === 'Running' || state === 'Delayed Shutdown';
    case 'suspend':
      return state === 'Running' || state === 'Suspended' || state === 'Delayed Shutdown';
    case 'delete':
      return state !== 'Deleted' && !isBusy(state);
    case 'recover':
      return state === 'Deleted';
    case 'purge':
      return state === 'Deleted';
    case 'exec':
      return state === 'Running' || state === 'Delayed Shutdown';
    case 'set':
      return state === 'Stopped';
    default: {
      const never: never = op;
      return never;
    }
  }
}

/** States in which an operation is in flight. */
export function isBusy(state: InstanceState): boolean {
  return state === 'Starting' || state === 'Restarting' || state === 'Stopping' || state === 'Suspending';
}

function hintFor(state: InstanceState, op: Operation): string {
  if (state === 'Deleted') return `run "skiff recover" first`;
  if (isBusy(state)) return 'wait for the operation in progress';
  if (op === 'exec' && state !== 'Running') return `run "skiff start" first`;
  if (op === 'set') return `run "skiff stop" first`;
  return '';
}
