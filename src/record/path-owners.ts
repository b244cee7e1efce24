/**
 * \summary: whether the invoking user could swap a directory on the way to the output directory.
 *
 * Under sudo, when the user cannot write the output directory, tcpdump runs as root with -Z and
 * opens its first file by name, with root's access. If the user can rename any directory on that
 * path (write access to its parent, and no sticky bit protecting it), they can put a link in its
 * place between wscap's checks and tcpdump's open, and root would create the file wherever the
 * link points. The path is checked as given and as resolved (a link on the way is the user's too
 * if its directory is theirs).
 */
import { lstatSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { accessAs } from './tcpdump.js';

export interface ReplaceableDirectory {
  /** The directory (or link) the user could replace. */
  path: string;
  /** Its parent, which the user can write. */
  parent: string;
}

/** Every directory on the way to `dir` below the root, deepest first: [dir, its parent, ...]. */
function componentsOf(dir: string): string[] {
  const out: string[] = [];
  for (let p = dir; dirname(p) !== p; p = dirname(p)) out.push(p);
  return out;
}

/**
 * The deepest directory on the way to `dir` that `user` could replace, or null when there is none.
 * Undefined when it cannot be told (no setpriv): the caller does not refuse then.
 */
export async function replaceableOnPath(dir: string, user: { uid: number; gid: number }): Promise<ReplaceableDirectory | null | undefined> {
  const given = resolve(dir);
  let real = given;
  try {
    real = realpathSync(given);
  } catch {
    // Missing: the preflight says so.
  }
  const paths = [...new Set([...componentsOf(given), ...componentsOf(real)])];
  const parents = [...new Set(paths.map((p) => dirname(p)))];
  const writable = await accessAs(parents, user);
  if (writable === null) return undefined;
  const canWrite = new Map(parents.map((p, i) => [p, writable[i]]));
  for (const path of paths) {
    const parent = dirname(path);
    if (canWrite.get(parent) !== true) continue;
    try {
      const p = lstatSync(parent);
      const c = lstatSync(path);
      // A sticky directory (/tmp) lets only an entry's owner, or the directory's, rename it.
      const isSticky = (p.mode & 0o1000) !== 0;
      if (!isSticky || c.uid === user.uid || p.uid === user.uid) return { path, parent };
    } catch {
      return { path, parent };
    }
  }
  return null;
}
