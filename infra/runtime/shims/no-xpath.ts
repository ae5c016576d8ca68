/**
 * Stands in for `xpath` in the Lambda bundles of functions that do not bundle samlify (an esbuild
 * alias: infra/cdk/function-bundling.ts). fedgate uses only xml-crypto's exclusive
 * canonicalizer, which never evaluates XPath, but xml-crypto's shared utils module requires the
 * whole XPath engine (~78 KiB) at load. If anything ever reaches it, it fails loudly rather than
 * quietly selecting nothing.
 */
const absent = (): never => {
  throw new Error('xpath is not bundled in this function (see infra/runtime/shims/no-xpath.ts)');
};

export const select = absent;
export const select1 = absent;
export const selectWithResolver = absent;
export const evaluate = absent;
export const useNamespaces = absent;
export const parse = absent;
