// A folder of images, one subfolder per class (the layout of Keras' image_dataset_from_directory and torchvision's
// ImageFolder), PNG or JPEG:
//   DIR/<class>/<image>                        split by pqk: per class a seeded 10% to test and 10% to validation
//   DIR/{train,val,test}/<class>/<image>       the user's own split (every split names the same classes), each
//                                              split in a seeded order
// Classes are the subfolder names in sorted order. Pixels are scaled to [0, 1]. Every image has the size and channels
// of the first one unless DIR/dataset.json says {"size": [height, width], "channels": 1 | 3}: then each image is
// resized (bilinear, half-pixel centres) and converted (grey = 0.299 R + 0.587 G + 0.114 B) to that shape.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from './errors.js';
import { stratifiedSplit } from './images.js';
import { rngFor, shuffle } from '../util/rng.js';
import type { Dataset, Split } from './types.js';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);
const SPLITS = ['train', 'val', 'test'] as const;

export interface Image {
  height: number;
  width: number;
  channels: 1 | 3;
  pixels: Float32Array; // (height, width, channels) in [0, 1]
}

interface Shape {
  size?: [number, number];
  channels?: 1 | 3;
}

const images = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => EXTENSIONS.has(extname(f).toLowerCase()))
    .sort();
const subfolders = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => !f.startsWith('.') && statSync(join(dir, f)).isDirectory())
    .sort();

// An image folder: class subfolders holding images, directly or under train/val/test.
export function isImageFolder(dir: string): boolean {
  const root = SPLITS.every((s) => existsSync(join(dir, s))) ? join(dir, 'train') : dir;
  const classes = subfolders(root);
  return classes.length >= 2 && classes.some((c) => images(join(root, c)).length > 0);
}

// RGB(A) or grey bytes -> float pixels; an image whose three channels are equal everywhere is grey.
export function decodeImage(path: string): Image {
  const bytes = readFileSync(path);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = PNG.sync.read(bytes);
      [width, height, rgba] = [png.width, png.height, png.data];
    } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const jpg = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 512 });
      [width, height, rgba] = [jpg.width, jpg.height, jpg.data];
    } else throw new Error('neither PNG nor JPEG');
  } catch (e) {
    throw new DataError(path, `cannot read the image: ${(e as Error).message}`);
  }
  let grey = true;
  for (let i = 0; i < width * height && grey; i++) grey = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i] === rgba[4 * i + 2];
  const channels = grey ? 1 : 3;
  const pixels = new Float32Array(width * height * channels);
  for (let i = 0; i < width * height; i++) for (let c = 0; c < channels; c++) pixels[i * channels + c] = rgba[4 * i + c]! / 255;
  return { height, width, channels, pixels };
}

// Bilinear resampling with half-pixel centres (tf.image.resizeBilinear with halfPixelCenters), channel conversion.
export function reshapeImage(img: Image, height: number, width: number, channels: 1 | 3): Float32Array {
  const out = new Float32Array(height * width * channels);
  const px = (y: number, x: number, c: number): number => {
    const o = (y * img.width + x) * img.channels;
    if (img.channels === channels) return img.pixels[o + c]!;
    if (channels === 3) return img.pixels[o]!; // grey -> RGB
    return 0.299 * img.pixels[o]! + 0.587 * img.pixels[o + 1]! + 0.114 * img.pixels[o + 2]!;
  };
  const sy = img.height / height;
  const sx = img.width / width;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), img.height - 1);
    const [y0, y1] = [Math.floor(fy), Math.min(Math.floor(fy) + 1, img.height - 1)];
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), img.width - 1);
      const [x0, x1] = [Math.floor(fx), Math.min(Math.floor(fx) + 1, img.width - 1)];
      const [wy, wx] = [fy - y0, fx - x0];
      for (let c = 0; c < channels; c++) {
        const top = px(y0, x0, c) * (1 - wx) + px(y0, x1, c) * wx;
        const bottom = px(y1, x0, c) * (1 - wx) + px(y1, x1, c) * wx;
        out[(y * width + x) * channels + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}

function readShape(dir: string): Shape {
  const path = join(dir, 'dataset.json');
  if (!existsSync(path)) return {};
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DataError(path, `not valid JSON (${(e as Error).message})`);
  }
  const o = v as { size?: unknown; channels?: unknown };
  const known = new Set(['size', 'channels']);
  const extra = Object.keys(o).find((k) => !known.has(k));
  if (extra) throw new DataError(path, `unknown field '${extra}'; valid: size, channels`);
  const size = o.size;
  if (size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((n) => Number.isInteger(n) && n >= 1 && n <= 4096)))
    throw new DataError(path, '/size must be [height, width], whole numbers from 1 to 4096');
  if (o.channels !== undefined && o.channels !== 1 && o.channels !== 3) throw new DataError(path, '/channels must be 1 or 3');
  return { size: size as [number, number] | undefined, channels: o.channels as 1 | 3 | undefined };
}

