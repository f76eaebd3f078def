/**
 * The Cloudflare form, as a table built from Cloudflare's documented examples (Images → Features,
 * Transform via URL): each `/cdn-cgi/image/…` URL → the imgedge canonical path it must share a
 * cache entry with, and the URLs that must be refused (with the key the 400 names). Then
 * properties: every spelling of the same Cloudflare options lands on one canonical path, equal to
 * the imgedge form's; hostile input only ever fails with an ImgedgeError.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, ImgedgeError } from '../../../shared/errors.js';
import {
  canonicalize,
  compilePresets,
  type ImageOptions,
  parseCloudflareOptions,
  parseCloudflareRequest,
  parseImageRequest,
} from '../../../shared/options/index.js';
import { parseSources } from '../../../shared/sources/index.js';

const SOURCES = parseSources(
  JSON.stringify({
    default: 'https://www.example.com/',
    s3: 'https://s3.example.com/bucket/',
    shop: 'https://www.example.com/shop/',
  }),
);
const none = new URLSearchParams();

function cdnCgi(url: string) {
  const u = new URL(url, 'https://www.example.com');
  return parseCloudflareRequest(u.pathname.slice('/cdn-cgi/image/'.length), u.searchParams, SOURCES);
}

function failure(fn: () => unknown): ImgedgeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ImgedgeError) return err;
    throw err;
  }
  throw new Error('expected an ImgedgeError, but the input was accepted');
}

/** [Cloudflare URL (as documented, or built from a documented option), imgedge canonical path]. */
const DOCUMENTED: [string, string][] = [
  // Transform via URL: the URL format and its two examples.
  ['/cdn-cgi/image/width=80,quality=75/uploads/avatar1.jpg', '/img/w=80,q=75/@default/uploads/avatar1.jpg'],
  ['/cdn-cgi/image/width=100/https://s3.example.com/bucket/image.png', '/img/w=100/@s3/image.png'],
  // width=auto (client hints) and format=json (imgedge's own document)
  ['/cdn-cgi/image/width=auto/a.jpg', '/img/w=auto/@default/a.jpg'],
  ['/cdn-cgi/image/width=auto,format=json/a.jpg', '/img/w=auto,f=json/@default/a.jpg'],
  // anim
  ['/cdn-cgi/image/anim=false/a.gif', '/img/anim=0/@default/a.gif'],
  ['/cdn-cgi/image/anim=true/a.gif', '/img/@default/a.gif'],
  // background: %23RRGGBB, a CSS name, rgb() with encoded punctuation, rgba()
  ['/cdn-cgi/image/background=%23ff0000/a.png', '/img/bg=ff0000/@default/a.png'],
  ['/cdn-cgi/image/background=red/a.png', '/img/bg=ff0000/@default/a.png'],
  ['/cdn-cgi/image/background=rgb%28240%2C40%2C145%29/a.png', '/img/bg=f02891/@default/a.png'],
  ['/cdn-cgi/image/background=rgba%28240%2C40%2C145%2C0%29/a.png', '/img/bg=f0289100/@default/a.png'],
  ['/cdn-cgi/image/background=rgba%28250%2C40%2C145%2C0.5%29/a.png', '/img/bg=fa289180/@default/a.png'],
  ['/cdn-cgi/image/background=%23FFF/a.png', '/img/bg=ffffff/@default/a.png'],
  // blur (0 is none)
  ['/cdn-cgi/image/blur=50/a.jpg', '/img/blur=50/@default/a.jpg'],
  ['/cdn-cgi/image/blur=0/a.jpg', '/img/@default/a.jpg'],
  // dpr (1 is the default) and the documented srcset example
  ['/cdn-cgi/image/dpr=1/a.jpg', '/img/@default/a.jpg'],
  ['/cdn-cgi/image/width=300,height=200,dpr=2/a.jpg', '/img/w=300,h=200,dpr=2/@default/a.jpg'],
  // fit: Cloudflare's meanings on imgedge's fits (scale-down is imgedge's default)
  ['/cdn-cgi/image/fit=scale-down,width=500,height=500/a.jpg', '/img/w=500,h=500/@default/a.jpg'],
  ['/cdn-cgi/image/fit=contain,width=500,height=500/a.jpg', '/img/w=500,h=500,enlarge=1/@default/a.jpg'],
  [
    '/cdn-cgi/image/fit=cover,width=500,height=500/a.jpg',
    '/img/w=500,h=500,fit=cover,enlarge=1/@default/a.jpg',
  ],
  ['/cdn-cgi/image/fit=crop,width=1296,height=1296/a.jpg', '/img/w=1296,h=1296,fit=crop/@default/a.jpg'],
  [
    '/cdn-cgi/image/fit=aspect-crop,width=1920,height=1120/a.jpg',
    '/img/w=1920,h=1120,fit=cover/@default/a.jpg',
  ],
  [
    '/cdn-cgi/image/fit=pad,width=1080,height=1080/a.jpg',
    '/img/w=1080,h=1080,fit=contain,bg=ffffff,enlarge=1/@default/a.jpg',
  ],
  [
    '/cdn-cgi/image/fit=pad,width=1080,height=1080,background=red/a.jpg',
    '/img/w=1080,h=1080,fit=contain,bg=ff0000,enlarge=1/@default/a.jpg',
  ],
  [
    '/cdn-cgi/image/fit=squeeze,width=1080,height=540/a.jpg',
    '/img/w=1080,h=540,fit=fill,enlarge=1/@default/a.jpg',
  ],
  // Recommended sizes: "fit=scale-down,width=1920"
  ['/cdn-cgi/image/fit=scale-down,width=1920/a.jpg', '/img/w=1920/@default/a.jpg'],
  // flip, and flip before rotate (Cloudflare's order): h then 90° is imgedge's 90° then v
  ['/cdn-cgi/image/flip=h/a.jpg', '/img/flip=h/@default/a.jpg'],
  ['/cdn-cgi/image/flip=h,rotate=90/a.jpg', '/img/rot=90,flip=v/@default/a.jpg'],
  ['/cdn-cgi/image/rotate=270,flip=v/a.jpg', '/img/rot=270,flip=h/@default/a.jpg'],
  ['/cdn-cgi/image/flip=hv,rotate=90/a.jpg', '/img/rot=90,flip=hv/@default/a.jpg'],
  ['/cdn-cgi/image/flip=h,rotate=180/a.jpg', '/img/rot=180,flip=h/@default/a.jpg'],
  // format / f
  ['/cdn-cgi/image/format=auto/a.jpg', '/img/@default/a.jpg'],
  ['/cdn-cgi/image/f=auto/a.jpg', '/img/@default/a.jpg'],
  ['/cdn-cgi/image/format=avif/a.jpg', '/img/f=avif/@default/a.jpg'],
  ['/cdn-cgi/image/format=webp/a.jpg', '/img/f=webp/@default/a.jpg'],
  ['/cdn-cgi/image/format=jpeg/a.jpg', '/img/f=jpeg/@default/a.jpg'],
  ['/cdn-cgi/image/f=png/a.jpg', '/img/f=png/@default/a.jpg'],
  // gravity / g: auto, sides, XxY (0.5x0.5 is the default centre)
  [
    '/cdn-cgi/image/gravity=auto,fit=crop,w=100,h=100/a.jpg',
    '/img/w=100,h=100,fit=crop,g=attention/@default/a.jpg',
  ],
  ['/cdn-cgi/image/g=auto/a.jpg', '/img/g=attention/@default/a.jpg'],
  ['/cdn-cgi/image/gravity=left/a.jpg', '/img/g=west/@default/a.jpg'],
  ['/cdn-cgi/image/gravity=right/a.jpg', '/img/g=east/@default/a.jpg'],
  ['/cdn-cgi/image/gravity=top/a.jpg', '/img/g=north/@default/a.jpg'],
  [
    '/cdn-cgi/image/gravity=bottom,fit=crop,width=1080,height=400/a.jpg',
    '/img/w=1080,h=400,fit=crop,g=south/@default/a.jpg',
  ],
  ['/cdn-cgi/image/gravity=0x1/a.jpg', '/img/g=0x1/@default/a.jpg'],
  ['/cdn-cgi/image/gravity=0.5x1/a.jpg', '/img/g=0.5x1/@default/a.jpg'],
  ['/cdn-cgi/image/gravity=0.5x0.33/a.jpg', '/img/g=0.5x0.33/@default/a.jpg'],
  ['/cdn-cgi/image/gravity=0.5x0.5/a.jpg', '/img/@default/a.jpg'],
  [
    '/cdn-cgi/image/g=0.33x0.5,fit=cover,w=300,h=900/a.jpg',
    '/img/w=300,h=900,fit=cover,g=0.33x0.5,enlarge=1/@default/a.jpg',
  ],
  // height / h, width / w
  ['/cdn-cgi/image/height=250/a.jpg', '/img/h=250/@default/a.jpg'],
  ['/cdn-cgi/image/h=250/a.jpg', '/img/h=250/@default/a.jpg'],
  ['/cdn-cgi/image/width=250/a.jpg', '/img/w=250/@default/a.jpg'],
  ['/cdn-cgi/image/w=250/a.jpg', '/img/w=250/@default/a.jpg'],
  // metadata: imgedge strips always (copyright, Cloudflare's default, is served stripped too)
  ['/cdn-cgi/image/metadata=none/a.jpg', '/img/@default/a.jpg'],
  ['/cdn-cgi/image/metadata=copyright,width=10/a.jpg', '/img/w=10/@default/a.jpg'],
  // onerror changes no pixel: the same cache entry
  ['/cdn-cgi/image/onerror=redirect,width=10/a.jpg', '/img/w=10/@default/a.jpg'],
  // quality / q
  ['/cdn-cgi/image/quality=50/a.jpg', '/img/q=50/@default/a.jpg'],
  ['/cdn-cgi/image/q=50/a.jpg', '/img/q=50/@default/a.jpg'],
  // rotate, sharpen, trim=border
  ['/cdn-cgi/image/rotate=90/a.jpg', '/img/rot=90/@default/a.jpg'],
  ['/cdn-cgi/image/rotate=0/a.jpg', '/img/@default/a.jpg'],
  ['/cdn-cgi/image/sharpen=2/a.jpg', '/img/sharpen=2/@default/a.jpg'],
  ['/cdn-cgi/image/sharpen=0.5/a.jpg', '/img/sharpen=0.5/@default/a.jpg'],
  ['/cdn-cgi/image/trim=border/a.jpg', '/img/trim=10/@default/a.jpg'],
  // trim.left/top/width/height: the region kept, imgedge's crop (all four, in any order)
  [
    '/cdn-cgi/image/trim.left=30,trim.top=40,trim.width=678,trim.height=500/a.jpg',
    '/img/crop=30:40:678:500/@default/a.jpg',
  ],
  [
    '/cdn-cgi/image/trim.height=5,width=10,trim.width=6,trim.top=0,trim.left=1/a.jpg',
    '/img/w=10,crop=1:0:6:5/@default/a.jpg',
  ],
  // The source: a path (with or without a leading slash, percent-encoding folded), or a URL
  ['/cdn-cgi/image/width=10//uploads/a.jpg', '/img/w=10/@default/uploads/a.jpg'],
  ['/cdn-cgi/image/width=10/uploads/a%2Db%20c.jpg', '/img/w=10/@default/uploads/a-b%20c.jpg'],
  ['/cdn-cgi/image/width=10/https://www.example.com/uploads/a.jpg', '/img/w=10/@default/uploads/a.jpg'],
  ['/cdn-cgi/image/width=10/https://WWW.EXAMPLE.COM:443/uploads/./a.jpg', '/img/w=10/@default/uploads/a.jpg'],
  ['/cdn-cgi/image/width=10/HTTPS://www.example.com/uploads/a.jpg', '/img/w=10/@default/uploads/a.jpg'],
  ['/cdn-cgi/image/width=10/https:/www.example.com/uploads/a.jpg', '/img/w=10/@default/uploads/a.jpg'],
  // The longest base wins.
  ['/cdn-cgi/image/width=10/https://www.example.com/shop/b.jpg', '/img/w=10/@shop/b.jpg'],
  ['/cdn-cgi/image/width=10/shop/b.jpg', '/img/w=10/@default/shop/b.jpg'],
];

