/**
 * An image's stored focal point (issue 13): where its subject is, as fractions of its width and
 * height (0 left/top .. 1 right/bottom). A cover or crop variant whose URL gives no gravity is
 * cropped around it, as if the URL said `g=<x>x<y>` (variants/stored-focal.ts). Set and cleared
 * with `PATCH /api/v1/images/:id` `{"focal": {"x": 0.3, "y": 0.6}}` / `{"focal": null}`.
 */
import { z } from 'zod';
import { ImgedgeError } from '../../shared/errors.js';
import type { FocalPoint } from '../../shared/options/types.js';

export interface Focal {
  x: number;
  y: number;
}

/** Decimals kept: the URL grammar's (`g=0.333x0.5`), so a stored point is always a valid `g`. */
const DECIMALS = 3;

const fraction = z
  .number()
  .min(0)
  .max(1)
  .transform((n) => Math.round(n * 10 ** DECIMALS) / 10 ** DECIMALS);

/** The body of PATCH /images/:id; every member optional (an empty object changes nothing). */
const ImagePatch = z.strictObject({
  focal: z.strictObject({ x: fraction, y: fraction }).nullable().optional(),
});
export type ImagePatch = z.infer<typeof ImagePatch>;

/** A merge patch (RFC 7396) is what the body is; plain JSON is accepted as well. */
const PATCH_TYPES = ['application/json', 'application/merge-patch+json'];

/**
 * The PATCH body, validated: 415 `unsupported_media_type` unless JSON, 400 `invalid_request`
 * naming the first bad member (`field`) otherwise.
 */
export async function readImagePatch(req: Request): Promise<ImagePatch> {
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!PATCH_TYPES.includes(type)) {
    throw new ImgedgeError('unsupported_media_type', `The body must be ${PATCH_TYPES.join(' or ')}`, {
      extra: { accepted: PATCH_TYPES },
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    throw new ImgedgeError('invalid_request', 'The body is not valid JSON');
  }
  const parsed = ImagePatch.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join('.') || '(body)';
    throw new ImgedgeError(
      'invalid_request',
      `${field}: ${issue.message}; focal is null or {"x", "y"}, each a number from 0 to 1`,
      { extra: { field } },
    );
  }
  return parsed.data;
}

/** The point as the URL's gravity text (`0.3x0.6`); canonical since it has at most 3 decimals. */
export function focalGravity(focal: Focal): FocalPoint {
  return `${focal.x}x${focal.y}`;
}

export function sameFocal(a: Focal | null, b: Focal | null): boolean {
  return a === b || (a !== null && b !== null && a.x === b.x && a.y === b.y);
}
