/**
 * One place for XML: shared/xml/names.ts is the only product file that spells a SAML or XML
 * Signature URI, and shared/xml/dsig.ts the only one that imports xml-crypto.
 *
 * Three folders are left out on purpose: infra/local/demo/ (the demo IdPs),
 * infra/local/upstream/ (the upstream IdPs' SAML signer, shared by the demo and the tests) and
 * infra/local/aws/ (the STS and IAM stand-ins that check what fedgate mints). They play the other side of the protocol, and sharing fedgate's names would let a wrong
 * URI in names.ts pass every test that runs against them; they keep their own, as real IdPs and
 * AWS do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as names from '../../../shared/xml/names.js';

const INDEPENDENT_PEERS = ['infra/local/demo/', 'infra/local/upstream/', 'infra/local/aws/'];

/** Product source files: shared/, functions/ and infra/, without the independent peers. */
const productFiles = (): string[] =>
  ['shared', 'functions', 'infra']
    .flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)),
    )
    .filter((f) => /\.(ts|mts|cts|js|mjs)$/.test(f) && !f.endsWith('.d.ts'))
    .filter((f) => !INDEPENDENT_PEERS.some((peer) => f.startsWith(peer)));

/** Code lines (TSDoc and `//` comment lines left out: prose may quote a URI it explains). */
const codeLines = (file: string): { line: number; text: string }[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((text, i) => ({ line: i + 1, text }))
    .filter(({ text }) => !/^\s*(\/\/|\/\*|\*)/.test(text));

/** The URI families fedgate's XML names come from. */
const XML_URI =
  /urn:oasis:names:tc:SAML:|https?:\/\/www\.w3\.org\/(?:2000\/09\/xmldsig|2001\/|2000\/xmlns|XML\/1998)/;

describe('shared/xml/names.ts: the one place for SAML and XML Signature URIs', () => {
  it('no other product file holds one in code', () => {
    const found = productFiles()
      .filter((f) => f !== join('shared', 'xml', 'names.ts'))
      .flatMap((f) =>
        codeLines(f)
          .filter(({ text }) => XML_URI.test(text))
          .map(({ line, text }) => `${f}:${line}: ${text.trim()}`),
      );
    expect(found).toEqual([]);
  });

  it('the scan sees the files it guards (names.ts itself matches)', () => {
    const files = productFiles();
    expect(files).toEqual(
      expect.arrayContaining([
        join('shared', 'saml', 'verify-response.ts'),
        join('shared', 'issuer', 'aws-saml-assertion.ts'),
        join('infra', 'admin', 'commands', 'import-idp.ts'),
      ]),
    );
    expect(files.some((f) => f.startsWith('infra/local/demo/'))).toBe(false);
    const own = codeLines(join('shared', 'xml', 'names.ts')).filter(({ text }) =>
      XML_URI.test(text),
    );
    expect(own.length).toBeGreaterThanOrEqual(Object.keys(names.NS).length);
  });

  it('every namespace URI is distinct and has a prefix where fedgate writes it', () => {
    const uris = Object.values(names.NS);
    expect(new Set(uris).size).toBe(uris.length);
    for (const ns of Object.keys(names.PREFIX)) expect(names.NS).toHaveProperty(ns);
  });
});

describe('shared/xml/dsig.ts: the one importer of xml-crypto', () => {
  it('no other product file imports it', () => {
    const importers = productFiles().filter((f) =>
      /(?:from\s*|import\s*\(\s*|require\s*\(\s*)['"]xml-crypto(?:\/[^'"]*)?['"]/.test(
        readFileSync(f, 'utf8'),
      ),
    );
    expect(importers).toEqual([join('shared', 'xml', 'dsig.ts')]);
  });
});
