import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type HttpResponse, html } from '../../../shared/http/index.js';
import {
  accessKeysPage,
  type PortalGrant,
  portalPage,
  signInConfirmPage,
} from '../../../shared/portal/index.js';
import { BASE, DEMO_GRANTS, demoAccessKeysView, demoPortalView, manyGrants } from './fixtures.js';

const NOW = 1_796_000_000; // 2026-11-30T00:53:20Z
const EVIL = `<script>alert("x")</script>'"&`;
const EVIL_ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&quot;&amp;';

const bodyOf = (res: HttpResponse) => res.body as string;
const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The page's inline scripts and style exactly as the browser sees them. */
const inline = (body: string, tag: 'script' | 'style') =>
  [...body.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] as string);

const directive = (res: HttpResponse, name: string) =>
  res.headers['content-security-policy']
    ?.split('; ')
    .find((d) => d.startsWith(`${name} `))
    ?.slice(name.length + 1)
    .split(' ');

/** Every form as { action, fields }, fields being the hidden inputs' name → value. */
const forms = (body: string) =>
  [...body.matchAll(/<form method="post" action="([^"]*)">([\s\S]*?)<\/form>/g)].map((m) => ({
    action: m[1],
    hidden: Object.fromEntries(
      [...(m[2] as string).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
        (f) => [f[1], f[2]],
      ),
    ),
    html: m[2] as string,
  }));

