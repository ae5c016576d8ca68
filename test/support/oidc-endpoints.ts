import {
  createOidcCallback,
  createOidcLogin,
  type OidcCallbackDeps,
  type OidcLoginDeps,
} from '../../shared/oidc/index.js';
import { createStaticSpaClients } from '../../shared/spa/index.js';

/**
 * Both relying-party endpoints over one set of dependencies, as the two functions build them
 * (oidc-login and oidc-callback), for tests that drive a login and its callback. Without
 * `spaClients`, no SPA client is registered.
 */
export const createOidcEndpoints = (
  deps: Omit<OidcLoginDeps & OidcCallbackDeps, 'spaClients'> &
    Partial<Pick<OidcLoginDeps, 'spaClients'>>,
) => {
  const all = { ...deps, spaClients: deps.spaClients ?? createStaticSpaClients([]) };
  const login = createOidcLogin(all);
  const callback = createOidcCallback(all);
  return {
    login: login.login,
    callback: callback.callback,
    steps: { login: login.steps, callback: callback.steps },
  };
};
