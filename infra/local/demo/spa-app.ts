/**
 * The demo SPA's script (runs in the browser; bundled by ./spa.ts with esbuild): signs in through
 * fedgate with the browser client and shows who it is and the credentials' role, tags and expiry.
 * Typed against a few DOM members only (the repo compiles without the DOM library).
 */
import {
  createFedgateClient,
  type FedgateCredentials,
  type FedgateSessionInfo,
} from '../../../shared/browser-client/fedgate-client.js';

interface El {
  textContent: string | null;
  hidden: boolean;
  value: string;
  disabled: boolean;
  replaceChildren(...nodes: unknown[]): void;
  addEventListener(type: string, listener: () => void): void;
}
interface Doc {
  getElementById(id: string): El | null;
  createElement(tag: string): El & { append(...nodes: unknown[]): void };
}
const doc = (globalThis as unknown as { document: Doc }).document;
const origin = (globalThis as unknown as { location: { origin: string } }).location.origin;
const $ = (id: string): El => {
  const el = doc.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
};

const fedgate = createFedgateClient({
  gatewayUrl: origin,
  clientId: 'demo-spa',
  idp: 'demo-oidc',
  redirectUri: `${origin}/_local/spa/`,
});

let grant: string | undefined;

const show = (state: 'signed-out' | 'signed-in') => {
  $('signed-out').hidden = state === 'signed-in';
  $('signed-in').hidden = state !== 'signed-in';
};

const showError = (err: unknown) => {
  const code = (err as { code?: string }).code ?? 'error';
  $('error').textContent = `${code}: ${(err as Error).message}`;
  $('error').hidden = false;
};

const showSession = (info: FedgateSessionInfo) => {
  $('who').textContent = info.identity.displayName ?? info.identity.subject;
  $('session-ends').textContent = info.session.endsAt;
  const select = $('grants');
  select.replaceChildren(
    ...info.grants.map((g) => {
      const option = doc.createElement('option');
      option.value = g.id;
      option.textContent = `${g.label} (${g.accountAlias ?? g.accountId})`;
      return option;
    }),
  );
  grant ??= info.grants[0]?.id;
  if (grant) select.value = grant;
};

const showCredentials = (c: FedgateCredentials) => {
  $('who').textContent = c.identity.displayName ?? c.identity.subject;
  $('role').textContent = `${c.role.label} — ${c.role.arn}`;
  const tags = $('tags');
  tags.replaceChildren(
    ...Object.entries(c.tags).map(([k, v]) => {
      const li = doc.createElement('li');
      li.textContent = `${k} = ${v}`;
      return li;
    }),
  );
  $('access-key').textContent = c.AccessKeyId;
  $('expiry').textContent = c.Expiration;
  $('session-ends').textContent = c.session.endsAt;
  $('error').hidden = true;
};

const load = async (forceRefresh = false) => {
  const info = await fedgate.listGrants();
  showSession(info);
  show('signed-in');
  showCredentials(
    await fedgate.getDetailedCredentials({ ...(grant ? { grant } : {}), forceRefresh }),
  );
};

const run = async () => {
  $('signin').addEventListener('click', () => void fedgate.login().catch(showError));
  $('refresh').addEventListener('click', () => void load(true).catch(showError));
  $('grants').addEventListener('change', () => {
    grant = $('grants').value;
    void load().catch(showError);
  });
  $('logout').addEventListener('click', () => {
    void fedgate
      .logout()
      .then(() => {
        $('status').textContent = 'Signed out.';
        show('signed-out');
      })
      .catch(showError);
  });
  try {
    await fedgate.handleRedirect();
    if (await fedgate.isSignedIn()) await load();
    else show('signed-out');
  } catch (err) {
    show('signed-out');
    showError(err);
  }
  $('status').textContent = $('signed-in').hidden ? 'Not signed in.' : 'Signed in.';
};

void run();
