/**
 * EAGER_PRESETS: after an upload, render the named presets in the background (background.ts) in
 * every format the edge may ask for them, into the variant caches (tier 1, and tier 2 when there
 * is a bucket, so any replica finds them), so the first view is a cache hit at the origin.
 *
 * "Every format": the preset's explicit `f` if it has one, else each capability class f=auto
 * negotiates (avif, webp, jpeg; shared/options/negotiate.ts). Each is keyed exactly as the edge's
 * later request is: the preset's canonical options and the class label (shared/options/format.ts),
 * the origin resolving the class against the source (alpha → png, animation → webp/gif) as it
 * would on request.
 */
import {
  type CompiledPreset,
  FORMAT_CLASSES,
  formatLabel,
  isExplicitFormat,
  parseOptions,
  type RequestedFormat,
} from '../../shared/options/index.js';
import type { BackgroundResult, BackgroundWork } from './background.js';
import type { VariantRequest, VariantService } from './service.js';

/** The formats a preset's variants are requested in through the edge. */
export function presetFormats(preset: CompiledPreset): RequestedFormat[] {
  const f = preset.options.f;
  return isExplicitFormat(f)
    ? [{ kind: 'explicit', format: f }]
    : FORMAT_CLASSES.map((c) => ({ kind: 'auto', class: c }) as const);
}

export class EagerPresets {
  constructor(
    private readonly deps: {
      presets: readonly CompiledPreset[];
      variantService: Pick<VariantService, 'warm'>;
      background: BackgroundWork;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.presets.length > 0;
  }

  /**
   * Queue every eager variant of a new image and return at once (the upload's answer never
   * waits). The promise, for tests, settles when they are all done, dropped or failed.
   */
  schedule(id: string, sha256: string): Promise<BackgroundResult[]> {
    const runs: Promise<BackgroundResult>[] = [];
    for (const preset of this.deps.presets) {
      // The options as the origin reads them from the edge's URL (the canonical form).
      const options = parseOptions(preset.canonical);
      for (const requested of presetFormats(preset)) {
        const req: VariantRequest = { id, options, canonical: preset.canonical, requested };
        const format = formatLabel(requested);
        runs.push(
          this.deps.background.submit('eager_preset', () => this.deps.variantService.warm(req, sha256), {
            avif: format === 'avif',
            context: { image_id: id, preset: preset.name, format },
          }),
        );
      }
    }
    return Promise.all(runs);
  }
}
