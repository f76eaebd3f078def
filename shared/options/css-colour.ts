/**
 * CSS colours as Cloudflare's `background` takes them (after percent-decoding): `#rgb`, `#rgba`,
 * `#rrggbb`, `#rrggbbaa`, a CSS colour name (lower case, from the color-name package, plus
 * `transparent`), `rgb(r,g,b)` and `rgba(r,g,b,a)` with integer channels 0..255 and alpha 0..1 (at
 * most 3 decimals), without spaces (Cloudflare URLs have none). The result is a hex text in
 * imgedge's `bg` grammar; anything else is undefined (the caller names it in a 400).
 */
import colours from 'color-name';

const HASH_HEX = /^#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;
const CHANNEL = '(0|[1-9][0-9]{0,2})';
const ALPHA = '(0|1)(?:\\.[0-9]{1,3})?';
const RGB = new RegExp(`^rgb\\(${CHANNEL},${CHANNEL},${CHANNEL}\\)$`);
const RGBA = new RegExp(`^rgba\\(${CHANNEL},${CHANNEL},${CHANNEL},(${ALPHA})\\)$`);

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

function fromChannels(r: string, g: string, b: string, alpha?: string): string | undefined {
  const rgb = [r, g, b].map(Number);
  if (rgb.some((c) => c > 255)) return undefined;
  const a = alpha === undefined ? 1 : Number(alpha);
  if (a > 1) return undefined;
  return rgb.map(hex2).join('') + (a === 1 ? '' : hex2(Math.round(a * 255)));
}

export function cssColourToHex(text: string): string | undefined {
  const hash = HASH_HEX.exec(text);
  if (hash) return hash[1];
  if (text === 'transparent') return '00000000';
  if (Object.hasOwn(colours, text)) return (colours[text] as readonly number[]).map(hex2).join('');
  const rgb = RGB.exec(text);
  if (rgb) return fromChannels(rgb[1] as string, rgb[2] as string, rgb[3] as string);
  const rgba = RGBA.exec(text);
  if (rgba) return fromChannels(rgba[1] as string, rgba[2] as string, rgba[3] as string, rgba[4]);
  return undefined;
}
