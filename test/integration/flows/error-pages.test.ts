import { describe, expect, it } from '../../kit/index.js';
import { postToAcs } from '../../support/local-runner.js';
import { SESSION_COOKIE } from '../../support/portal-flow.js';

/**
 * The runner's error pages as a person gets them, with the demo config (`npm start`): each says
 * what happened (the code), what to do next with a link to do it, whom to ask (the config's
 * `support`, read from the attribute table's settings) and the request id to quote — the same
 * wiring every browser function uses (functions/compose `errorPagesOf`).
 */
describe('error pages on the runner', () => {
  const expectHelpfulPage = async (res: Response, status: number, code: RegExp) => {
    const html = await res.text();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html).toMatch(new RegExp(`Error code <code>${code.source}</code>`));
    expect(html).toContain('<h2>Next steps</h2>');
    expect(html).toMatch(/<a class="button" href="http:\/\/127\.0\.0\.1:\d+\/">[^<]+<\/a>/);
    expect(html).toContain(
      '<p class="support">Need help? <a href="mailto:aws-help@example.com">Demo help desk (the local demo)</a></p>',
    );
    expect(html).toMatch(/Request id <code>[0-9a-f-]{36}<\/code>/);
  };

  it('a refused sign-in response at the ACS', async ({ gateway }) => {
    await expectHelpfulPage(
      await postToAcs(gateway.url, 'demo-okta', Buffer.from('<x/>').toString('base64')),
      400,
      /saml_[a-z_]+/,
    );
  });

  it('a portal form whose session has ended', async ({ gateway }) => {
    const res = await fetch(new URL('/portal/open', gateway.url), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `${SESSION_COOKIE}=demo-okta.0123456789abcdef.${'A'.repeat(43)}`,
        origin: gateway.url.origin,
      },
      body: new URLSearchParams({ csrf: 'x', grant: 'g', target: 'console' }).toString(),
    });
    await expectHelpfulPage(res, 401, /session_invalid/);
  });
});
