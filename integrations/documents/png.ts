import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';

/**
 * PagoPA's logo rule (PNG, 300×300, white or transparent background) and solid-colour test images, over `pngjs`:
 * it decodes every colour type (palette and `tRNS` transparency included), bit depth, filter and interlacing.
 * Only the IHDR header is read here, for the size and the kind of image.
 */

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const LOGO_SIZE = 300;

/** Colour types of the PNG specification. */
export const COLOR_TYPE = { gray: 0, rgb: 2, palette: 3, grayAlpha: 4, rgba: 6 } as const;

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  /** An alpha channel (colour types 4 and 6); a `tRNS` chunk is not considered. */
  hasAlpha: boolean;
}

export type Rgba = [r: number, g: number, b: number, a: number];

/** CRC-32 (ISO 3309, as used by PNG and zlib). */
export function crc32(bytes: Uint8Array): number {
  return zlibCrc32(bytes);
}

/** Width, height, depth and colour type from the IHDR chunk; `undefined` when the bytes are not a PNG. */
export function readPngInfo(bytes: Buffer): PngInfo | undefined {
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  const width = bytes.readUInt32BE(16);
  const height = bytes.readUInt32BE(20);
  const bitDepth = bytes.readUInt8(24);
  const colorType = bytes.readUInt8(25);
  if (width === 0 || height === 0) return undefined;
  return {
    width,
    height,
    bitDepth,
    colorType,
    hasAlpha: colorType === COLOR_TYPE.grayAlpha || colorType === COLOR_TYPE.rgba,
  };
}

/** A valid 8-bit RGBA PNG of one colour (IHDR, one IDAT, IEND). */
export function createSolidPng(width: number, height: number, rgba: Rgba): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError('width and height must be positive integers');
  }
  if (rgba.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new RangeError('colour components must be integers in 0..255');
  }
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i += 4) png.data.set(rgba, i);
  return PNG.sync.write(png, { colorType: COLOR_TYPE.rgba, bitDepth: 8 });
}

/**
 * Images larger than this are not decoded: they already fail the 300×300 rule, and decoding them would only cost
 * memory (an upload of a few megabytes can declare, and inflate to, gigabytes of pixels).
 */
const MAX_DECODED_PIXELS = 2048 * 2048;

const CHANNELS: Partial<Record<number, number>> = {
  [COLOR_TYPE.gray]: 1,
  [COLOR_TYPE.rgb]: 3,
  [COLOR_TYPE.palette]: 1,
  [COLOR_TYPE.grayAlpha]: 2,
  [COLOR_TYPE.rgba]: 4,
};

/** Adam7's seven passes: first column, first row, column step, row step. */
const ADAM7: [number, number, number, number][] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/** Bytes of the filtered scanlines (a filter byte per row) the IDAT stream must inflate to. */
function scanlineBytes(info: PngInfo, interlaced: boolean): number {
  const bitsPerPixel = (CHANNELS[info.colorType] ?? 0) * info.bitDepth;
  const size = (width: number, rows: number) =>
    width > 0 && rows > 0 ? rows * (1 + Math.ceil((width * bitsPerPixel) / 8)) : 0;
  if (!interlaced) return size(info.width, info.height);
  return ADAM7.reduce(
    (total, [x0, y0, dx, dy]) =>
      total + size(Math.ceil((info.width - x0) / dx), Math.ceil((info.height - y0) / dy)),
    0,
  );
}

/** The image's zlib stream: the IDAT payloads, in order (chunk CRCs and layout are left to `pngjs`). */
function idatStream(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let offset = PNG_SIGNATURE.length; offset + 8 <= bytes.length;) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') parts.push(bytes.subarray(offset + 8, offset + 8 + length));
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return Buffer.concat(parts);
}

/**
 * Whether the image data is a sound zlib stream holding every scanline. `pngjs`'s synchronous reader cannot be
 * trusted with this on current Node versions: it pads missing or undecodable data with zeros (transparent black)
 * instead of failing, which would pass a broken logo off as a transparent one.
 */
function imageDataIsComplete(bytes: Buffer, info: PngInfo): boolean {
  const expected = scanlineBytes(info, bytes.readUInt8(28) !== 0);
  if (expected === 0) return false;
  try {
    return inflateSync(idatStream(bytes), { maxOutputLength: expected }).length === expected;
  } catch (error) {
    // More data than the scanlines need: tolerated, like libpng, since the image itself is all there.
    return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
  }
}

const WHITE_MIN = 245;
const TRANSPARENT_MAX = 16;

/** `data` is `pngjs`'s decoded bitmap: 8-bit RGBA whatever the source's colour type and depth. */
function isWhiteOrTransparent(data: Buffer, width: number, x: number, y: number): boolean {
  const i = (y * width + x) * 4;
  const [r, g, b, a] = [data[i]!, data[i + 1]!, data[i + 2]!, data[i + 3]!];
  return a < TRANSPARENT_MAX || (r >= WHITE_MIN && g >= WHITE_MIN && b >= WHITE_MIN);
}

/**
 * PagoPA's logo rule, in Italian for staff: a PNG of 300×300 pixels whose background (the four corners) is
 * white or transparent. An empty list means the logo is acceptable. The background of an image of more than
 * {@link MAX_DECODED_PIXELS} pixels is not checked: its size is already refused.
 */
export function checkLogo(bytes: Buffer): string[] {
  const info = readPngInfo(bytes);
  if (!info) return ['il logo deve essere un’immagine PNG'];
  const problems: string[] = [];
  if (info.width !== LOGO_SIZE || info.height !== LOGO_SIZE) {
    problems.push(`il logo deve essere 300×300 pixel (è ${info.width}×${info.height})`);
  }
  if (info.width * info.height > MAX_DECODED_PIXELS) return problems;
  let image: PNG;
  try {
    if (!imageDataIsComplete(bytes, info)) throw new Error('incomplete image data');
    image = PNG.sync.read(bytes);
  } catch {
    return [...problems, 'il file PNG del logo è danneggiato'];
  }
  const { width, height, data } = image;
  const corners: [number, number][] = [
    [0, 0],
    [width - 1, 0],
    [0, height - 1],
    [width - 1, height - 1],
  ];
  if (!corners.every(([x, y]) => isWhiteOrTransparent(data, width, x, y))) {
    problems.push('lo sfondo del logo deve essere bianco o trasparente');
  }
  return problems;
}
