/** Where the local runtime's servers and pollers write what they do and what failed. */
export interface LocalLogger {
  info(line: string): void;
  error(line: string, error?: unknown): void;
}

/** stdout for information, stderr for failures (the error's stack after the line). */
export const consoleLogger: LocalLogger = {
  info: (line) => console.log(line),
  error: (line, error) => (error === undefined ? console.error(line) : console.error(line, error)),
};
