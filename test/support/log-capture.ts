import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Log capture for the "secrets never logged" checks (SECURITY.md §6): collect everything a runner
 * writes (Powertools Logger's JSON lines, EMF metric lines, anything a library prints), then scan
 * it for every secret that passed through the flows, in the forms a careless log line would carry
 * it: as is, percent-encoded, form-encoded, JSON-escaped, base64 and base64url (at every byte
 * alignment, so a secret inside a larger encoded blob is found too).
 */
export interface LogCapture {
  /** Everything captured so far. */
  text(): string;
  /** Stops capturing (the process keeps writing where it did). */
  stop(): void;
}

/**
 * Captures what a child process (e.g. a runner from `spawnRunner`) writes to stdout and stderr.
 * Attach it right after spawning: output before that is not seen.
 */
export const captureChildOutput = (child: ChildProcess): LogCapture => {
  const chunks: string[] = [];
  let on = true;
  const onData = (chunk: Buffer) => {
    if (on) chunks.push(chunk.toString('utf8'));
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return {
    text: () => chunks.join(''),
    stop() {
      on = false;
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
    },
  };
};

/**
 * Captures this process's stdout and stderr at the stream level (Powertools Logger writes through
 * its own `Console` on `process.stdout`, which this sees too), still passing the output through
 * when `passThrough` is set.
 */
export const captureProcessOutput = ({ passThrough = false } = {}): LogCapture => {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const original = originals[i] as typeof stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
      if (passThrough)
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    }) as typeof stream.write;
  });
  return {
    text: () => chunks.join(''),
    stop() {
      streams.forEach((stream, i) => {
        stream.write = originals[i] as typeof stream.write;
      });
    },
  };
};

/** One secret to look for: a label for the report, and its value. */
export interface Secret {
  label: string;
  value: string;
}

const WINDOW = 48;
const WINDOW_STRIDE = 64;

/** Secrets shorter than this are not scanned for (they would match by chance). */
export const MIN_SECRET_LENGTH = 12;

/** base64 of `value` as it appears inside a larger base64 text, at each of the 3 alignments. */
const base64Forms = (value: Buffer, alphabet: 'base64' | 'base64url'): string[] => {
  const forms: string[] = [];
  for (let shift = 0; shift < 3; shift++) {
    const encoded = Buffer.concat([Buffer.alloc(shift), value]).toString(alphabet);
    // Drop the characters that also carry bits of the bytes before and after the secret.
    const start = shift === 0 ? 0 : Math.ceil((shift * 4) / 3);
    const end = Math.floor(((shift + value.length) * 4) / 3);
    const form = encoded.slice(start, end).replace(/=+$/, '');
    if (form.length >= MIN_SECRET_LENGTH) forms.push(form);
  }
  return forms;
};

/**
 * The forms a secret takes in a log line: as is, percent-encoded (URL and form), JSON-escaped,
 * base64 and base64url of its bytes. For long secrets (a SAMLResponse), also every 48-character
 * window at a 64-character stride, so any excerpt of 112 characters or more is found too.
 */
export const secretForms = (value: string): string[] => {
  if (value.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([
    value,
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
    JSON.stringify(value).slice(1, -1),
    ...base64Forms(Buffer.from(value, 'utf8'), 'base64'),
    ...base64Forms(Buffer.from(value, 'utf8'), 'base64url'),
  ]);
  if (value.length >= 200) {
    for (let i = 0; i + WINDOW <= value.length; i += WINDOW_STRIDE)
      forms.add(value.slice(i, i + WINDOW));
  }
  return [...forms].filter((f) => f.length >= MIN_SECRET_LENGTH);
};

/**
 * Shapes that are secrets whatever their value: PEM private keys, a base64 SAML Response or
 * Assertion, an XML signature value, a JWT (ID tokens, fedgate's web identity tokens), an AWS
 * secret access key or session token field, a SigninToken.
 */
export const SECRET_SHAPES: readonly { label: string; pattern: RegExp }[] = [
  { label: 'private key material', pattern: /PRIVATE KEY/ },
  // "<samlp:Response" / "<saml2p:Response" / "<saml:Assertion" in base64 at alignment 0
  {
    label: 'base64 SAML response',
    pattern: /PHNhbWxwOlJlc3BvbnNl|PHNhbWwycDpSZXNwb25zZ|PHNhbWw6QXNzZXJ0aW9u/,
  },
  { label: 'XML signature value', pattern: /SignatureValue>\s*[A-Za-z0-9+/]{20}/ },
  { label: 'JWT', pattern: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/ },
  {
    label: 'AWS secret access key field',
    pattern: /secretAccessKey"?\s*[:=]\s*"?[A-Za-z0-9/+]{20}/i,
  },
  { label: 'AWS session token field', pattern: /sessionToken"?\s*[:=]\s*"?[A-Za-z0-9/+%_-]{20}/i },
  { label: 'SigninToken', pattern: /SigninToken(=|"\s*:\s*")[A-Za-z0-9_-]{8}/ },
];

export interface SecretHit {
  label: string;
  /** The log line with every secret form masked (safe to print). */
  line: string;
}

/** Masks every form of every secret (and every secret shape) in a line. */
export const redact = (line: string, secrets: readonly Secret[]): string => {
  let out = line;
  for (const s of secrets)
    for (const form of secretForms(s.value)) out = out.split(form).join(`[${s.label}]`);
  for (const { label, pattern } of SECRET_SHAPES)
    out = out.replace(
      new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`),
      `[${label}]`,
    );
  return out.length > 600 ? `${out.slice(0, 600)}…` : out;
};

/** Every line of `text` carrying a secret (any form) or a secret shape, redacted for the report. */
export const findSecrets = (text: string, secrets: readonly Secret[]): SecretHit[] => {
  const wanted = secrets.map((s) => ({ label: s.label, forms: secretForms(s.value) }));
  const hits: SecretHit[] = [];
  for (const line of text.split('\n')) {
    for (const { label, forms } of wanted)
      if (forms.some((f) => line.includes(f))) hits.push({ label, line: redact(line, secrets) });
    for (const { label, pattern } of SECRET_SHAPES)
      if (pattern.test(line)) hits.push({ label, line: redact(line, secrets) });
  }
  return hits;
};

/** A readable failure message for hits (lines already redacted). */
export const describeHits = (hits: readonly SecretHit[]): string =>
  hits.map((h) => `${h.label} in: ${h.line}`).join('\n');

/**
 * `npm start`'s entry point in its own process (like `spawnRunner` in ./local-runner.ts) with its
 * output captured from the first byte, and extra environment (e.g. `POWERTOOLS_LOG_LEVEL=DEBUG`).
 */
export const spawnCapturedRunner = async (
  args: string[],
  env: Record<string, string> = {},
): Promise<{
  url: URL;
  child: ChildProcess;
  capture: LogCapture;
  /** The start-up banner's DynamoDB endpoint. */
  dynamoEndpoint: string | undefined;
  stop: () => Promise<void>;
}> => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'infra/local/main.ts', '--port', '0', ...args],
    {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const capture = captureChildOutput(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`runner did not start:\n${capture.text()}`)),
      90_000,
    );
    const onData = () => {
      if (/Ctrl\+C stops/.test(capture.text())) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`runner exited ${code}:\n${capture.text()}`)));
  });
  const banner = capture.text();
  const url = new URL(/fedgate local gateway\s+(http:\/\/[^/\s]+)\//.exec(banner)?.[1] ?? '');
  const dynamoEndpoint = /DynamoDB\s+\S+ at (http:\/\/\S+)/.exec(banner)?.[1];
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url, child, capture, dynamoEndpoint, stop };
};
