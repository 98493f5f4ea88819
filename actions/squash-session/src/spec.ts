import { defineAction } from '../../shared/src/runtime.js';

export const squashSessionSpec = defineAction({
  name: 'squash-session',
  inputs: [
    'token',
    'config',
    'working-directory',
    'session-id',
    'base',
    'branch',
    'title',
    'keep-human-commits',
    'allow-merges',
    'require-signed',
    'run-checks',
    'allow-failing-checks',
    'push',
  ],
  outputs: ['sha', 'backup-ref', 'commits-squashed', 'tree-matches', 'status', 'checks'],
});