/** [Cloudflare URL, code, key the 400 names (null: none)]. */
const REFUSED: [string, ErrorCode, string | null][] = [
  // Documented Cloudflare options and values imgedge does not support
  ['/cdn-cgi/image/dpr=auto/a.jpg', 'invalid_option', 'dpr'],
  ['/cdn-cgi/image/quality=high/a.jpg', 'invalid_option', 'q'],
  ['/cdn-cgi/image/quality=medium-low/a.jpg', 'invalid_option', 'q'],
  ['/cdn-cgi/image/format=baseline-jpeg/a.jpg', 'invalid_option', 'f'],
  ['/cdn-cgi/image/gravity=face/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/metadata=keep/a.jpg', 'invalid_option', 'metadata'],
  ['/cdn-cgi/image/trim=20;30;20;0/a.jpg', 'invalid_option', 'trim'],
  // A region needs all four of trim.left, trim.top, trim.width, trim.height
  ['/cdn-cgi/image/trim.width=678/a.jpg', 'invalid_option', 'crop'],
  ['/cdn-cgi/image/trim.left=30/a.jpg', 'invalid_option', 'crop'],
  ['/cdn-cgi/image/trim.left=3,trim.top=4,trim.width=6/a.jpg', 'invalid_option', 'crop'],
  ['/cdn-cgi/image/trim.left=3,trim.top=4,trim.width=0,trim.height=1/a.jpg', 'invalid_option', 'crop'],
  ['/cdn-cgi/image/trim.left=-3,trim.top=4,trim.width=1,trim.height=1/a.jpg', 'invalid_option', 'crop'],
  ['/cdn-cgi/image/trim.left=1%3A2,trim.top=4,trim.width=1,trim.height=1/a.jpg', 'invalid_option', 'crop'],
  ['/cdn-cgi/image/trim.left=1,trim.left=2/a.jpg', 'invalid_option', 'crop'],
  [
    '/cdn-cgi/image/trim=border,trim.left=1,trim.top=1,trim.width=1,trim.height=1/a.jpg',
    'invalid_option',
    'crop',
  ],
  ['/cdn-cgi/image/trim.border.color=%23fff/a.jpg', 'invalid_option', 'trim.border.color'],
  ['/cdn-cgi/image/brightness=0.5/a.jpg', 'invalid_option', 'brightness'],
  ['/cdn-cgi/image/contrast=0.5/a.jpg', 'invalid_option', 'contrast'],
  ['/cdn-cgi/image/gamma=0.5/a.jpg', 'invalid_option', 'gamma'],
  ['/cdn-cgi/image/saturation=0/a.jpg', 'invalid_option', 'saturation'],
  ['/cdn-cgi/image/segment=foreground/a.jpg', 'invalid_option', 'segment'],
  ['/cdn-cgi/image/zoom=0.1/a.jpg', 'invalid_option', 'zoom'],
  ['/cdn-cgi/image/compression=fast/a.jpg', 'invalid_option', 'compression'],
  ['/cdn-cgi/image/slow-connection-quality=50/a.jpg', 'invalid_option', 'slow-connection-quality'],
  ['/cdn-cgi/image/scq=50/a.jpg', 'invalid_option', 'scq'],
  ['/cdn-cgi/image/border=1/a.jpg', 'invalid_option', 'border'],
  // Out of range or not Cloudflare's spelling
  ['/cdn-cgi/image/width=0/a.jpg', 'invalid_option', 'w'],
  ['/cdn-cgi/image/width=9000/a.jpg', 'invalid_option', 'w'],
  ['/cdn-cgi/image/height=-1/a.jpg', 'invalid_option', 'h'],
  ['/cdn-cgi/image/width=1e3/a.jpg', 'invalid_option', 'w'],
  ['/cdn-cgi/image/fit=fill/a.jpg', 'invalid_option', 'fit'],
  ['/cdn-cgi/image/fit=inside/a.jpg', 'invalid_option', 'fit'],
  ['/cdn-cgi/image/gravity=north/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/gravity=center/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/gravity=attention/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/gravity=1.5x0.5/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/gravity=0.5/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/format=gif/a.jpg', 'invalid_option', 'f'],
  ['/cdn-cgi/image/format=AVIF/a.jpg', 'invalid_option', 'f'],
  ['/cdn-cgi/image/anim=0/a.jpg', 'invalid_option', 'anim'],
  ['/cdn-cgi/image/rotate=45/a.jpg', 'invalid_option', 'rot'],
  ['/cdn-cgi/image/flip=x/a.jpg', 'invalid_option', 'flip'],
  ['/cdn-cgi/image/blur=251/a.jpg', 'invalid_option', 'blur'],
  ['/cdn-cgi/image/dpr=5/a.jpg', 'invalid_option', 'dpr'],
  ['/cdn-cgi/image/quality=0/a.jpg', 'invalid_option', 'q'],
  ['/cdn-cgi/image/sharpen=11/a.jpg', 'invalid_option', 'sharpen'],
  ['/cdn-cgi/image/background=notacolour/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/background=%2312345/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/background=rgb%28256%2C0%2C0%29/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/background=rgba%281%2C2%2C3%2C1.5%29/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/background=RED/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/background=%zz/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/background=toString/a.jpg', 'invalid_option', 'bg'],
  ['/cdn-cgi/image/onerror=ignore/a.jpg', 'invalid_option', 'onerror'],
  ['/cdn-cgi/image/metadata=all/a.jpg', 'invalid_option', 'metadata'],
  ['/cdn-cgi/image/trim=5/a.jpg', 'invalid_option', 'trim'],
  // The grammar itself
  ['/cdn-cgi/image/foo=1/a.jpg', 'invalid_option', 'foo'],
  ['/cdn-cgi/image/enlarge=1/a.jpg', 'invalid_option', 'enlarge'],
  ['/cdn-cgi/image/sig=abc/a.jpg', 'invalid_option', 'sig'],
  ['/cdn-cgi/image/__proto__=1/a.jpg', 'invalid_option', '__proto__'],
  ['/cdn-cgi/image/fit=__proto__/a.jpg', 'invalid_option', 'fit'],
  ['/cdn-cgi/image/fit=toString/a.jpg', 'invalid_option', 'fit'],
  ['/cdn-cgi/image/Width=10/a.jpg', 'invalid_option', 'Width'],
  ['/cdn-cgi/image/w=1,width=2/a.jpg', 'invalid_option', 'w'],
  ['/cdn-cgi/image/g=auto,gravity=left/a.jpg', 'invalid_option', 'g'],
  ['/cdn-cgi/image/metadata=none,metadata=none/a.jpg', 'invalid_option', 'metadata'],
  ['/cdn-cgi/image/width=1,,height=1/a.jpg', 'invalid_option', null],
  ['/cdn-cgi/image/width/a.jpg', 'invalid_option', 'width'],
  ['/cdn-cgi/image//a.jpg', 'invalid_option', null],
  // The source
  ['/cdn-cgi/image/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/', 'not_found', null],
  ['/cdn-cgi/image/width=10/https://evil.example/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/http://www.example.com/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/https://www.example.com.evil.example/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/https://www.example.com@evil.example/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/https://s3.example.com/bucketx/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/https://s3.example.com/a.jpg', 'not_found', null],
  ['/cdn-cgi/image/width=10/ftp://www.example.com/a.jpg', 'invalid_request', null],
  ['/cdn-cgi/image/width=10/https://s3.example.com/bucket/..%2Fsecret', 'invalid_request', null],
  ['/cdn-cgi/image/width=10/a%2F..%2F..%2Fetc%2Fpasswd', 'invalid_request', null],
  ['/cdn-cgi/image/width=10/a//b.jpg', 'invalid_request', null],
  ['/cdn-cgi/image/width=10/a.jpg?v=2', 'invalid_request', 'v'],
  ['/cdn-cgi/image/width=10/a.jpg?sig=a&sig=b', 'invalid_signature', null],
];

