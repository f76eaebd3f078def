/**
 * SSIM of two encoded images of the same size, over every channel they share (RGB, plus alpha
 * when both have it), 8×8 windows sliding by 4, the usual constants (K1 0.01, K2 0.03, L 255);
 * the mean over windows, then over channels. Used to check that a variant made from the mezzanine
 * looks like the same variant made from the original (bench/mezzanine-*.ts, cases/mezzanine.ts),
 * and, on luma planes, encoder quality (bench/encoders.ts).
 */
import sharp from 'sharp';

const WINDOW = 8;
const STEP = 4;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

async function pixels(image: Buffer, alpha: boolean) {
  const pipeline = sharp(image).toColourspace('srgb');
  const { data, info } = await (alpha ? pipeline.ensureAlpha() : pipeline.removeAlpha())
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** SSIM in [-1, 1]; 0 when the sizes differ (a different variant is not "the same image"). */
export async function ssim(a: Buffer, b: Buffer): Promise<number> {
  const [ma, mb] = await Promise.all([sharp(a).metadata(), sharp(b).metadata()]);
  const alpha = ma.hasAlpha && mb.hasAlpha;
  const [pa, pb] = await Promise.all([pixels(a, alpha), pixels(b, alpha)]);
  if (pa.width !== pb.width || pa.height !== pb.height) return 0;
  return ssimRaw(pa.data, pb.data, pa.width, pa.height, pa.channels);
}

/** SSIM of two interleaved rasters of the same shape (8-bit samples, or a float plane such as luma). */
export function ssimRaw(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
): number {
  let total = 0;
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let windows = 0;
    for (let y = 0; y + WINDOW <= height; y += STEP) {
      for (let x = 0; x + WINDOW <= width; x += STEP) {
        let sa = 0;
        let sb = 0;
        let saa = 0;
        let sbb = 0;
        let sab = 0;
        for (let dy = 0; dy < WINDOW; dy++) {
          let i = ((y + dy) * width + x) * channels + c;
          for (let dx = 0; dx < WINDOW; dx++, i += channels) {
            const va = a[i]!;
            const vb = b[i]!;
            sa += va;
            sb += vb;
            saa += va * va;
            sbb += vb * vb;
            sab += va * vb;
          }
        }
        const n = WINDOW * WINDOW;
        const ma = sa / n;
        const mb = sb / n;
        const va = saa / n - ma * ma;
        const vb = sbb / n - mb * mb;
        const cov = sab / n - ma * mb;
        sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
        windows++;
      }
    }
    total += windows ? sum / windows : 1;
  }
  return total / channels;
}
