import { allCustomMatcherWithAliases } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

// aws-sdk-client-mock matchers (toReceiveCommandWith, …) for AWS adapter unit tests.
expect.extend(allCustomMatcherWithAliases);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