describe("Cloudflare's documented URLs map onto the imgedge canonical path", () => {
  it.each(DOCUMENTED)('%s → %s', (url, canonicalPath) => {
    const request = cdnCgi(url);
    expect(request.canonicalPath).toBe(canonicalPath);
    expect(request.signedPath).toBe(canonicalPath);
    // The imgedge form of the same image is the same request (one cache entry, one signature).
    const imgedge = parseImageRequest(canonicalPath.slice('/img'.length), none, {}, SOURCES);
    expect(imgedge.canonicalPath).toBe(canonicalPath);
    expect(imgedge.options).toStrictEqual(request.options);
    expect(imgedge.source).toStrictEqual(request.source);
    expect(request.presetsFree).toBe(imgedge.presetsFree);
  });

  it('/cdn-cgi/image/width=800,format=auto/<path> is /img/w=800/@default/<path>', () => {
    const cf = cdnCgi('/cdn-cgi/image/width=800,format=auto/products/shoe.jpg');
    const img = parseImageRequest('/w=800/@default/products/shoe.jpg', none, {}, SOURCES);
    expect(cf.canonicalPath).toBe('/img/w=800/@default/products/shoe.jpg');
    expect(cf).toStrictEqual(img);
  });

  it('onerror=redirect is carried on the request, not in the options', () => {
    expect(cdnCgi('/cdn-cgi/image/onerror=redirect,w=10/a.jpg').onerror).toBe('redirect');
    expect(cdnCgi('/cdn-cgi/image/w=10/a.jpg').onerror).toBeUndefined();
    expect(parseCloudflareOptions('onerror=redirect')).toEqual({ options: {}, onerror: 'redirect' });
  });

  it('keeps sig out of the options, as the imgedge form does', () => {
    const request = cdnCgi('/cdn-cgi/image/width=10/a.jpg?sig=abc');
    expect(request.signature).toBe('abc');
    expect(request.canonicalPath).toBe('/img/w=10/@default/a.jpg');
  });
});

