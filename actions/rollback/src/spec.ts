import { defineAction } from '../../shared/src/runtime.js';

export const rollbackSpec = defineAction({
  name: 'rollback',
  inputs: [
    'token',
    'config',
    'working-directory',
    'target',
    'strategy',
    'bisect-command',
    'retries',
    'parallel',
    'bisect-verdicts',
    'plan',
    'replan',
    'branch',
    'batch',
    'direct',
    'dry-run',
    'detected-at',
    'phase',
    'labels',
    'include-dependent',
  ],
  outputs: ['strategy', 'commits', 'culprit', 'rollback-sha', 'branch', 'pr-url', 'verified', 'verification', 'report-path', 'plan-path'],
});
