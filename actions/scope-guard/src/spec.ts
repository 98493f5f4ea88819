import { defineAction } from '../../shared/src/runtime.js';

export const scopeGuardSpec = defineAction({
  name: 'scope-guard',
  inputs: ['token', 'config', 'working-directory', 'base', 'head', 'mode', 'comment', 'report'],
  outputs: ['files-changed', 'layers', 'violations', 'blast-radius', 'passed', 'drift'],
});
