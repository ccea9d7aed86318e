/**
 * @module Reading a passphrase as Multipass does (`Please enter passphrase:`), without echo on a terminal.
 * Without a terminal the first line of stdin is read, so scripts can pipe one in.
 */
import { SkiffError } from '../core/errors.js';

export interface PromptStreams {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

/** Shows `question` and reads one line, not echoed when `input` is a terminal. @throws SkiffError on EOF/Ctrl-C */
export function readPassphrase(
  question: string,
  { input, output }: PromptStreams = { input: process.stdin, output: process.stderr },
): Promise<string> {
  output.write(question);
  return new Promise((resolve, reject) => {
    const tty = input.isTTY === true;
    let text = '';
    const finish = (error: SkiffError | null) => {
      input.off('data', onData);
      input.off('end', onEnd);
      if (tty) input.setRawMode(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\n' || char === '\r') return finish(null);
        if (char === '\u0003' || char === '\u0004')
          return finish(new SkiffError('invalid-argument', 'no passphrase entered'));
        if (char === '\u007f' || char === '\b') text = [...text].slice(0, -1).join('');
        else text += char;
      }
    };
    const onEnd = () =>
      text === '' ? finish(new SkiffError('invalid-argument', 'no passphrase entered')) : finish(null);
    if (tty) input.setRawMode(true);
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
}
