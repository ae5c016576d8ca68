import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IdpConfig } from '../config/index.js';
import { GatewayError } from '../http/errors.js';
import { queryParam } from '../http/request.js';
import type { HttpResponse } from '../http/responses.js';
import type { Log } from '../log.js';
import { resourceTypes, schemas, serviceProviderConfig } from './documents.js';
import {
  ScimError,
  ScimNotFoundError,
  ScimNotImplementedError,
  ScimThrottledError,
} from './errors.js';
import { parseScimBody, SCIM_CONTENT_TYPE, scimJson } from './json.js';
import { SCIM_SCHEMAS } from './schema.js';
import type { ListQuery, ScimResult, ScimService } from './service.js';

export interface ScimEndpointsDeps {
  loadIdp: (id: string) => Promise<IdpConfig | undefined>;
  authenticate: (
    idp: IdpConfig | undefined,
    authorization: string | undefined,
  ) => Promise<IdpConfig>;
  throttle: (idp: string, requestsPerSecond: number) => void;
  service: ScimService;
  publicBaseUrl: URL;
  log: Log;
}

const RESOURCE_TYPES = new Set(['User', 'Group']);

const listQuery = (event: APIGatewayProxyEventV2): ListQuery => {
  const q: ListQuery = {};
  for (const name of [
    'filter',
    'startIndex',
    'count',
    'attributes',
    'excludedAttributes',
    'sortBy',
  ] as const) {
    const v = queryParam(event, name);
    if (v !== undefined) q[name] = v;
  }
  return q;
};

const respond = (r: ScimResult): HttpResponse =>
  scimJson(r.status, r.body, r.location ? { location: r.location } : {});

/**
 * The SCIM 2.0 endpoints of every IdP with provisioning, under `/scim/v2/{idp}` (one base URL per
 * IdP: its token opens its directory only). Each request: the IdP from the path, its bearer token
 * (constant-time, hashed), its rate limit, then the route. Discovery documents need the token too
 * (they say nothing secret, but an unauthenticated caller has no business here).
 */
export const createScimEndpoints = (deps: ScimEndpointsDeps) => {
  const base = deps.publicBaseUrl.origin + deps.publicBaseUrl.pathname.replace(/\/$/, '');
  return async (event: APIGatewayProxyEventV2): Promise<HttpResponse> => {
    const idpId = event.pathParameters?.idp ?? '';
    const idp = await deps.authenticate(
      /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/.test(idpId) ? await deps.loadIdp(idpId) : undefined,
      event.headers?.authorization,
    );
    deps.log.appendKeys({ flow: 'scim', idp: idp.id });
    deps.throttle(idp.id, idp.directory?.scim?.requestsPerSecond ?? 50);
    const method = event.requestContext.http.method;
    const [, path = ''] = event.routeKey.split(' ');
    const route = path.replace('/scim/v2/{idp}', '');
    const id = event.pathParameters?.id ?? '';
    const svc = deps.service;
    const here = `${base}/scim/v2/${idp.id}`;
    switch (`${method} ${route}`) {
      case 'GET /ServiceProviderConfig':
        return scimJson(200, serviceProviderConfig(here));
      case 'GET /ResourceTypes': {
        const all = resourceTypes(here);
        return scimJson(200, {
          schemas: [SCIM_SCHEMAS.listResponse],
          totalResults: all.length,
          startIndex: 1,
          itemsPerPage: all.length,
          Resources: all,
        });
      }
      case 'GET /ResourceTypes/{id}': {
        if (!RESOURCE_TYPES.has(id)) throw new ScimNotFoundError('ResourceType');
        return scimJson(
          200,
          resourceTypes(here).find((r) => r.id === id),
        );
      }
      case 'GET /Schemas': {
        const all = schemas(here);
        return scimJson(200, {
          schemas: [SCIM_SCHEMAS.listResponse],
          totalResults: all.length,
          startIndex: 1,
          itemsPerPage: all.length,
          Resources: all,
        });
      }
      case 'GET /Schemas/{id}': {
        const found = schemas(here).find((s) => s.id === id);
        if (!found) throw new ScimNotFoundError('Schema');
        return scimJson(200, found);
      }
      case 'GET /Users':
        return respond(await svc.listUsers(base, idp, listQuery(event)));
      case 'POST /Users':
        return respond(await svc.createUser(base, idp, parseScimBody(event)));
      case 'GET /Users/{id}':
        return respond(await svc.getUser(base, idp, id, listQuery(event)));
      case 'PUT /Users/{id}':
        return respond(await svc.replaceUser(base, idp, id, parseScimBody(event)));
      case 'PATCH /Users/{id}':
        return respond(await svc.patchUser(base, idp, id, parseScimBody(event)));
      case 'DELETE /Users/{id}':
        return respond(await svc.deleteUser(idp, id));
      case 'GET /Groups':
        return respond(await svc.listGroups(base, idp, listQuery(event)));
      case 'POST /Groups':
        return respond(await svc.createGroup(base, idp, parseScimBody(event)));
      case 'GET /Groups/{id}':
        return respond(await svc.getGroup(base, idp, id, listQuery(event)));
      case 'PUT /Groups/{id}':
        return respond(await svc.replaceGroup(base, idp, id, parseScimBody(event)));
      case 'PATCH /Groups/{id}':
        return respond(await svc.patchGroup(base, idp, id, parseScimBody(event), listQuery(event)));
      case 'DELETE /Groups/{id}':
        return respond(await svc.deleteGroup(idp, id));
      default:
        throw new ScimNotImplementedError(`${method} ${route}`);
    }
  };
};

/**
 * Turns the error middleware's JSON error into an RFC 7644 §3.12 error body (its onError runs
 * after the error middleware's, which chose the status and logged): `schemas`, `status` as a
 * string, `scimType` for protocol errors and `detail` (the error's safe description; a 5xx says
 * no more than `server_error`). 401 carries `WWW-Authenticate: Bearer`, 429 `Retry-After`.
 */
export const scimErrorBody = (): MiddlewareObj => ({
  onError: async (request: { response: unknown; error: unknown }) => {
    const res = request.response as HttpResponse | undefined;
    if (!res || typeof res !== 'object') return;
    const err = request.error;
    const known = err instanceof GatewayError && err.expose ? err : undefined;
    const status = res.statusCode;
    const scimType = err instanceof ScimError ? err.scimType : undefined;
    res.headers = { ...(res.headers ?? {}), 'content-type': SCIM_CONTENT_TYPE };
    if (status === 401) res.headers['www-authenticate'] = 'Bearer realm="fedgate-scim"';
    if (err instanceof ScimThrottledError)
      res.headers['retry-after'] = String(err.retryAfterSeconds);
    res.body = JSON.stringify({
      schemas: [SCIM_SCHEMAS.error],
      status: String(status),
      ...(scimType && (status === 400 || status === 409) ? { scimType } : {}),
      detail: known?.description ?? 'server_error: the request could not be completed.',
    });
  },
});
