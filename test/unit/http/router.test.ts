import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../infra/routes.js';
import {
  createRouteMatcher,
  createRouter,
  type RouteEndpoint,
} from '../../../shared/http/index.js';

const event = (routeKey: string) => ({ routeKey }) as APIGatewayProxyEventV2;
const answer =
  (body: string): RouteEndpoint =>
  async () => ({ statusCode: 200, headers: {}, body });

describe('createRouter (every function routes through it)', () => {
  it('sends a route key of its table to its call', async () => {
    const route = createRouter({
      'POST /portal/open': answer('open'),
      'POST /signout': answer('out'),
    });
    await expect(route(event('POST /signout'))).resolves.toMatchObject({ body: 'out' });
    await expect(route(event('POST /portal/open'))).resolves.toMatchObject({ body: 'open' });
  });

  it('a key outside the table is not_found, or the fallback when there is one', async () => {
    const route = createRouter({ 'POST /signout': answer('out') });
    expect(() => route(event('$default'))).toThrow(expect.objectContaining({ code: 'not_found' }));
    const withFallback = createRouter(
      { 'POST /signout': answer('out') },
      { fallback: answer('fb') },
    );
    await expect(withFallback(event('$default'))).resolves.toMatchObject({ body: 'fb' });
  });

  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'a route key naming an Object member (%s) is not_found, never that member called',
    (routeKey) => {
      const route = createRouter({ 'POST /signout': answer('out') });
      expect(() => route(event(routeKey))).toThrow(expect.objectContaining({ code: 'not_found' }));
    },
  );
});

describe('createRouteMatcher on the manifest routes (the runner routes with it)', () => {
  const match = createRouteMatcher(ROUTES);

  it('finds each declared route from its own method and a concrete path', () => {
    for (const route of ROUTES) {
      const [method, path] = route.routeKey.split(' ') as [string, string];
      const concrete = path.replace(/\{[A-Za-z0-9_]+\+?\}/g, 'x-1');
      expect(match(method, concrete)?.route, route.routeKey).toBe(route);
    }
  });

  it('answers nothing for an undeclared route', () => {
    expect(match('DELETE', '/')).toBeUndefined();
    expect(match('GET', '/nowhere')).toBeUndefined();
  });
});
