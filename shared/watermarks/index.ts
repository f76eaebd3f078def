export {
  assertKnownWatermark,
  MAX_WATERMARK_MARGIN,
  parseWatermarks,
  WATERMARK_DEFAULTS,
  WATERMARK_GRAVITIES,
  type Watermark,
  type WatermarkGravity,
  type Watermarks,
} from './config.js';
