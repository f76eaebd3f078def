/**
 * Background/flatten: composite transparency onto bg (or white) when the output format has no
 * alpha channel (jpeg), and whenever the client gives an opaque bg.
 */
import { isOpaque, opaque, parseBg, WHITE } from '../colour.js';
import { supportsAlpha } from '../output.js';
import type { Step } from '../types.js';

export const background: Step = ({ image, options, output }) => {
  const bg = options.bg === undefined ? undefined : parseBg(options.bg);
  const flatten = !supportsAlpha(output.format) || (bg !== undefined && isOpaque(bg));
  if (flatten) image.flatten({ background: bg === undefined ? WHITE : opaque(bg) });
};
