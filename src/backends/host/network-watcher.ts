/**
 * @module Linux network-change detection without native addons: link, address and route events from a child
 * `ip -o monitor`, plus changes of the resolver configuration behind /etc/resolv.conf (following its symlinks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, watch, type FSWatcher, readlinkSync, lstatSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import type { NetworkWatcher } from '../../services/catalog/ports.js';

export interface LinuxNetworkWatcherOptions {
  resolvConf?: string;
  ipCommand?: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export class LinuxNetworkWatcher implements NetworkWatcher {
  private monitor: ChildProcess | null = null;
  private watchers: FSWatcher[] = [];
  private stopped = false;
  private readonly resolvConf: string;
  private readonly ipCommand: string;

  constructor(private readonly options: LinuxNetworkWatcherOptions) {
    this.resolvConf = options.resolvConf ?? '/etc/resolv.conf';
    this.ipCommand = options.ipCommand ?? 'ip';
  }

  start(onChange: (reason: string) => void): void {
    this.stopped = false;
    this.startMonitor(onChange);
    this.watchResolver(onChange);
  }

  stop(): void {
    this.stopped = true;
    this.monitor?.kill();
    this.monitor = null;
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private startMonitor(onChange: (reason: string) => void): void {
    const { log } = this.options;
    const argv = [this.ipCommand, '-o', 'monitor', 'link', 'address', 'route'];
    // setpriv's parent-death signal ends the monitor with the daemon, even after kill -9.
    const setpriv = findOnPath('setpriv');
    const command = setpriv ? [setpriv, '--pdeathsig', 'TERM', '--', ...argv] : argv;
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.monitor = child;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const first = chunk.trim().split('\n')[0] ?? '';
      onChange(`ip monitor: ${first.slice(0, 120)}`);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      log.warn(
        { err: error },
        `network watcher unavailable (cannot run "${this.ipCommand} monitor"); relying on retry backoff alone`,
      );
    });
    child.on('exit', (code, signal) => {
      if (this.stopped || this.monitor !== child) return;
      this.monitor = null;
      log.warn(
        { code, signal, stderr: stderr.trim() },
        'network watcher "ip monitor" exited; relying on retry backoff alone for link/route changes',
      );
    });
    log.info({ command: `${this.ipCommand} -o monitor link address route` }, 'watching network changes');
  }

  /** Watches every file and directory on the symlink chain, so in-place writes, renames and relinks all count. */
  private watchResolver(onChange: (reason: string) => void): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    for (const path of symlinkChain(this.resolvConf)) {
      this.tryWatch(path, () => onChange(`resolver: ${path} changed`));
      this.tryWatch(dirname(path), (name) => {
        if (name !== basename(path)) return;
        onChange(`resolver: ${path} replaced`);
        // A rename replaced the inode the file watch sat on: re-arm on the new chain.
        if (!this.stopped) this.watchResolver(onChange);
      });
    }
  }

  private tryWatch(path: string, listener: (name: string | null) => void): void {
    try {
      const w = watch(path, { persistent: false }, (_event, name) => listener(name ? String(name) : null));
      w.on('error', () => w.close());
      this.watchers.push(w);
    } catch (error) {
      this.options.log.warn({ path, err: error }, 'cannot watch resolver configuration');
    }
  }
}

/** /etc/resolv.conf, then each symlink target in turn (e.g. /run/systemd/resolve/stub-resolv.conf). */
export function symlinkChain(start: string, maxLinks = 10): string[] {
  const chain = [start];
  let current = start;
  for (let i = 0; i < maxLinks; i++) {
    try {
      if (!lstatSync(current).isSymbolicLink()) break;
      current = resolve(dirname(current), readlinkSync(current));
      chain.push(current);
    } catch {
      break;
    }
  }
  return chain;
}

/** The absolute path of an executable on PATH, or null. */
function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}
