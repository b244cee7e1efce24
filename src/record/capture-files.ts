/**
 * \summary: names of the files a recording writes, finding them again (tcpdump's rotation names),
 * pruning to --keep, and giving them to the invoking user with mode 0600.
 */
import { closeSync, constants, fchmodSync, fchownSync, fstatSync, openSync, readdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';

/** "wscap-20261127-013000" style stem for a default file name, in UTC. */
export function timestampStem(now: Date): string {
  const iso = now.toISOString();
  return `wscap-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
}

/**
 * The -w argument for segment `index` (1 = first): `<stem>.pcap`, `<stem>.seg2.pcap`, ...; with
 * --rotate-every, a strftime pattern so each period gets its own file.
 */
export function segmentPattern(dir: string, stem: string, index: number, rotateEvery: boolean): string {
  const seg = index === 1 ? '' : `.seg${index}`;
  const time = rotateEvery ? '-%Y%m%d-%H%M%S' : '';
  return join(dir, `${stem}${seg}${time}.pcap`);
}

/**
 * The capture files of a recording in `dir`, oldest first: every file named `<stem>...pcap`
 * plus tcpdump's -C counter suffix (`.pcap1`, `.pcap01`), never metadata or reports.
 */
export function listCaptureFiles(dir: string, stem: string): string[] {
  const names = readdirSync(dir).filter((n) => n.startsWith(stem) && /\.pcap\d*$/.test(n));
  const withTimes = names.map((n) => {
    const path = join(dir, n);
    let mtime = 0;
    try {
      mtime = statSync(path).mtimeMs;
    } catch {
      // Deleted meanwhile (ring buffer).
    }
    return { path, mtime, name: n };
  });
  withTimes.sort((a, b) => a.mtime - b.mtime || a.name.localeCompare(b.name, 'en', { numeric: true }));
  return withTimes.map((f) => f.path);
}

/** Deletes the oldest files so that at most `keep` remain (the newest is the one being written). */
export function pruneToKeep(files: string[], keep: number): string[] {
  const excess = files.length - keep;
  const removed: string[] = [];
  for (let i = 0; i < excess; i++) {
    try {
      unlinkSync(files[i]);
      removed.push(files[i]);
    } catch {
      // Already gone.
    }
  }
  return removed;
}

/** The user who ran wscap, also under sudo (SUDO_UID/SUDO_GID), for tcpdump -Z and chown. */
export function invokingUser(env: NodeJS.ProcessEnv = process.env): { name: string; uid: number; gid: number } {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  if (uid === 0 && env.SUDO_UID && env.SUDO_GID && env.SUDO_USER && /^\d+$/.test(env.SUDO_UID) && /^\d+$/.test(env.SUDO_GID)) {
    return { name: env.SUDO_USER, uid: Number(env.SUDO_UID), gid: Number(env.SUDO_GID) };
  }
  return { name: env.USER && uid !== 0 ? env.USER : uid === 0 ? 'root' : String(uid), uid, gid };
}

/**
 * Mode 0600 and the invoking user's ownership on every file of the recording. As root this must
 * not be turned against another file: the user owns the directory and can put a symbolic link,
 * a hard link or a FIFO under a capture's name. So each file is opened without following a
 * link (O_NOFOLLOW, and O_NONBLOCK against a FIFO) and changed through that descriptor, only if
 * it is a regular file with one name, owned by root or by the user (tcpdump made it as one of
 * them). Returns the paths left alone.
 */
export function secureFiles(paths: string[], owner: { uid: number; gid: number }): string[] {
  const skipped: string[] = [];
  const isRoot = process.getuid?.() === 0;
  for (const path of paths) {
    let fd = -1;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const st = fstatSync(fd);
      if (!st.isFile() || st.nlink !== 1 || (isRoot && st.uid !== 0 && st.uid !== owner.uid)) {
        skipped.push(path);
        continue;
      }
      fchmodSync(fd, 0o600);
      if (isRoot) fchownSync(fd, owner.uid, owner.gid);
    } catch (err) {
      // A ring-buffer file deleted meanwhile is fine; a link (ELOOP) or anything else is left alone.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') skipped.push(path);
    } finally {
      if (fd !== -1) closeSync(fd);
    }
  }
  return skipped;
}

/**
 * Writes `text` to a new file at `path` with mode 0600: whatever was at that name (a file, or a
 * symbolic link planted there) is unlinked first and the file is created exclusively, never
 * through a link (O_EXCL | O_NOFOLLOW).
 */
export function writeNewPrivateFile(path: string, text: string): void {
  rmSync(path, { force: true });
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeFileSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export function baseNames(paths: string[]): string[] {
  return paths.map((p) => basename(p));
}
