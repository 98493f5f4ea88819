import type { Command } from '../command.js';
import { bisectCommand } from './bisect.js';
import { checkpointCommand } from './checkpoint.js';
import { drillCommand } from './drill.js';
import { initCommand } from './init.js';
import { logCommand } from './log.js';
import { rollbackCommand } from './rollback.js';
import { squashCommand } from './squash.js';
import { statusCommand } from './status.js';

/** In the order a session meets them. */
export const commands: readonly Command[] = [initCommand, checkpointCommand, statusCommand, squashCommand, rollbackCommand, bisectCommand, drillCommand, logCommand];
