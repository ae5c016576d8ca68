import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestKeyPair } from '../../kit/keys.js';
import { child, edit, first, insertAfter, NS, parseXml } from './xml-edit.js';

/**
 * Signers that share no code with fedgate: the xmlsec1 binary (from a template with an empty
 * ds:Signature) and pysaml2 acting as a real IdP. Both Debian packages.
 */

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const XMLSEC1 = 'xmlsec1';

const withKeyFiles = async <T>(key: TestKeyPair, fn: (dir: string) => Promise<T>): Promise<T> => {
  const dir = await mkdtemp(join(tmpdir(), 'fedgate-saml-'));
  try {
    await writeFile(join(dir, 'key.pem'), key.privateKeyPem, { mode: 0o600 });
    await writeFile(join(dir, 'cert.pem'), key.certificatePem);
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

export interface SignatureTemplateOptions {
  /** Element prefix of the template: `ds` (Okta) or `''` (Entra's default namespace). */
  prefix?: string;
  /** exc-c14n InclusiveNamespaces PrefixList on the Reference's c14n transform (Okta: `xs`). */
  inclusivePrefixes?: readonly string[];
}

/** Inserts an empty enveloped-signature template after the Issuer of the Assertion or Response. */
export const insertSignatureTemplate = (
  xml: string,
  target: 'Assertion' | 'Response',
  { prefix = 'ds', inclusivePrefixes }: SignatureTemplateOptions = {},
): string =>
  edit(xml, (doc) => {
    const el =
      target === 'Assertion'
        ? first(doc, NS.assertion, 'Assertion')
        : (doc.documentElement as Element);
    const p = prefix ? `${prefix}:` : '';
    const decl = prefix ? `xmlns:${prefix}="${NS.dsig}"` : `xmlns="${NS.dsig}"`;
    const inclusive = inclusivePrefixes
      ? `<ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="${inclusivePrefixes.join(' ')}"/>`
      : '';
    const template = `<${p}Signature ${decl}><${p}SignedInfo><${p}CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><${p}SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><${p}Reference URI="#${el.getAttribute('ID')}"><${p}Transforms><${p}Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><${p}Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#">${inclusive}</${p}Transform></${p}Transforms><${p}DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><${p}DigestValue/></${p}Reference></${p}SignedInfo><${p}SignatureValue/><${p}KeyInfo><${p}X509Data/></${p}KeyInfo></${p}Signature>`;
    const node = doc.importNode(parseXml(template).documentElement as Element, true);
    insertAfter(node, child(el, NS.assertion, 'Issuer') as Element);
  });

/** Signs the template inside the Assertion or the Response with the xmlsec1 binary. */
export const signWithXmlsec1 = (
  xml: string,
  target: 'Assertion' | 'Response',
  key: TestKeyPair,
): Promise<string> =>
  withKeyFiles(key, async (dir) => {
    await writeFile(join(dir, 'in.xml'), xml);
    const parent =
      target === 'Assertion'
        ? `//*[local-name()='Assertion' and namespace-uri()='${NS.assertion}']`
        : '/*';
    await run(XMLSEC1, [
      '--sign',
      '--privkey-pem',
      `${join(dir, 'key.pem')},${join(dir, 'cert.pem')}`,
      '--id-attr:ID',
      `${NS.assertion}:Assertion`,
      '--id-attr:ID',
      `${NS.protocol}:Response`,
      '--node-xpath',
      `${parent}/*[local-name()='Signature' and namespace-uri()='${NS.dsig}']`,
      '--output',
      join(dir, 'out.xml'),
      join(dir, 'in.xml'),
    ]);
    return readFile(join(dir, 'out.xml'), 'utf8');
  });

export interface Pysaml2Request {
  entityId: string;
  spEntityId: string;
  acsUrl: string;
  nameId: string;
  nameIdFormat?: string;
  attributes: Record<string, string[]>;
  inResponseTo?: string;
  signAssertion: boolean;
  signResponse: boolean;
  nameFormat: 'uri' | 'unspecified';
}

/** Has pysaml2 (a real IdP implementation) build and sign one Response, and returns its XML. */
export const respondWithPysaml2 = (req: Pysaml2Request, key: TestKeyPair): Promise<string> =>
  withKeyFiles(key, async (dir) => {
    const script = join(import.meta.dirname, 'pysaml2-idp.py');
    const child = spawn(PYTHON, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.end(
      JSON.stringify({ ...req, keyFile: join(dir, 'key.pem'), certFile: join(dir, 'cert.pem') }),
    );
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`pysaml2 failed (${code}): ${Buffer.concat(err).toString()}`);
    return Buffer.concat(out).toString('utf8');
  });
