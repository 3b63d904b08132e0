/** Where a command writes: stdout for results, stderr for progress. */
export interface CommandIO {
  out(line: string): void;
  progress(message: string): void;
}

export const consoleIO: CommandIO = {
  out: (line) => console.log(line),
  progress: (message) => process.stderr.write(`${message}\n`),
};
