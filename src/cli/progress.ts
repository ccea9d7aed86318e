/**
 * @module Shows a long operation's progress on stderr: one live line on a terminal, plain lines otherwise.
 */

export interface Progress {
  update(message: string): void;
  done(): void;
}

export function progressReporter(stream: NodeJS.WriteStream): Progress {
  const live = stream.isTTY === true;
  let last = '';
  let shown = false;
  return {
    update(message) {
      if (message === last) return;
      last = message;
      if (live) {
        const width = Math.max(20, (stream.columns ?? 80) - 1);
        stream.write(`\r\x1b[2K${message.length > width ? `${message.slice(0, width - 1)}…` : message}`);
        shown = true;
      } else {
        stream.write(`${message}\n`);
      }
    },
    done() {
      if (live && shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}