/** The CSP allows exactly the page's own inline scripts and its one stylesheet, by hash. */
const expectExactHashes = (res: HttpResponse) => {
  const body = bodyOf(res);
  const scripts = inline(body, 'script');
  expect(directive(res, 'style-src')).toEqual(inline(body, 'style').map(sha));
  if (scripts.length) expect(directive(res, 'script-src')).toEqual(scripts.map(sha));
  else expect(directive(res, 'script-src')).toBeUndefined();
  expect(res.headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
};

const accountHeadings = (body: string) =>
  [...body.matchAll(/<h2 id="account-\d+">([^<]*) <span class="muted">(\d+)<\/span><\/h2>/g)].map(
    (m) => `${m[1]} ${m[2]}`,
  );

/** Grant ids of the role rows in a section (in page order). */
const rowGrants = (section: string) =>
  [...section.matchAll(/name="grant" value="([^"]+)"/g)].map((m) => m[1]);

const sectionOf = (body: string, group: 'recent' | 'account', index = 0) =>
  body.split(`data-group="${group}"`)[index + 1]?.split('</section>')[0] ?? '';

describe('portalPage', () => {
  const res = portalPage(demoPortalView(NOW), { now: NOW });
  const body = bodyOf(res);

  it('groups grants by account (alias then id) and orders roles by label', () => {
    expect(accountHeadings(body)).toEqual(['production 222222222222', 'sandbox 111111111111']);
    expect(rowGrants(sectionOf(body, 'account', 0))).toEqual([
      'g-prod-admin',
      'g-prod-deploy',
      'g-prod-read',
    ]);
    expect(rowGrants(sectionOf(body, 'account', 1))).toEqual([
      'g-sbx-admin',
      'g-sbx-billing',
      'g-sbx-dev',
    ]);
  });

  it('orders accounts without an alias by id, after "Account" headings sort by their id', () => {
    const grants = manyGrants();
    const headings = accountHeadings(bodyOf(portalPage(demoPortalView(NOW, { grants }))));
    expect(headings).toHaveLength(40);
    const keys = headings.map((h) => h.replace(/^Account /, ''));
    expect(keys).toEqual(
      [...keys].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })),
    );
  });

  it('lists recent grants first: still granted, no repeats, most recent first, at most five', () => {
    expect(rowGrants(sectionOf(body, 'recent'))).toEqual(['g-prod-read', 'g-sbx-dev']);
    expect(body.indexOf('data-group="recent"')).toBeLessThan(body.indexOf('data-group="account"'));

    const grants = manyGrants();
    const many = bodyOf(
      portalPage(
        demoPortalView(NOW, {
          grants,
          recent: ['g-9', 'gone', 'g-1', 'g-2', 'g-9', 'g-3', 'g-4', 'g-5', 'g-6'],
        }),
      ),
    );
    expect(rowGrants(sectionOf(many, 'recent'))).toEqual(['g-9', 'g-1', 'g-2', 'g-3', 'g-4']);
  });

  it('leaves out the filter and the recent section when the grants fit on a screen', () => {
    const one = portalPage(
      demoPortalView(NOW, { grants: [DEMO_GRANTS[0] as PortalGrant], recent: ['g-prod-admin'] }),
    );
    expect(bodyOf(one)).not.toContain('data-group="recent"');
    expect(bodyOf(one)).not.toContain('id="filter"');
    expect(rowGrants(bodyOf(one))).toEqual(['g-prod-admin']);
    expectExactHashes(one);
  });

  it('shows the filter box (hidden until its script runs) above 5 grants', () => {
    expect(body).toMatch(/<div class="filter" hidden><label for="filter">Filter roles<\/label>/);
    expect(inline(body, 'script').some((s) => s.includes("getElementById('filter')"))).toBe(true);
  });

  it('puts csrf in every form, posts only grant ids (no ARN anywhere in the page)', () => {
    const all = forms(body);
    expect(all).toHaveLength(1 + 2 + DEMO_GRANTS.length); // sign out, 2 recent, every grant
    for (const f of all) expect(f.hidden.csrf).toBe('csrf-4f1c2e9a');
    const roleForms = all.filter((f) => f.action === 'https://aws.example.com/open');
    expect(roleForms).toHaveLength(2 + DEMO_GRANTS.length);
    for (const f of roleForms) {
      expect(Object.keys(f.hidden).sort()).toEqual(['csrf', 'grant']);
      expect(f.html).toContain('<button type="submit" name="target" value="console"');
      expect(f.html).toContain('<button type="submit" name="target" value="keys"');
      expect(f.html).toContain('<select name="region">');
      expect(f.html).toMatch(
        /<details class="options"><summary>Options[\s\S]*<input type="url" name="destination"/,
      );
    }
    expect(all.filter((f) => f.action === 'https://aws.example.com/sign-out')).toEqual([
      expect.objectContaining({ hidden: { csrf: 'csrf-4f1c2e9a' } }),
    ]);
    expect(body).not.toContain('arn:');
  });

  it('names every button with its role and account', () => {
    expect(body).toContain('aria-label="Console as Administrator in production">Console</button>');
    expect(body).toContain('aria-label="Access keys as Developer in sandbox">Access keys</button>');
    const noAlias = bodyOf(
      portalPage(
        demoPortalView(NOW, {
          grants: [{ ...(DEMO_GRANTS[0] as PortalGrant), accountAlias: undefined }],
        }),
      ),
    );
    expect(noAlias).toContain('aria-label="Console as Administrator in 222222222222"');
    expect(noAlias).toContain('<h2 id="account-0">Account <span class="muted">222222222222</span>');
  });

  it('selects the default region in every row (and adds it if the list lacks it)', () => {
    expect(body.match(/<option selected>eu-west-1<\/option>/g)).toHaveLength(
      2 + DEMO_GRANTS.length,
    );
    const odd = bodyOf(
      portalPage(demoPortalView(NOW, { regions: ['us-east-1'], defaultRegion: 'eu-south-2' })),
    );
    expect(odd).toContain('<option selected>eu-south-2</option><option>us-east-1</option>');
  });

  it('shows the session end as time left and as a time the script localises (UTC without it)', () => {
    const end = new Date((NOW + 7 * 3600 + 50 * 60) * 1000).toISOString();
    expect(body).toContain(`<strong data-until="${end}">7 h 50 min</strong>`);
    expect(body).toContain(`<time datetime="${end}" data-local>08:43 UTC</time>`);
    const idle = new Date((NOW + 3600) * 1000).toISOString();
    expect(body).toContain(
      `Left unused, it ends at <time datetime="${idle}" data-local>01:53 UTC</time>`,
    );
    const nextDay = bodyOf(
      portalPage(demoPortalView(NOW, { session: { expiresAt: NOW + 86_400 } }), { now: NOW }),
    );
    expect(nextDay).toContain('data-local>2026-12-01 00:53 UTC</time>');
    expect(nextDay).not.toContain('Left unused');
  });

  it('escapes every value it shows', () => {
    const evilGrant: PortalGrant = {
      id: EVIL,
      label: EVIL,
      roleArn: `arn:aws:iam::111111111111:role/${EVIL}`,
      accountId: EVIL,
      accountAlias: EVIL,
      durationSeconds: 3600,
      tagKeys: [EVIL],
    };
    const evil = portalPage(
      demoPortalView(NOW, {
        person: { displayName: EVIL, idpDisplayName: EVIL },
        grants: [evilGrant, ...manyGrants().slice(0, 6)],
        recent: [EVIL],
        csrf: EVIL,
        regions: [EVIL],
        defaultRegion: EVIL,
        notice: EVIL,
        support: { text: EVIL, url: `https://help.example.com/?q=${EVIL}` },
      }),
    );
    const b = bodyOf(evil);
    // The only <script> elements are the page's own, allowed by hash.
    expect(b.match(/<script>/g)).toHaveLength(2);
    expect(b).not.toContain('alert("x")');
    expect(b).toContain(
      `Signed in as <strong>${EVIL_ESCAPED}</strong> through <strong>${EVIL_ESCAPED}</strong>`,
    );
    expect(b).toContain(`<p class="notice" role="status">${EVIL_ESCAPED}</p>`);
    expect(b).toContain(`<input type="hidden" name="csrf" value="${EVIL_ESCAPED}">`);
    expect(b).toContain(`<input type="hidden" name="grant" value="${EVIL_ESCAPED}">`);
    expect(b).toContain(`<option selected>${EVIL_ESCAPED}</option>`);
    expect(b).toContain(`aria-label="Console as ${EVIL_ESCAPED} in ${EVIL_ESCAPED}"`);
    expectExactHashes(evil);
  });

  it('allows exactly its own scripts and style by hash, and forms only to its own origins', () => {
    expectExactHashes(res);
    expect(directive(res, 'form-action')).toEqual(["'self'", 'https://aws.example.com']);
  });

  it('says so when no role is granted, and still offers sign out', () => {
    const none = bodyOf(portalPage(demoPortalView(NOW, { grants: [], recent: ['g-prod-read'] })));
    expect(none).toContain('<h2>No AWS roles</h2>');
    expect(forms(none).map((f) => f.action)).toEqual(['https://aws.example.com/sign-out']);
    expect(none).toContain('<a href="https://help.example.com/aws">IT help desk</a>');
  });
});

