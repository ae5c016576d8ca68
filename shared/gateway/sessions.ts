import type { RuntimeConfig } from '../config/index.js';
import { DEFAULT_CONSOLE_DESTINATION, parseConsoleDestination } from '../console/index.js';
import type { AwsAccess } from '../handback/index.js';
import { publicUrl } from '../http/urls.js';
import type { Log } from '../log.js';
import { createMapperCache } from '../mapping/index.js';
import { createPortalActions, createPortalView, type PortalSettings } from '../portal/index.js';
import { createSessionService, type SessionService } from '../session/index.js';
import { createSignInCompletion, createSignInConfirmation } from '../signin/index.js';
import {
  type AttributeStore,
  createDynamoSessionStore,
  type DynamoPort,
  type StateStore,
} from '../store/index.js';

/**
 * Sessions on the state table, re-evaluated against the (cached) attribute table: the one
 * composition every function that reads or starts a session uses.
 */
export const createSessionsFor = ({
  config,
  dynamo,
  attributes,
  log,
}: {
  config: RuntimeConfig;
  dynamo: DynamoPort;
  attributes: AttributeStore;
  log: Log;
}): SessionService =>
  createSessionService({
    store: createDynamoSessionStore({ client: dynamo, tableName: config.stateTableName }),
    loadIdp: (id) => attributes.getIdp(id),
    mapperFor: createMapperCache(attributes),
    log,
  });

/** Completing sign-ins (the tail of every protocol) and the IdP-initiated confirmation. */
export const createSignInFor = ({
  config,
  attributes,
  state,
  sessions,
  access,
  log,
}: {
  config: RuntimeConfig;
  attributes: AttributeStore;
  state: StateStore;
  sessions: SessionService;
  access: AwsAccess;
  log: Log;
}) => {
  const complete = createSignInCompletion({
    sessions,
    mapperFor: createMapperCache(attributes),
    access,
    defaultDestination: new URL(DEFAULT_CONSOLE_DESTINATION),
    publicBaseUrl: config.publicBaseUrl,
    log,
  });
  const confirmation = createSignInConfirmation({
    state,
    loadIdp: (id) => attributes.getIdp(id),
    complete,
    parseDestination: (raw) => parseConsoleDestination(raw),
    publicBaseUrl: config.publicBaseUrl,
    log,
  });
  return { complete, confirmation };
};

/** The portal's settings from the attribute table's gateway settings item. */
export const portalSettingsFrom =
  (attributes: AttributeStore) => async (): Promise<PortalSettings> => {
    const { portal, support } = await attributes.getSettings();
    return {
      regions: portal.regions,
      defaultRegion: portal.defaultRegion ?? (portal.regions[0] as string),
      ...(support ? { support } : {}),
    };
  };

/** The access portal's page (read-only: the home function has no write access). */
export const createPortalViewFor = ({
  config,
  attributes,
  sessions,
  log,
}: {
  config: RuntimeConfig;
  attributes: AttributeStore;
  sessions: SessionService;
  log: Log;
}) =>
  createPortalView({
    sessions,
    settings: portalSettingsFrom(attributes),
    idpDisplayName: async (id) => (await attributes.getIdp(id))?.displayName ?? id,
    parseDestination: (raw) => parseConsoleDestination(raw),
    publicBaseUrl: config.publicBaseUrl,
    log,
  });

/** The access portal's actions over sessions and AWS access. */
export const createPortalActionsFor = ({
  config,
  attributes,
  sessions,
  access,
  log,
}: {
  config: RuntimeConfig;
  attributes: AttributeStore;
  sessions: SessionService;
  access: AwsAccess;
  log: Log;
}) =>
  createPortalActions({
    sessions,
    access,
    settings: portalSettingsFrom(attributes),
    parseDestination: (raw) => parseConsoleDestination(raw),
    publicBaseUrl: config.publicBaseUrl,
    log,
  });

/**
 * What every browser-facing function's error pages need: the operator's support contact (from
 * the cached gateway settings; left out if they cannot be read) and the sign-in page to go back to.
 */
export const errorPagesFor = ({
  config,
  attributes,
}: {
  config: RuntimeConfig;
  attributes: AttributeStore;
}) => ({
  support: async () => (await attributes.getSettings()).support,
  home: publicUrl(config.publicBaseUrl, '/'),
});
