import type { ControlChannel, ControlCommand } from './control.js';

export function createMemoryControlChannel(): ControlChannel {
  const handlers: Array<(command: ControlCommand) => void> = [];
  return {
    async send(command) {
      for (const handler of handlers) handler(command);
    },
    async listen(handler) {
      handlers.push(handler);
    },
  };
}
