/**
 * Where a watermark goes in one output frame: its size (scale × the frame's width, the image's
 * aspect ratio kept, shrunk to fit the frame) and its top-left corner at the gravity, `margin`
 * pixels in from the edges the gravity names. With repeat the corner is the first tile's; tiles
 * follow every width + margin across and height + margin down. Pure: unit-testable, no sharp.
 */
import type { WatermarkPlan } from './types.js';

export interface WatermarkLayout {
  width: number;
  height: number;
  left: number;
  top: number;
}

export function layoutWatermark(
  plan: WatermarkPlan,
  frame: { width: number; height: number },
  image: { width: number; height: number },
): WatermarkLayout {
  let width = Math.max(1, Math.round(plan.scale * frame.width));
  let height = Math.max(1, Math.round((width * image.height) / image.width));
  if (height > frame.height) {
    width = Math.max(1, Math.round((width * frame.height) / height));
    height = frame.height;
  }
  width = Math.min(width, frame.width);
  if (plan.repeat) return { width, height, left: 0, top: 0 };
  const g = plan.gravity;
  const along = (start: boolean, end: boolean, size: number, room: number) => {
    const at = start ? plan.margin : end ? room - size - plan.margin : Math.round((room - size) / 2);
    return Math.min(Math.max(0, at), room - size);
  };
  return {
    width,
    height,
    left: along(g.endsWith('west'), g.endsWith('east'), width, frame.width),
    top: along(g.startsWith('north'), g.startsWith('south'), height, frame.height),
  };
}
