/**
 * A device's data directory on a small disk of its own (a tmpfs mounted there), and the fault of
 * that disk filling up: a filler file takes every free byte until `free()` deletes it. Needs root
 * (mount). Nothing outside the directory is touched; `destroy()` unmounts it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });

export class SmallDisk {
  private readonly filler: string;
  private mounted = false;

  /** Mounts a `sizeMb` tmpfs at `dir` (made if missing; it should be empty). */
  constructor(
    readonly dir: string,
    sizeMb: number,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'kith-chaos-disk', dir]);
    this.mounted = true;
    this.filler = join(dir, '.chaos-filler');
  }

  /** Bytes still free for the data directory's owner. */
  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Takes every free byte: writes in the directory fail with ENOSPC until `free()`. */
  fill(): void {
    const free = this.freeBytes();
    // fallocate of every free byte was refused once (ENOSPC): dd below fills what it left.
    try {
      if (free > 0) run('fallocate', ['-l', String(free), this.filler]);
    } catch {}
    // Whatever fallocate left (a block's rounding): write until the disk says it is full.
    try {
      run('dd', ['if=/dev/zero', `of=${this.filler}`, 'bs=4k', 'oflag=append', 'conv=notrunc']);
    } catch {}
  }

  /** Space returns. */
  free(): void {
    rmSync(this.filler, { force: true });
  }

  destroy(): void {
    if (!this.mounted) return;
    this.mounted = false;
    try {
      run('umount', ['-l', this.dir]);
    } catch {}
  }
}
