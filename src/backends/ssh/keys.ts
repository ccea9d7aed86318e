/**
 * @module The daemon's SSH identity: one ed25519 key pair in a directory it owns, created on first use with
 * ssh-keygen. The private key is the source of truth; the public key is always derived from it, so a crash
 * between writing the two files, or two daemons racing, can never leave a mismatched pair.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyUnreadableError, MissingDependencyError, SkiffError } from '../../core/errors.js';

const run = promisify(execFile);

/** The daemon's key pair. */
export interface SshKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
  /** One line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
}

/** Runs ssh-keygen; a failure becomes `failed(message)` (internal unless the caller knows better). */
async function sshKeygen(
  args: string[],
  doing: string,
  failed: (message: string, cause: unknown) => SkiffError = (message, cause) =>
    new SkiffError('internal', message, { cause }),
): Promise<string> {
  try {
    return (await run('ssh-keygen', args)).stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new MissingDependencyError('ssh-keygen not found on PATH: install the openssh-client package', {
        program: 'ssh-keygen',
        package: 'openssh-client',
        cause: error,
      });
    }
    throw failed(`${doing}: ${(e.stderr ?? '').trim() || e.message}`, error);
  }
}

/**
 * Ensures `dir/<name>` (private, 0600) and `dir/<name>.pub` exist and match, creating an ed25519 pair when
 * absent. @throws MissingDependencyError without ssh-keygen, KeyUnreadableError when the private key is not a
 * readable key, SkiffError internal when generating fails
 */
export async function ensureKeyPair(options: {
  dir: string;
  name?: string;
  comment?: string;
}): Promise<SshKeyPair> {
  const privateKeyPath = join(options.dir, options.name ?? 'id_ed25519');
  const publicKeyPath = `${privateKeyPath}.pub`;
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const exists = await readFile(privateKeyPath).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const temp = await mkdtemp(join(options.dir, '.keygen-'));
    try {
      const tempKey = join(temp, 'key');
      await sshKeygen(
        ['-q', '-t', 'ed25519', '-N', '', '-C', options.comment ?? 'skiff', '-f', tempKey],
        `generating an SSH key in ${options.dir}`,
      );
      // link() fails if another process created the key meanwhile: then theirs wins and ours is dropped.
      await link(tempKey, privateKeyPath).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }
  // ssh refuses a private key that others can read.
  await chmod(privateKeyPath, 0o600);
  // `-y` prints the key material (and, in recent OpenSSH, the comment): compare the material only.
  const material = (line: string): string => line.trim().split(/\s+/).slice(0, 2).join(' ');
  const derived = material(
    await sshKeygen(
      ['-y', '-f', privateKeyPath],
      `reading the public key of ${privateKeyPath}`,
      (message, cause) => new KeyUnreadableError(message, { path: privateKeyPath, cause }),
    ),
  );
  const current = (await readFile(publicKeyPath, 'utf8').catch(() => '')).trim();
  if (material(current) === derived) return { privateKeyPath, publicKeyPath, publicKey: current };
  const publicKey = `${derived} ${options.comment ?? 'skiff'}`;
  const temp = `${publicKeyPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${publicKey}\n`, { mode: 0o644 });
  await rename(temp, publicKeyPath);
  return { privateKeyPath, publicKeyPath, publicKey };
}
