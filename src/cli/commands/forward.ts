/**
 * @module `skiff forward add|list|remove`: host ports forwarded to instances (new in skiff; Multipass #309).
 */
import { defineGroup } from '../verb.js';
import { addVerb } from './forward-add.js';
import { listVerb } from './forward-list.js';
import { removeVerb } from './forward-remove.js';

export const verb = defineGroup({
  name: 'forward',
  description: 'Forward host ports to instances (kept with the instance, active while it runs)',
  subcommands: [addVerb, listVerb, removeVerb],
});
