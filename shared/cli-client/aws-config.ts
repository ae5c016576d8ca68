import { markerHostOf, markerLineOf } from './profiles.js';

/** One profile fedgate wants in the AWS config file. */
export interface WantedProfile {
  name: string;
  /** The section's lines, header first (no marker). */
  lines: string[];
}

export interface ConfigEdit {
  text: string;
  /** Profiles written or rewritten, removed (fedgate's, no longer granted), and skipped. */
  written: string[];
  removed: string[];
  /** Names that exist in the file without fedgate's marker: never touched. */
  skipped: string[];
}

const HEADER = /^\s*\[([^\]]*)\]\s*$/;

/** The profile a section header names (`[profile x]` → x, `[default]` → default). */
const profileNameOf = (header: string): string | undefined => {
  const inner = HEADER.exec(header)?.[1]?.trim();
  if (inner === undefined) return undefined;
  if (inner === 'default') return 'default';
  const m = /^profile\s+(.+)$/.exec(inner);
  return m ? (m[1] as string).trim() : undefined;
};

/**
 * Rewrites the profiles fedgate owns in an AWS config file and nothing else. A profile is
 * fedgate's when the line right above its header is fedgate's marker for this gateway; its whole
 * section goes (with the marker and the blank lines after it) and comes back as wanted, in place,
 * or not at all when no longer granted. Every other line — other profiles, comments, sso
 * sections, fedgate profiles of other gateways — stays byte for byte. A wanted name that exists
 * without the marker is someone else's: skipped. New profiles are appended.
 */
export const editAwsConfig = (
  original: string,
  gatewayHost: string,
  wanted: readonly WantedProfile[],
): ConfigEdit => {
  const eol = original.includes('\r\n') ? '\r\n' : '\n';
  const lines = original === '' ? [] : original.replace(/\r?\n$/, '').split(/\r?\n/);
  const marker = markerLineOf(gatewayHost);
  const pending = new Map(wanted.map((p) => [p.name, p]));
  const out: string[] = [];
  const written: string[] = [];
  const removed: string[] = [];
  const skipped: string[] = [];
  const emit = (p: WantedProfile) => {
    out.push(marker, ...p.lines, '');
    written.push(p.name);
    pending.delete(p.name);
  };

  // The names outside fedgate's sections, so a wanted profile never shadows one of them.
  const foreign = new Set<string>();
  lines.forEach((line, i) => {
    const name = HEADER.test(line) ? profileNameOf(line) : undefined;
    if (name !== undefined && markerHostOf(lines[i - 1] ?? '') !== gatewayHost) foreign.add(name);
  });
  for (const name of foreign) {
    if (pending.has(name)) {
      pending.delete(name);
      skipped.push(name);
    }
  }

  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    const owned =
      markerHostOf(line) === gatewayHost && HEADER.test(lines[i + 1] ?? '') ? i : undefined;
    if (owned === undefined) {
      out.push(line);
      i++;
      continue;
    }
    // fedgate's section: the marker, the header, the body up to the next header or marker.
    const name = profileNameOf(lines[i + 1] as string);
    let end = i + 2;
    while (
      end < lines.length &&
      !HEADER.test(lines[end] as string) &&
      markerHostOf(lines[end] as string) === undefined
    ) {
      end++;
    }
    // A marker of ours right above the next header belongs to the next section.
    const want = name === undefined ? undefined : pending.get(name);
    if (want) emit(want);
    else if (name !== undefined && !written.includes(name)) removed.push(name);
    i = end;
  }
  const rest = wanted.filter((p) => pending.has(p.name));
  if (rest.length > 0) {
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    if (out.length > 0) out.push('');
    for (const p of rest) emit(p);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return {
    text: out.length === 0 ? '' : `${out.join(eol)}${eol}`,
    written,
    removed,
    skipped,
  };
};

/**
 * A line diff for `--dry-run`: unchanged lines as context (up to 2 around each change, `@@` where
 * lines are left out), removed lines with `-`, added with `+` (longest common subsequence; AWS
 * config files are small).
 */
export const lineDiff = (before: string, after: string): string => {
  const a = before === '' ? [] : before.replace(/\r?\n$/, '').split(/\r?\n/);
  const b = after === '' ? [] : after.replace(/\r?\n$/, '').split(/\r?\n/);
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let x = n - 1; x >= 0; x--) {
    for (let y = m - 1; y >= 0; y--) {
      (lcs[x] as number[])[y] =
        a[x] === b[y]
          ? ((lcs[x + 1] as number[])[y + 1] as number) + 1
          : Math.max((lcs[x + 1] as number[])[y] as number, (lcs[x] as number[])[y + 1] as number);
    }
  }
  const ops: [' ' | '-' | '+', string][] = [];
  let x = 0;
  let y = 0;
  while (x < n || y < m) {
    if (x < n && y < m && a[x] === b[y]) {
      ops.push([' ', a[x] as string]);
      x++;
      y++;
    } else if (
      x < n &&
      (y >= m || ((lcs[x + 1] as number[])[y] as number) >= ((lcs[x] as number[])[y + 1] as number))
    ) {
      ops.push(['-', a[x] as string]);
      x++;
    } else {
      ops.push(['+', b[y] as string]);
      y++;
    }
  }
  const near = (k: number) => ops.slice(Math.max(0, k - 2), k + 3).some(([op]) => op !== ' ');
  const shown: string[] = [];
  let skipped = false;
  ops.forEach(([op, text], k) => {
    if (op !== ' ' || near(k)) {
      if (skipped) shown.push('@@');
      skipped = false;
      shown.push(`${op} ${text}`.trimEnd());
    } else {
      skipped = true;
    }
  });
  return shown.length === 0 ? '' : `${shown.join('\n')}\n`;
};
