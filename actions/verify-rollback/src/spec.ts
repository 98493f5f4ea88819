import { defineAction } from '../../shared/src/runtime.js';

export const verifyRollbackSpec = defineAction({
  name: 'verify-rollback',
  inputs: ['token', 'config', 'working-directory', 'base', 'head', 'merge-method', 'mode', 'run-checks', 'comment', 'store-plan'],
  outputs: ['rollback-ready', 'entangled', 'irreversible', 'units', 'plan-path', 'checks', 'stored-plans'],
});
