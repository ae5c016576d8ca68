/**
 * How fedgate's functions are started in Lambda, in one place for the CDK app (which deploys it)
 * and the benchmark (which measures it).
 */
import { fileURLToPath } from 'node:url';

/** Memory size of every fedgate function (MB): Lambda gives CPU in proportion (~0.6 vCPU at 1024), and signing/verifying is CPU-bound. */
export const FUNCTION_MEMORY_MB = 1024;

/** The exec wrapper script (see the comment in the file), shipped next to each bundle. */
export const NODE_WRAPPER_FILE = fileURLToPath(new URL('./fedgate-node', import.meta.url));

/** Environment that makes Lambda start the runtime through the wrapper. */
export const NODE_WRAPPER_ENVIRONMENT = { AWS_LAMBDA_EXEC_WRAPPER: '/var/task/fedgate-node' };

/**
 * The heap flags Lambda's Node.js bootstrap passes for a memory size: a tenth of it as new
 * space (two semi-spaces), the rest as old space.
 */
export const lambdaBootstrapNodeArgs = (memoryMb: number): string[] => {
  const newSpace = Math.floor(memoryMb / 10);
  return [
    '--expose-gc',
    `--max-semi-space-size=${Math.floor(newSpace / 2)}`,
    `--max-old-space-size=${memoryMb - newSpace}`,
  ];
};