describe('accessKeysPage', () => {
  const view = demoAccessKeysView(NOW);
  const res = accessKeysPage(view, { now: NOW });
  const body = bodyOf(res);
  const c = view.credentials;

  it('shows each value with a named copy button', () => {
    for (const [id, name, value] of [
      ['access-key-id', 'access key ID', c.accessKeyId],
      ['secret-access-key', 'secret access key', c.secretAccessKey],
      ['session-token', 'session token', c.sessionToken],
      ['expiration', 'expiration', c.expiration.toISOString()],
      ['region', 'region', 'eu-west-1'],
    ] as const) {
      expect(body).toContain(`<code id="${id}">${value}</code>`);
      expect(body).toContain(`data-copy="${id}" aria-label="Copy ${name}" hidden>Copy</button>`);
    }
  });

  it('gives bash/zsh, fish and PowerShell commands and a credentials profile, with both region variables', () => {
    const block = (id: string) =>
      new RegExp(`<code id="shell-${id}">([\\s\\S]*?)</code>`)
        .exec(body)?.[1]
        ?.replaceAll('&#39;', "'");
    expect(block('bash')?.split('\n')).toEqual([
      `export AWS_ACCESS_KEY_ID='${c.accessKeyId}'`,
      `export AWS_SECRET_ACCESS_KEY='${c.secretAccessKey}'`,
      `export AWS_SESSION_TOKEN='${c.sessionToken}'`,
      "export AWS_REGION='eu-west-1'",
      "export AWS_DEFAULT_REGION='eu-west-1'",
    ]);
    expect(block('fish')?.split('\n')).toContain("set -gx AWS_DEFAULT_REGION 'eu-west-1'");
    expect(block('fish')?.split('\n')).toContain(`set -gx AWS_SESSION_TOKEN '${c.sessionToken}'`);
    expect(block('powershell')?.split('\n')).toContain("$Env:AWS_REGION = 'eu-west-1'");
    expect(block('powershell')?.split('\n')).toContain(
      `$Env:AWS_SECRET_ACCESS_KEY = '${c.secretAccessKey}'`,
    );
    expect(block('credentials')?.split('\n')).toEqual([
      '[production-fedgate-Administrator]',
      `aws_access_key_id = ${c.accessKeyId}`,
      `aws_secret_access_key = ${c.secretAccessKey}`,
      `aws_session_token = ${c.sessionToken}`,
      '',
      '# and in ~/.aws/config:',
      '[profile production-fedgate-Administrator]',
      'region = eu-west-1',
    ]);
    for (const id of ['bash', 'fish', 'powershell', 'credentials'])
      expect(body).toContain(`data-copy="shell-${id}"`);
  });

  it('quotes a value with quotes so bash reads it back unchanged', () => {
    const odd = `it's "odd" $(touch /tmp/pwned) \`x\` \\ end`;
    const page = bodyOf(accessKeysPage(demoAccessKeysView(NOW, { region: odd }), { now: NOW }));
    const bash = (/<code id="shell-bash">([\s\S]*?)<\/code>/.exec(page)?.[1] ?? '')
      .replaceAll('&#39;', "'")
      .replaceAll('&quot;', '"')
      .replaceAll('&#96;', '`')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&');
    const out = execFileSync('bash', ['--norc', '-c', `${bash}\nprintf %s "$AWS_REGION"`], {
      env: {},
      encoding: 'utf8',
    });
    expect(out).toBe(odd);
  });

  it('has no credential_process JSON, links back to the portal, and fills the CLI slot when given', () => {
    expect(body).not.toContain('"Version"');
    expect(body).not.toContain('credential_process');
    expect(body).toContain('<a href="https://aws.example.com/">← Back to AWS access</a>');
    expect(body).not.toContain('id="cli-setup"');
    const withCli = bodyOf(
      accessKeysPage(demoAccessKeysView(NOW, { cliSetup: html`<h2>Set up the CLI</h2>` })),
    );
    expect(withCli).toContain(
      '<section class="card" id="cli-setup"><h2>Set up the CLI</h2></section>',
    );
  });

  it('shows the expiry as time left and local time, and says how to treat the keys', () => {
    expect(body).toContain(`<strong data-until="${c.expiration.toISOString()}">1 h</strong>`);
    expect(body).toContain(
      `<time datetime="${c.expiration.toISOString()}" data-local>01:53 UTC</time>`,
    );
    expect(body).toContain('Treat them like a password');
  });

  it('escapes every value and allows exactly its own scripts by hash', () => {
    const evil = accessKeysPage(
      demoAccessKeysView(NOW, {
        credentials: { ...c, accessKeyId: EVIL, secretAccessKey: EVIL, sessionToken: EVIL },
        grant: {
          label: EVIL,
          roleArn: `arn:aws:iam::1:role/${EVIL}`,
          accountId: EVIL,
          accountAlias: EVIL,
        },
        region: EVIL,
      }),
    );
    const b = bodyOf(evil);
    expect(b.match(/<script>/g)).toHaveLength(2);
    expect(b).not.toContain('alert("x")');
    expect(b).toContain(`<code id="access-key-id">${EVIL_ESCAPED}</code>`);
    expectExactHashes(evil);
    expectExactHashes(res);
  });
});

