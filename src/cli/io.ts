import { createInterface } from 'node:readline/promises';

/** Where commands write, so tests can capture it; and whether colour and progress bars are wanted. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Standard error is a terminal: draw progress bars in place. */
  interactive: boolean;
  color: boolean;
  errStream?: NodeJS.WritableStream;
  /** Asks a person at a terminal, and answers what they typed; absent where no one can answer. */
  ask?(question: string): Promise<string>;
}

export function processIo(): CliIo {
  const interactive = Boolean(process.stderr.isTTY);
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    interactive,
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
    errStream: process.stderr,
    ...(process.stdin.isTTY && interactive
      ? {
          ask: async (question: string) => {
            const prompt = createInterface({ input: process.stdin, output: process.stderr });
            try {
              return await prompt.question(question);
            } finally {
              prompt.close();
            }
          },
        }
      : {}),
  };
}

export function bufferIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), interactive: false, color: false };
}
