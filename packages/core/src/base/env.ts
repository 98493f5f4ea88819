/** What the engine needs from its surroundings, passed in so it runs the same in an action, the CLI and tests. */
export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export type Clock = () => Date;

export const silentLogger: Logger = { info: () => undefined, warning: () => undefined, debug: () => undefined };

export const systemClock: Clock = () => new Date();
