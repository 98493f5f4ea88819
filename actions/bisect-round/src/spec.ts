import { defineAction } from '../../shared/src/runtime.js';

export const bisectRoundSpec = defineAction({
  name: 'bisect-round',
  inputs: ['token', 'config', 'working-directory', 'mode', 'good', 'bad', 'parallel', 'round', 'rounds', 'verdicts', 'commit', 'bisect-command', 'retries'],
  outputs: ['status', 'matrix', 'culprit', 'candidates', 'good', 'bad', 'verdict', 'verdict-path'],
});
