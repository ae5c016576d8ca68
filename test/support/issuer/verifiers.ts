/**
 * Independent verifiers of what fedgate mints (SECURITY.md §5): Debian's xmlsec1, xmllint and
 * python3-onelogin-saml2, run as child processes. None of them shares code with fedgate.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The SAML 2.0 schemas python3-onelogin-saml2 ships; their imports are relative, so --nonet works. */
export const SAML_SCHEMAS = '/usr/lib/python3/dist-packages/onelogin/saml2/schemas';
export const PROTOCOL_SCHEMA = join(SAML_SCHEMAS, 'saml-schema-protocol-2.0.xsd');
export const METADATA_SCHEMA = join(SAML_SCHEMAS, 'saml-schema-metadata-2.0.xsd');

const here = dirname(fileURLToPath(import.meta.url));

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program with optional stdin; never throws for a non-zero exit. */
export const run = (command: string, args: readonly string[], stdin?: string): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A child that exits without reading stdin (xmllint) must not crash the run with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(stdin ?? '');
  });

/** A temporary folder for documents and certificates handed to the command-line verifiers. */
export interface Workdir {
  write(name: string, content: string): Promise<string>;
  remove(): Promise<void>;
}

export const createWorkdir = async (): Promise<Workdir> => {
  const dir = await mkdtemp(join(tmpdir(), 'fedgate-issuer-'));
  return {
    write: async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
};

/**
 * xmlsec1 --verify with only the given certificate's public key as the trusted key, the SAML
 * Assertion and Response `ID` attributes registered as XML IDs. The certificate in KeyInfo is
 * self-signed, so xmlsec1 cannot trust it and falls back to the key given here.
 */
export const verifyWithXmlsec1 = (xmlPath: string, certPath: string): Promise<RunResult> =>
  run('xmlsec1', [
    '--verify',
    '--pubkey-cert-pem',
    certPath,
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:assertion:Assertion',
    '--id-attr:ID',
    'urn:oasis:names:tc:SAML:2.0:protocol:Response',
    xmlPath,
  ]);

/** xmllint schema validation, offline (--nonet: a schema import over http would fail). */
export const validateWithXmllint = (xmlPath: string, schemaPath: string): Promise<RunResult> =>
  run('xmllint', ['--nonet', '--noout', '--schema', schemaPath, xmlPath]);

export interface OneloginRequest {
  samlResponse: string;
  idpEntityId: string;
  /** The IdP's signing certificates (PEM or base64 DER); more than one: the rotation case. */
  idpCerts: readonly string[];
  spEntityId: string;
  acsUrl: string;
}

export interface OneloginVerdict {
  valid: boolean;
  error: string | null;
  nameId?: string;
  nameIdFormat?: string;
  sessionIndex?: string;
  assertionId?: string;
  issuers?: string[];
  audiences?: string[];
  attributes?: Record<string, string[]>;
  algorithms?: { signature: string[]; digest: string[] };
}

/** python3-onelogin-saml2, strict, configured as AWS's SP (see onelogin_verify.py). */
export const verifyWithOnelogin = async (req: OneloginRequest): Promise<OneloginVerdict> => {
  const result = await run(
    '/usr/bin/python3',
    [join(here, 'onelogin_verify.py')],
    JSON.stringify(req),
  );
  if (result.code !== 0) throw new Error(`onelogin_verify.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as OneloginVerdict;
};

export interface OneloginIdpMetadata {
  entityId: string;
  ssoUrl: string;
  signingCerts: string[];
  nameIdFormat: string | null;
}

/** python3-onelogin-saml2's IdP metadata parser on a metadata document (see onelogin_idp_metadata.py). */
export const parseIdpMetadataWithOnelogin = async (xml: string): Promise<OneloginIdpMetadata> => {
  const result = await run('/usr/bin/python3', [join(here, 'onelogin_idp_metadata.py')], xml);
  if (result.code !== 0) throw new Error(`onelogin_idp_metadata.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as OneloginIdpMetadata;
};
