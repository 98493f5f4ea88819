import { defineAction } from '../../shared/src/runtime.js';

export const postmortemSpec = defineAction({
  name: 'postmortem',
  inputs: [
    'token',
    'config',
    'working-directory',
    'report',
    'type',
    'detection',
    'root-cause',
    'prevention',
    'detected-at',
    'recovered-at',
    'strategy',
    'scope',
    'log',
    'commit',
    'issue',
  ],
  outputs: ['record-path', 'time-to-recovery-minutes', 'mttr-minutes', 'slo-met', 'records'],
});
