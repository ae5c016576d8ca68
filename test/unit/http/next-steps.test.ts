import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  NEXT_STEPS,
  type NextAction,
  nextStepFor,
  renderSupport,
  supportHref,
} from '../../../shared/http/index.js';

/**
 * Every error code raised in shared/, read from the source: `super(<status>, '<code>'` (and
 * `new GatewayError(<status>, '<code>'`), `code: '<code>'` passed up to a base class's
 * constructor, and a constructor parameter typed as a union of code literals.
 */
const raisedCodes = (): Map<string, string> => {
  const found = new Map<string, string>();
  const files = readdirSync('shared', { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join('shared', f));
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    const add = (code: string | undefined) => code && !found.has(code) && found.set(code, file);
    for (const m of src.matchAll(/(?:super|new GatewayError)\(\s*\d{3},\s*'([a-z][a-z0-9_]*)'/g))
      add(m[1]);
    for (const m of src.matchAll(/super\([^;]*?\bcode:\s*'([a-z][a-z0-9_]*)'/g)) add(m[1]);
    for (const m of src.matchAll(/\bcode:\s*((?:'[a-z][a-z0-9_]*'\s*\|\s*)+'[a-z][a-z0-9_]*')/g))
      for (const c of (m[1] as string).matchAll(/'([a-z0-9_]+)'/g)) add(c[1]);
  }
  return found;
};

describe('NEXT_STEPS', () => {
  const raised = raisedCodes();

  it('reads the codes from the source (the scan itself finds the known shapes)', () => {
    expect(raised.size).toBeGreaterThan(60);
    for (const code of [
      'saml_signature_invalid', // super(400, '…')
      'sts_access_denied', // super(detail, { code: '…' })
      'oidc_discovery_invalid', // constructor(code: '…' | '…')
      'temporarily_unavailable',
      'server_error',
    ])
      expect(raised.has(code), code).toBe(true);
  });

  it('has an entry for every code the gateway raises', () => {
    const missing = [...raised].filter(([code]) => !Object.hasOwn(NEXT_STEPS, code));
    expect(missing.map(([code, file]) => `${code} (${file})`)).toEqual([]);
  });

  it('gives every entry a sentence for the person and a known action', () => {
    const actions: readonly NextAction[] = ['sign-in-again', 'other-idp', 'contact', 'retry-later'];
    for (const [code, step] of Object.entries(NEXT_STEPS)) {
      expect(code).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(actions, code).toContain(step.action);
      expect(step.person.length, code).toBeGreaterThan(10);
    }
  });

  it('sends the person to the right place for the common refusals', () => {
    expect(nextStepFor('temporarily_unavailable').action).toBe('retry-later');
    expect(nextStepFor('oidc_tenant_not_allowed').action).toBe('other-idp');
    expect(nextStepFor('saml_group_overage').action).toBe('contact');
    expect(nextStepFor('oidc_state_mismatch').action).toBe('sign-in-again');
  });

  it('falls back to "sign in again" for an unknown code, and reads no inherited key', () => {
    expect(nextStepFor('no_such_code').action).toBe('sign-in-again');
    expect(nextStepFor('__proto__').action).toBe('sign-in-again');
    expect(nextStepFor('toString').action).toBe('sign-in-again');
  });
});

describe('support contact', () => {
  it.each([
    ['https://help.example.com/aws', 'https://help.example.com/aws'],
    ['mailto:it@example.com', 'mailto:it@example.com'],
    ['tel:+4930123456', 'tel:+4930123456'],
  ])('links %s', (url, href) => {
    expect(supportHref({ text: 'Help', url })).toBe(href);
  });

  it.each([
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'not a url',
    '//evil.example',
  ])('never links %s', (url) => {
    expect(supportHref({ text: 'Help', url })).toBeUndefined();
    expect(renderSupport({ text: 'Help', url }).value).not.toContain('href');
  });

  it('escapes the text and renders nothing without a contact', () => {
    expect(renderSupport({ text: '<b>"IT"</b>' }).value).toContain(
      '&lt;b&gt;&quot;IT&quot;&lt;/b&gt;',
    );
    expect(renderSupport(undefined).value).toBe('');
  });
});
