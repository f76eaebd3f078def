/** The image-options grammar of DESIGN.md ("Public URL grammar"): one parser for edge and origin. */

export { type MediaRange, parseAccept } from './accept.js';
export { canonicalize, normalizeOptions } from './canonical.js';
export {
  ACCEPT_CH,
  assertResolved,
  DPR_LADDER,
  FALLBACK_WIDTH,
  HINT_HEADERS,
  type ResolvedHints,
  resolveClientHints,
  SAVE_DATA_FACTOR,
  SAVE_DATA_QUALITY,
  usesClientHints,
  WIDTH_LADDER,
} from './client-hints.js';
export { CLOUDFLARE_OPTIONS, type CloudflareOption, parseCloudflareOptions } from './cloudflare.js';
export { CLOUDFLARE_PREFIX, parseCloudflareRequest } from './cloudflare-request.js';
export {
  FORMAT_PARAM,
  formatLabel,
  formatQuery,
  isExplicitFormat,
  isInfoRequest,
  parseRequestedFormat,
  type RequestedFormat,
  requestFormat,
} from './format.js';
export {
  FORMAT_CLASSES,
  type FormatClass,
  negotiateClass,
  negotiateFormat,
  resolveAutoFormat,
} from './negotiate.js';
export { type OptionEntries, type OptionsInput, parseOptions } from './parse.js';
export {
  type CompiledPreset,
  CompiledPresets,
  compilePreset,
  compilePresets,
  DEFAULT_PRESETS,
  InvalidPresetError,
  PRESET_NAME,
  type Presets,
  parsePresetsJson,
} from './presets.js';
export {
  canonicalPathOf,
  EXPIRES_PARAM,
  type IdImageRequest,
  IMAGE_ID,
  type ImageRequest,
  type ImageTarget,
  parseImageRequest,
  SIGNATURE_PARAM,
  type SourceImageRequest,
  targetOf,
  withOptions,
} from './request.js';
export { OPTION_DEFAULTS, OPTION_KEYS, OPTION_SPECS, type OptionKey, type OptionSpec } from './spec.js';
export * from './types.js';
export { parseFocalPoint } from './values.js';
