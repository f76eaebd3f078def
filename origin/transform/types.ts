/** Types of the transform pipeline: its public request/result and the context its steps share. */
import type { Sharp } from 'sharp';
import type { FormatClass } from '../../shared/options/negotiate.js';
import type { ImageOptions, OutputFormat } from '../../shared/options/types.js';
import type { Rgba } from './colour.js';
import type { ResizePlan } from './geometry.js';

export interface TransformLimits {
  /** Largest decoded pixel count: width × height × frames decoded. Default 50 000 000. */
  maxInputPixels: number;
  /** Processing timeout (sharp `.timeout`, whole seconds, rounded up). Default 30 000. */
  timeoutMs: number;
  /** Most frames an animated output keeps (MAX_ANIMATION_FRAMES). Default 200. */
  maxAnimationFrames: number;
  /** Largest output: width × height × frames kept (MAX_OUTPUT_PIXELS). Default 8192 × 8192. */
  maxOutputPixels: number;
}

export interface TransformRequest {
  /** The source: bytes, or the path of a stored original. */
  input: Buffer | string;
  options: ImageOptions;
  /** The edge's capability class, used when `options.f` is absent or `auto`. Default `jpeg`. */
  autoClass?: FormatClass;
  limits?: Partial<TransformLimits>;
  /**
   * Plan against these display dimensions instead of the input's: the input is a smaller
   * rendition (the mezzanine) of an original of this size, so the output is the one the original
   * would give. Only for an input that needs no orientation and holds enough pixels.
   */
  planAs?: { width: number; height: number };
}

export interface TransformResult {
  data: Buffer;
  format: OutputFormat;
  contentType: string;
  width: number;
  /** Height of one frame. */
  height: number;
  frames: number;
  hasAlpha: boolean;
  bytes: number;
}

export interface ProbeResult {
  /** sharp's decoder name (`jpeg`, `png`, `webp`, `gif`, `tiff`), with AV1 HEIF reported as `avif`. */
  format: string;
  /** Display width, EXIF orientation applied. */
  width: number;
  /** Display height of one frame, EXIF orientation applied. */
  height: number;
  /** Frames of an animated GIF/WebP, else 1. */
  frames: number;
  hasAlpha: boolean;
  /** The EXIF Orientation tag (1..8) when present. */
  orientation?: number;
}

/** What the pipeline knows about the source before decoding it (from its header). */
export interface SourceInfo {
  /** sharp's decoder name: jpeg, png, webp, gif, heif, tiff. */
  format: string;
  /** Display size of one frame (EXIF orientation applied). */
  width: number;
  height: number;
  /** Frames (animated GIF/WebP) or pages in the file. */
  pages: number;
  /** A GIF or WebP with more than one frame. */
  animated: boolean;
  hasAlpha: boolean;
  /** An embedded ICC profile is present. */
  hasProfile: boolean;
  orientation?: number;
}

/** What load decides once, before the pipeline is built (plan.ts); the steps only read it. */
export interface TransformPlan {
  /** Explicit f, or f=auto resolved; AVIF over AVIF_MAX_PIXELS of output is WebP. */
  readonly format: OutputFormat;
  /** Decode and encode every frame (animated source, anim on, webp/gif out, no single-frame op). */
  readonly keepFrames: boolean;
  /** The sharp resize box (in the axes sharp resizes in); undefined: no resize. */
  readonly resize: ResizePlan | undefined;
  /** Rotate and mirror before the resize (geometry.ts rotatesFirst). */
  readonly rotatesFirst: boolean;
  /** Composite transparency onto this colour (no alpha in the format, or an opaque bg); else keep it. */
  readonly flatten: Rgba | undefined;
  /** The `contain` padding. */
  readonly pad: Rgba;
}

/** The one object every step reads and configures. Steps only configure `image`: one pass. */
export interface TransformContext {
  readonly options: ImageOptions;
  readonly source: SourceInfo;
  readonly plan: TransformPlan;
  readonly image: Sharp;
}

export type Step = (ctx: TransformContext) => void;