// Every image of one split folder, per class (in the order of `classes`), as (h, w, c) floats of one shape.
// resize: the shape was declared (dataset.json or the model's input), so other sizes are resampled instead of refused.
function readSplit(dir: string, classes: string[], shape: Required<Shape>, resize: boolean): Float32Array[][] {
  return classes.map((c) => {
    const folder = join(dir, c);
    if (!existsSync(folder)) return [];
    return images(folder).map((f) => {
      const path = join(folder, f);
      const img = decodeImage(path);
      const [h, w] = shape.size;
      if (img.height === h && img.width === w && img.channels === shape.channels) return img.pixels;
      if (!resize)
        throw new DataError(
          path,
          `is ${img.height}x${img.width}x${img.channels}, the first image ${h}x${w}x${shape.channels}: give the folder a dataset.json {"size": [height, width], "channels": 1 or 3} to resize them all`,
        );
      return reshapeImage(img, h, w, shape.channels);
    });
  });
}

function toSplit(byClass: Float32Array[][], per: number, refs: [number, number][]): Split {
  const x = new Float32Array(refs.length * per);
  const y = new Int32Array(refs.length);
  refs.forEach(([c, i], k) => {
    x.set(byClass[c]![i]!, k * per);
    y[k] = c;
  });
  return { x, y, n: refs.length };
}

// imageShape (height, width, channels of 1 or 3): what the images are resized and converted to when the folder has no
// dataset.json (a model's input, given by the pipeline).
export function loadImageFolder(dir: string, opts: { splitSeed?: number; imageShape?: number[] } = {}): Dataset {
  const presplit = SPLITS.every((s) => existsSync(join(dir, s)));
  const classes = subfolders(presplit ? join(dir, 'train') : dir);
  if (classes.length < 2) throw new DataError(dir, `an image folder needs at least two class subfolders, found ${classes.length}`);
  const first = (() => {
    for (const c of classes) {
      const folder = join(presplit ? join(dir, 'train') : dir, c);
      const f = images(folder)[0];
      if (f) return decodeImage(join(folder, f));
    }
    throw new DataError(dir, 'no PNG or JPEG image in any class subfolder');
  })();
  const given = opts.imageShape;
  const declared: Shape = existsSync(join(dir, 'dataset.json'))
    ? readShape(dir)
    : given?.length === 3 && (given[2] === 1 || given[2] === 3)
      ? { size: [given[0]!, given[1]!], channels: given[2] }
      : {};
  const shape: Required<Shape> = { size: declared.size ?? [first.height, first.width], channels: declared.channels ?? first.channels };
  const resize = declared.size !== undefined || declared.channels !== undefined;
  const inputShape = [...shape.size, shape.channels];
  const per = inputShape.reduce((a, b) => a * b, 1);
  const all = (s: Float32Array[][]): [number, number][] => s.flatMap((imgs, c) => imgs.map((_, i) => [c, i] as [number, number]));
  const base = { name: `images:${dir}`, task: 'image' as const, labels: classes, inputShape };
  if (presplit) {
    for (const s of SPLITS) {
      const extra = subfolders(join(dir, s)).filter((c) => !classes.includes(c));
      if (extra.length) throw new DataError(join(dir, s), `class folder '${extra[0]}' is not in ${join(dir, 'train')}`);
    }
    // Each split in a seeded order, as pqk's own split is: the first N samples of a split (pqk run --verify-limit,
    // the import's comparison on --data) are then a sample of every class, not the first classes' images.
    const [train, val, test] = SPLITS.map((s) => readSplit(join(dir, s), classes, shape, resize));
    const order = (imgs: Float32Array[][], s: string): [number, number][] =>
      shuffle(rngFor(opts.splitSeed ?? 0, `images:${classes.join(',')}`, 'order', s), all(imgs));
    return {
      ...base,
      train: toSplit(train!, per, order(train!, 'train')),
      val: toSplit(val!, per, order(val!, 'val')),
      test: toSplit(test!, per, order(test!, 'test')),
    };
  }
  const byClass = readSplit(dir, classes, shape, resize);
  const refs = stratifiedSplit(
    byClass.map((imgs) => imgs.length),
    opts.splitSeed ?? 0,
    `images:${classes.join(',')}`,
    0.1,
    0.1,
  );
  return { ...base, train: toSplit(byClass, per, refs.train), val: toSplit(byClass, per, refs.val), test: toSplit(byClass, per, refs.test) };
}
