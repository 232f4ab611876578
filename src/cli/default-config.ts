/** Where Ferry looks for its config file when none is named. */
export const DEFAULT_CONFIG = 'config/ferry.yaml';