describe('refused Cloudflare URLs', () => {
  it.each(REFUSED)('%s → %s (key %s)', (url, code, key) => {
    const err = failure(() => cdnCgi(url));
    expect(err.code).toBe(code);
    if (key !== null) expect(err.extra.key).toBe(key);
    expect(err.message.length).toBeLessThan(500);
  });

  it('says why an unsupported option or value is refused', () => {
    expect(failure(() => parseCloudflareOptions('gravity=face')).message).toBe(
      '"gravity=face" is not supported: imgedge has no face detection; gravity=auto crops to what is salient',
    );
    expect(failure(() => parseCloudflareOptions('metadata=keep')).message).toContain('strips all metadata');
    const unknown = failure(() => parseCloudflareOptions('crop=1'));
    expect(unknown.message).toContain('unknown Cloudflare option "crop"; options are anim, background');
    expect(unknown.message).not.toContain('brightness');
  });

  it('names what a Cloudflare option accepts, in its own terms', () => {
    expect(failure(() => parseCloudflareOptions('width=abc')).message).toBe(
      'width (w) must be an integer from 1 to 8192 or auto, got "abc"',
    );
    const fit = failure(() => parseCloudflareOptions('fit=fill'));
    expect(fit.extra).toEqual({
      key: 'fit',
      value: 'fill',
      allowed: 'scale-down|contain|cover|crop|pad|squeeze|aspect-crop',
    });
    expect(failure(() => parseCloudflareOptions('anim=1')).message).toBe(
      'anim must be true or false, got "1"',
    );
    expect(failure(() => parseCloudflareOptions('onerror=x')).extra).toEqual({
      key: 'onerror',
      value: 'x',
      allowed: 'redirect',
    });
    expect(failure(() => parseCloudflareOptions('w=1,width=2')).message).toBe(
      'width (w) is given more than once (second value "2"); each option may appear once',
    );
  });

  it('needs no source defined but default for a path, and default for a relative one', () => {
    const noDefault = parseSources('{"s3":"https://s3.example.com/bucket/"}');
    const err = failure(() => parseCloudflareRequest('width=1/a.jpg', none, noDefault));
    expect(err.code).toBe('not_found');
    expect(
      parseCloudflareRequest('width=1/https://s3.example.com/bucket/a.jpg', none, noDefault).source,
    ).toEqual({
      source: 's3',
      path: 'a.jpg',
    });
  });
});

