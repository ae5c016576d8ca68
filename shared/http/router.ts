import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { NotFoundError } from './errors.js';
import type { HttpResponse } from './responses.js';

/** One route's call: an API Gateway v2 event in, a response out. */
export type RouteEndpoint = (event: APIGatewayProxyEventV2) => Promise<HttpResponse>;

/** A route as infra/manifest.ts declares it: `<METHOD> <path>`, `{name}` / `{name+}` parameters. */
export interface Routed {
  readonly routeKey: string;
}

/** A request matched to a route, with its path parameters (decoded). */
export interface RouteMatch<R extends Routed> {
  route: R;
  pathParameters: Record<string, string>;
}

/**
 * Matches requests to routes as API Gateway HTTP APIs do: exact method, `{name}` matches one
 * path segment, `{name+}` the rest; the most specific (fewest parameters) route wins. HEAD is
 * served by a GET route, as API Gateway does. The local runner routes with it what API Gateway
 * routes in AWS.
 * @example createRouteMatcher(ROUTES)('POST', '/saml/okta/acs') // { route, pathParameters: { idp: 'okta' } }
 */
export const createRouteMatcher = <R extends Routed>(routes: readonly R[]) => {
  const compiled = routes.map((route) => {
    const [method, path] = route.routeKey.split(' ') as [string, string];
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        const m = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
        if (!m) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(m[1] as string);
        return m[2] ? '(.+)' : '([^/]+)';
      })
      .join('/');
    return { route, method, pattern: new RegExp(`^${source}$`), names };
  });
  compiled.sort((a, b) => a.names.length - b.names.length);
  return (method: string, path: string): RouteMatch<R> | undefined => {
    for (const c of compiled) {
      if (c.method !== method && !(method === 'HEAD' && c.method === 'GET')) continue;
      const m = c.pattern.exec(path);
      if (!m) continue;
      const pathParameters: Record<string, string> = {};
      c.names.forEach((name, i) => {
        pathParameters[name] = decodeURIComponent(m[i + 1] as string);
      });
      return { route: c.route, pathParameters };
    }
    return undefined;
  };
};

/**
 * A function's router: the event's route key (set by API Gateway, or by the local runner from
 * {@link createRouteMatcher}) picks its call. A key outside the table (a `$default` route, `npm run
 * invoke`) goes to `fallback` when one is given, and is `not_found` otherwise.
 * @throws not_found (404) for a route key outside the table and no fallback.
 * @example createRouter({ 'POST /portal/open': open, 'POST /signout': signOut })
 */
export const createRouter = (
  routes: Readonly<Record<string, RouteEndpoint>>,
  opts: { fallback?: RouteEndpoint } = {},
): RouteEndpoint => {
  const table = new Map(Object.entries(routes));
  return (event) => {
    const route = table.get(event.routeKey) ?? opts.fallback;
    if (!route) throw new NotFoundError(`no route ${String(event.routeKey).slice(0, 80)}`);
    return route(event);
  };
};
