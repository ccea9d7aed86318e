/**
 * @module Shows a long operation's progress on stderr: a live line (and a download bar from cli-progress) on a
 * terminal, plain lines otherwise (downloads every 10 %).
 */
import type { DownloadJson } from '../api/contract.js';

export interface Progress {
  update(message: string, download?: DownloadJson): void;
  done(): void;
}

type Bar = {
  start(total: number, value: number, payload: object): void;
  update(value: number, payload: object): void;
  stop(): void;
};

export function progressReporter(stream: NodeJS.WriteStream): Progress {
  const live = stream.isTTY === true;
  let last = '';
  let shown = false;
  let bar: Bar | null = null;
  let barLoading: Promise<void> | null = null;
  let lastDecile = -1;
  const clearLine = () => {
    if (live && shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    update(message, download) {
      if (download && download.total_bytes) {
        const payload = {
          message,
          rate: `${(download.rate_bytes_per_s / 2 ** 20).toFixed(1)} MiB/s`,
          eta: download.eta_s === null ? '?' : `${Math.round(download.eta_s)} s`,
        };
        if (!live) {
          const decile = Math.floor((download.bytes / download.total_bytes) * 10);
          if (decile !== lastDecile) stream.write(`${message}: ${decile * 10}% (${payload.rate})\n`);
          lastDecile = decile;
          return;
        }
        if (bar) bar.update(download.bytes, payload);
        else if (!barLoading) {
          clearLine();
          // cli-progress is loaded only when a download shows: most commands never need it.
          barLoading = import('cli-progress').then(({ default: cliProgress }) => {
            bar = new cliProgress.SingleBar(
              {
                stream,
                format: '{message} [{bar}] {percentage}% | {rate} | ETA {eta}',
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            );
            bar.start(download.total_bytes!, download.bytes, payload);
          });
        }
        return;
      }
      if (bar) {
        (bar as Bar).stop();
        bar = null;
        barLoading = null;
      }
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
      if (bar) (bar as Bar).stop();
      clearLine();
    },
  };
}