describe('signInConfirmPage', () => {
  const view = {
    person: { displayName: 'Alice Example', subjectHint: 'alice@example.com' },
    idpDisplayName: 'Okta',
    csrf: 'csrf-c1',
    action: new URL('/sign-in/confirm', BASE),
    cancel: new URL('/', BASE),
    requestId: 'req-c1',
  };

  it('names the account and the IdP, warns to cancel unless the person just chose AWS, posts only csrf', () => {
    const res = signInConfirmPage(view);
    const body = bodyOf(res);
    expect(body).toContain(
      'You are signing in to AWS as <strong>Alice Example</strong> (alice@example.com) through <strong>Okta</strong>.',
    );
    expect(body).toContain("Continue only if you just chose AWS in your company's portal");
    expect(body).toContain('someone may be trying to sign you in to an account they control');
    expect(forms(body)).toEqual([
      expect.objectContaining({
        action: 'https://aws.example.com/sign-in/confirm',
        hidden: { csrf: 'csrf-c1' },
      }),
    ]);
    expect(body).toContain('<button type="submit">Continue</button>');
    expect(body).toContain(
      '<a class="button secondary" href="https://aws.example.com/">Cancel</a>',
    );
    expect(body).toContain('req-c1');
    expectExactHashes(res);
    expect(directive(res, 'form-action')).toEqual(["'self'", 'https://aws.example.com']);
  });

  it('falls back to the subject hint, then to the IdP alone', () => {
    expect(bodyOf(signInConfirmPage({ ...view, person: { subjectHint: 'alice@…' } }))).toContain(
      'as <strong>alice@…</strong> through',
    );
    expect(bodyOf(signInConfirmPage({ ...view, person: {} }))).toContain(
      'You are signing in to AWS through <strong>Okta</strong>.',
    );
  });

  it('escapes every value', () => {
    const b = bodyOf(
      signInConfirmPage({
        ...view,
        person: { displayName: EVIL, subjectHint: EVIL },
        idpDisplayName: EVIL,
        csrf: EVIL,
      }),
    );
    expect(b).not.toContain('<script>');
    expect(b).toContain(
      `as <strong>${EVIL_ESCAPED}</strong> through <strong>${EVIL_ESCAPED}</strong>`,
    );
    expect(b).toContain(`name="csrf" value="${EVIL_ESCAPED}"`);
  });

  it('adds no origin to form-action that could break the CSP', () => {
    const res = signInConfirmPage({ ...view, action: new URL('https://a;b.example/x') });
    expect(directive(res, 'form-action')).toEqual(["'self'"]);
  });
});
