export { DEFAULT_SOURCE, locateSourceUrl, parseSources, type Sources, sourceUrl } from './config.js';
export {
  canonicalSourcePath,
  formatSourceRef,
  MAX_SOURCE_PATH,
  parseSourceRef,
  SOURCE_NAME,
  SOURCE_PREFIX,
  type SourceRef,
  sourceCacheTag,
} from './ref.js';
