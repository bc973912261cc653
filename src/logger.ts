import pino, { type Logger } from "pino";

export type { Logger };

/** JSON logs; human-readable when a person is watching a terminal. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  if (destination) return pino({ level }, destination);
  if (process.stdout.isTTY) {
    return pino({ level, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino({ level });
}
