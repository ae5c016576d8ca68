/**
 * Builds an absolute URL under fedgate's public base URL (which may carry a path prefix such as a
 * stage). URLs are only ever built from configuration, never from Host or X-Forwarded-* headers.
 * @example publicUrl(new URL('https://sso.example.com/prod'), '/saml/okta/acs') // https://sso.example.com/prod/saml/okta/acs
 */
export const publicUrl = (base: URL, path: string): URL => {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  url.search = '';
  url.hash = '';
  return url;
};