/** A Cloudflare spelling of one option and the imgedge options it must mean (written out here). */
interface CfSpelled {
  key: string;
  text: string;
  means: ImageOptions;
}

const int = (min: number, max: number) => fc.integer({ min, max });
const fraction = fc.integer({ min: 0, max: 1000 }).map((m) => m / 1000);

const CF_OPTIONS: fc.Arbitrary<CfSpelled>[] = [
  fc
    .tuple(fc.constantFrom('width', 'w'), int(1, 8192))
    .map(([k, n]) => ({ key: 'w', text: `${k}=${n}`, means: { w: n } })),
  fc
    .tuple(fc.constantFrom('height', 'h'), int(1, 8192))
    .map(([k, n]) => ({ key: 'h', text: `${k}=${n}`, means: { h: n } })),
  fc
    .tuple(fc.constantFrom('quality', 'q'), int(1, 100))
    .map(([k, n]) => ({ key: 'q', text: `${k}=${n}`, means: { q: n } })),
  int(1000, 4000).map((m) => ({ key: 'dpr', text: `dpr=${m / 1000}`, means: { dpr: m / 1000 } })),
  int(0, 250).map((n) => ({ key: 'blur', text: `blur=${n}`, means: n === 0 ? {} : { blur: n } })),
  int(0, 100).map((n) => ({ key: 'sharpen', text: `sharpen=${n / 10}`, means: { sharpen: n / 10 } })),
  fc.constantFrom(
    ...(
      [
        ['scale-down', {}],
        ['contain', { enlarge: true }],
        ['cover', { fit: 'cover', enlarge: true }],
        ['crop', { fit: 'crop' }],
        ['squeeze', { fit: 'fill', enlarge: true }],
        ['aspect-crop', { fit: 'cover' }],
      ] as [string, ImageOptions][]
    ).map(([v, means]) => ({ key: 'fit', text: `fit=${v}`, means })),
  ),
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('gravity', 'g'),
        fc.constantFrom<[string, ImageOptions['g']]>(
          ['auto', 'attention'],
          ['left', 'west'],
          ['right', 'east'],
          ['top', 'north'],
          ['bottom', 'south'],
        ),
      )
      .map(([k, [v, g]]) => ({ key: 'g', text: `${k}=${v}`, means: { g } })),
    fc.tuple(fc.constantFrom('gravity', 'g'), fraction, fraction).map(([k, x, y]) => ({
      key: 'g',
      text: `${k}=${x}x${y}`,
      means: x === 0.5 && y === 0.5 ? {} : { g: `${x}x${y}` as ImageOptions['g'] },
    })),
  ),
  fc
    .tuple(fc.constantFrom('format', 'f'), fc.constantFrom('auto', 'avif', 'webp', 'jpeg', 'png'))
    .map(([k, v]) => ({
      key: 'f',
      text: `${k}=${v}`,
      means: v === 'auto' ? {} : { f: v as ImageOptions['f'] },
    })),
  fc
    .constantFrom(0, 90, 180, 270)
    .map((r) => ({ key: 'rot', text: `rotate=${r}`, means: r === 0 ? {} : { rot: r as 90 } })),
  fc.boolean().map((b) => ({ key: 'anim', text: `anim=${b}`, means: b ? {} : { anim: false } })),
  fc.tuple(int(0, 0xffffff), fc.boolean()).map(([n, named]) => {
    const hex = n.toString(16).padStart(6, '0');
    return named && hex === 'ff0000'
      ? { key: 'bg', text: 'background=red', means: { bg: 'ff0000' } }
      : { key: 'bg', text: `background=%23${hex}`, means: { bg: hex } };
  }),
  fc.constantFrom('none', 'copyright').map((v) => ({ key: 'metadata', text: `metadata=${v}`, means: {} })),
];

