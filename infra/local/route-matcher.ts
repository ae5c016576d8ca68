import type { RouteDef } from '../routes.js';

export interface RouteMatch {
  route: RouteDef;
  pathParameters: Record<string, string>;
}

interface Compiled {
  route: RouteDef;
  method: string;
  pattern: RegExp;
  names: string[];
}

/**
 * Matches requests to routes as API Gateway HTTP APIs do: exact method, `{name}` matches one
 * path segment, `{name+}` the rest; the most specific (fewest parameters) route wins. HEAD is
 * served by a GET route, as API Gateway does.
 */
export const createRouteMatcher = (routes: readonly RouteDef[]) => {
  const compiled: Compiled[] = routes.map((route) => {
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
  return (method: string, path: string): RouteMatch | undefined => {
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
