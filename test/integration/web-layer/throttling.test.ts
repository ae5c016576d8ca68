import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAGES } from '../../../infra/cdk/stages.js';
import { ROUTES } from '../../../infra/routes.js';
import { synthStage } from '../../infra/cdk/example-app.js';

/**
 * SECURITY.md §6 "throttling": read from the synthesized CloudFormation of the example stage (as
 * test/infra/cdk builds it, bundling skipped). API Gateway answers over-limit requests with 429
 * before any function runs; reserved concurrency caps what a flood can cost.
 */
const stage = STAGES.example!;
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked by shape
type Resource = { Type: string; Properties: Record<string, any> };
let resources: Resource[];

beforeAll(async () => {
  const app = await synthStage(stage, { nag: false });
  resources = Object.values(Template.fromStack(app.gateway).toJSON().Resources) as Resource[];
}, 180_000);

const ofType = (type: string) => resources.filter((r) => r.Type === type);

describe('throttling configured in the stack', () => {
  it('the stage throttles every route by default (rate and burst set, > 0)', () => {
    const [apiStage, ...more] = ofType('AWS::ApiGatewayV2::Stage');
    expect(more).toHaveLength(0);
    const d = apiStage?.Properties.DefaultRouteSettings;
    expect(d.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(d.ThrottlingBurstLimit).toBeGreaterThan(0);
  });

  it('every route that takes a signed response or issues credentials is throttled tighter', () => {
    const [apiStage] = ofType('AWS::ApiGatewayV2::Stage');
    const d = apiStage?.Properties.DefaultRouteSettings;
    const routes = apiStage?.Properties.RouteSettings as Record<
      string,
      { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }
    >;
    for (const key of [
      'POST /saml/{idp}/acs',
      'POST /signin/confirm',
      'POST /portal/open',
      'GET /portal/keys',
      'GET /oidc/{idp}/callback',
      'POST /redeem',
      'POST /credentials',
      'POST /grants',
    ]) {
      expect(routes[key], key).toBeDefined();
      expect(routes[key]?.ThrottlingRateLimit, key).toBeLessThan(d.ThrottlingRateLimit);
      expect(routes[key]?.ThrottlingBurstLimit, key).toBeLessThan(d.ThrottlingBurstLimit);
    }
    // every throttled key is a real route
    const keys = new Set(ROUTES.map((r) => r.routeKey));
    for (const key of Object.keys(routes)) expect(keys, key).toContain(key);
  });

  it('exactly the routes of infra/routes.ts exist: no $default, no ANY, no catch-all', () => {
    const deployed = ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey);
    expect([...deployed].sort()).toEqual(ROUTES.map((r) => r.routeKey).sort());
  });

  it('every function has reserved concurrency', () => {
    const fns = ofType('AWS::Lambda::Function').filter((f) =>
      String(f.Properties.Description ?? '').startsWith(`fedgate ${stage.name}: `),
    );
    expect(fns.length).toBeGreaterThan(0);
    for (const f of fns)
      expect(f.Properties.ReservedConcurrentExecutions, f.Properties.Description).toBe(
        stage.reservedConcurrency,
      );
  });

  it("the HTTP API has no CORS configuration: CORS is the SPA routes' own, per registered origin", () => {
    const [api] = ofType('AWS::ApiGatewayV2::Api');
    expect(api?.Properties.CorsConfiguration).toBeUndefined();
  });
});