/** One spelling per option key, at most one of each, in random order. */
const cfOptions = fc
  .tuple(...CF_OPTIONS.map((a) => fc.option(a, { nil: undefined })))
  .map((list) => list.filter((o): o is CfSpelled => o !== undefined))
  .filter((list) => list.length > 0)
  .chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }));

const sourcePath = fc
  .array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,11}$/), { minLength: 1, maxLength: 4 })
  .map((segments) => segments.join('/'));

describe('the Cloudflare dialect (properties)', () => {
  it('every spelling and order means the options written out independently, on the imgedge canonical path', () => {
    fc.assert(
      fc.property(cfOptions, sourcePath, (list, path) => {
        const expected: ImageOptions = Object.assign({}, ...list.map((o) => o.means));
        const canonical = canonicalize(expected);
        const target = `@default/${path}`;
        const canonicalPath = canonical === '' ? `/img/${target}` : `/img/${canonical}/${target}`;
        const segment = list.map((o) => o.text).join(',');
        const relative = parseCloudflareRequest(`${segment}/${path}`, none, SOURCES);
        const absolute = parseCloudflareRequest(`${segment}/https://www.example.com/${path}`, none, SOURCES);
        expect(relative.canonicalPath).toBe(canonicalPath);
        expect(absolute.canonicalPath).toBe(canonicalPath);
        // The imgedge form of that canonical path, and its preset form, are the same image.
        const img = parseImageRequest(canonicalPath.slice('/img'.length), none, {}, SOURCES);
        expect(img.canonicalPath).toBe(canonicalPath);
        const preset = parseImageRequest(`/p/${target}`, none, compilePresets({ p: canonical }), SOURCES);
        expect(preset.canonicalPath).toBe(canonicalPath);
      }),
    );
  });

  it('hostile option text only ever fails with an invalid_option ImgedgeError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseCloudflareOptions(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ImgedgeError);
          expect((err as ImgedgeError).code).toBe('invalid_option');
          expect((err as ImgedgeError).message.length).toBeLessThan(500);
        }
      }),
    );
  });

  it('hostile source text only ever fails with an ImgedgeError (400 or 404), never escapes its base', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 80 }),
          fc.string({ maxLength: 40 }).map((s) => `https://www.example.com/${s}`),
          fc.string({ maxLength: 40 }).map((s) => `https://s3.example.com/bucket/${s}`),
        ),
        (source) => {
          try {
            const request = parseCloudflareRequest(`w=1/${source}`, none, SOURCES);
            const path = request.source?.path ?? '';
            expect(path.split('/').every((s) => s !== '' && s !== '.' && s !== '..')).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(ImgedgeError);
            expect([400, 404]).toContain((err as ImgedgeError).status);
          }
        },
      ),
    );
  });

  it('a 100 KB options segment fails fast at its first bad option', () => {
    expect(failure(() => parseCloudflareOptions('w=1,'.repeat(25_000))).extra.key).toBe('w');
    expect(failure(() => parseCloudflareOptions(`width=${'9'.repeat(100_000)}`)).extra.key).toBe('w');
  });
});
