import { defineAction } from '../../shared/src/runtime.js';

export const checkpointSpec = defineAction({
  name: 'checkpoint',
  inputs: ['token', 'config', 'working-directory', 'session-id', 'ref', 'artifacts', 'push', 'prune', 'attest'],
  outputs: ['tag', 'sha', 'tree', 'manifest-path', 'digest', 'created', 'pruned'],
});
