/** Types of the transform pipeline: its public request/result and the context its steps share. */
import type { Sharp } from 'sharp';
import type { FormatClass } from '../../shared/options/negotiate.js';
import type { ImageOptions, OutputFormat } from '../../shared/options/types.js';
import type { Watermark } from '../../shared/watermarks/index.js';
import type { OutsideEncoder } from './avif-encoders.js';
import type { Rgba } from './colour.js';
import type { ExtractBox, ResizePlan, Size } from './geometry.js';

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
  /** The watermark `options.wm` names, ready to draw (origin/watermarks/library.ts). */
  watermark?: WatermarkInput;
  /**
   * Plan against these display dimensions instead of the input's: the input is a smaller
   * rendition (the mezzanine) of an original of this size, so the output is the one the original
   * would give. Only for an input that needs no orientation and holds enough pixels, whose pixels
   * are sRGB, tagged with the compact sRGB profile when the original carried a profile (kept as is:
   * steps/colour-space.ts).
   */
  planAs?: { width: number; height: number };
  /**
   * Where AVIF outputs are encoded instead of this process (avif-encoders.ts): the pipeline makes
   * the pixels here and hands them over. Absent: in process.
   */
  avifEncoder?: OutsideEncoder;
}

/** How a watermark is drawn: its definition less what names it. */
export type WatermarkPlan = Pick<Watermark, 'gravity' | 'opacity' | 'scale' | 'margin' | 'repeat'>;

/** A watermark's pixels, as the pipeline asks for them (decoded once, cached by the library). */
export interface WatermarkInput {
  readonly definition: WatermarkPlan;
  /** The decoded watermark image's size: its aspect ratio sizes the overlay. */
  size(): Promise<{ width: number; height: number }>;
  /** The image at width × height, opacity applied: raw RGBA, not premultiplied. */
  pixels(width: number, height: number): Promise<Buffer>;
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
  /** Per-frame delays (ms) and loop count of an animation, for an encode that re-reads raw frames. */
  delay?: number[];
  loop?: number;
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
  /** The `crop` region, in the frame sharp extracts it from (region.ts); undefined: none. */
  readonly crop: ExtractBox | undefined;
  /** The sharp resize box (in the axes sharp resizes in); undefined: no resize. */
  readonly resize: ResizePlan | undefined;
  /** `pad` in output pixels (dpr applied), added after everything else; undefined: none. */
  readonly padding: Padding | undefined;
  /** One output frame (final axes, padding included); an upper bound when trim shrinks the image. */
  readonly output: Size;
  /** Rotate and mirror before the resize (geometry.ts rotatesFirst). */
  readonly rotatesFirst: boolean;
  /** Composite transparency onto this colour (no alpha in the format, or an opaque bg); else keep it. */
  readonly flatten: Rgba | undefined;
  /** The colour of the `contain` padding and of `pad`. */
  readonly pad: Rgba;
  /** The watermark to composite after resize, before encode (steps/watermark.ts); none: undefined. */
  readonly watermark: WatermarkPlan | undefined;
}

/** Pixels added on each side of the output. */
export interface Padding {
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}

/** The one object every step reads and configures. Steps only configure `image`: one pass. */
export interface TransformContext {
  readonly options: ImageOptions;
  readonly source: SourceInfo;
  readonly plan: TransformPlan;
  /** Replaced once, by the watermark step, which continues on the pixels made so far. */
  image: Sharp;
  readonly watermark: WatermarkInput | undefined;
  readonly limits: TransformLimits;
  /**
   * The encode happens outside this process (TransformRequest.avifEncoder): the pipeline ends in
   * raw pixels, without the output profile, which the encoder attaches.
   */
  readonly encodeOutside: boolean;
  /** The input stands for the original (TransformRequest.planAs): sRGB pixels, any profile the sRGB one. */
  readonly standIn: boolean;
}

/** Steps configure `image`; only the watermark step awaits (it needs the output's real size). */
export type Step = (ctx: TransformContext) => void | Promise<void>;
