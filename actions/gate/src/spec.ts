import { defineAction } from '../../shared/src/runtime.js';

/** The root action.yml: scope-guard and verify-rollback as one required check. */
export const gateSpec = defineAction({
  name: 'gate',
  inputs: ['token', 'config', 'working-directory', 'base', 'head', 'merge-method', 'mode', 'run-checks', 'comment'],
  outputs: ['passed', 'rollback-ready', 'scope', 'verify', 'plan-path'],
});
