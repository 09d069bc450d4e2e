import { deflateSync, inflateSync } from 'node:zlib';

/**
 * Just enough PNG to check an organisation's logo against PagoPA's rule (PNG, 300×300, white or transparent
 * background) and to build test images: signature + IHDR parsing, decoding of 8-bit non-palette images
 * (all five scanline filters), and a writer for solid-colour RGBA images.
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

const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as used by PNG and zlib). */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

interface Chunk {
  type: string;
  data: Buffer;
}

/** The chunks after the signature; stops at IEND or at the first truncated/corrupt chunk. */
function readChunks(bytes: Buffer): Chunk[] {
  const chunks: Chunk[] = [];
  let offset = PNG_SIGNATURE.length;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (end > bytes.length) break;
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    if (bytes.readUInt32BE(offset + 8 + length) !== crc32(bytes.subarray(offset + 4, offset + 8 + length)))
      break;
    chunks.push({ type, data });
    if (type === 'IEND') break;
    offset = end;
  }
  return chunks;
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

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid 8-bit RGBA PNG of one colour (IHDR, one IDAT of filter-0 scanlines, IEND). */
export function createSolidPng(width: number, height: number, rgba: Rgba): Buffer {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError('width and height must be positive integers');
  }
  if (rgba.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) {
    throw new RangeError('colour components must be integers in 0..255');
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(COLOR_TYPE.rgba, 9);
  // compression 0, filter method 0, no interlace: already zero.
  const stride = 1 + width * 4;
  const raw = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * stride; // raw[row] = 0: filter type None
    for (let x = 0; x < width; x++) raw.set(rgba, row + 1 + x * 4);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const CHANNELS: Partial<Record<number, number>> = {
  [COLOR_TYPE.gray]: 1,
  [COLOR_TYPE.rgb]: 3,
  [COLOR_TYPE.grayAlpha]: 2,
  [COLOR_TYPE.rgba]: 4,
};

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/**
 * The unfiltered pixel rows of an 8-bit, non-interlaced, non-palette image, or `undefined` when the image
 * is of another kind (palette, 1/2/4/16-bit, interlaced). Throws when the data is corrupt.
 */
function decodePixels(bytes: Buffer, info: PngInfo): { pixels: Buffer; channels: number } | undefined {
  const channels = CHANNELS[info.colorType];
  const interlace = bytes.readUInt8(28);
  if (info.bitDepth !== 8 || channels === undefined || interlace !== 0) return undefined;
  const idat = readChunks(bytes)
    .filter((c) => c.type === 'IDAT')
    .map((c) => c.data);
  if (idat.length === 0) throw new Error('no IDAT chunk');
  const data = inflateSync(Buffer.concat(idat));
  const rowBytes = info.width * channels;
  const stride = rowBytes + 1;
  if (data.length < stride * info.height) throw new Error('image data shorter than its size');
  const pixels = Buffer.alloc(rowBytes * info.height);
  for (let y = 0; y < info.height; y++) {
    const filter = data[y * stride]!;
    const src = y * stride + 1;
    const out = y * rowBytes;
    const prev = out - rowBytes;
    for (let i = 0; i < rowBytes; i++) {
      const x = data[src + i]!;
      const a = i >= channels ? pixels[out + i - channels]! : 0;
      const b = y > 0 ? pixels[prev + i]! : 0;
      const c = i >= channels && y > 0 ? pixels[prev + i - channels]! : 0;
      let value: number;
      switch (filter) {
        case 0:
          value = x;
          break;
        case 1:
          value = x + a;
          break;
        case 2:
          value = x + b;
          break;
        case 3:
          value = x + ((a + b) >>> 1);
          break;
        case 4:
          value = x + paeth(a, b, c);
          break;
        default:
          throw new Error(`unknown filter type ${filter}`);
      }
      pixels[out + i] = value & 0xff;
    }
  }
  return { pixels, channels };
}

function pixelAt(pixels: Buffer, channels: number, width: number, x: number, y: number): Rgba {
  const i = (y * width + x) * channels;
  const v = (k: number) => pixels[i + k]!;
  switch (channels) {
    case 1:
      return [v(0), v(0), v(0), 255];
    case 2:
      return [v(0), v(0), v(0), v(1)];
    case 3:
      return [v(0), v(1), v(2), 255];
    default:
      return [v(0), v(1), v(2), v(3)];
  }
}

const WHITE_MIN = 245;
const TRANSPARENT_MAX = 16;

const isWhiteOrTransparent = ([r, g, b, a]: Rgba): boolean =>
  a < TRANSPARENT_MAX || (r >= WHITE_MIN && g >= WHITE_MIN && b >= WHITE_MIN);

/**
 * PagoPA's logo rule, in Italian for staff: a PNG of 300×300 pixels whose background (the four corners) is
 * white or transparent. An empty list means the logo is acceptable. The background is not checked for
 * palette images or depths other than 8 bits.
 */
export function checkLogo(bytes: Buffer): string[] {
  const info = readPngInfo(bytes);
  if (!info) return ['il logo deve essere un’immagine PNG'];
  const problems: string[] = [];
  if (info.width !== LOGO_SIZE || info.height !== LOGO_SIZE) {
    problems.push(`il logo deve essere 300×300 pixel (è ${info.width}×${info.height})`);
  }
  let decoded: ReturnType<typeof decodePixels>;
  try {
    decoded = decodePixels(bytes, info);
  } catch {
    return [...problems, 'il file PNG del logo è danneggiato'];
  }
  if (!decoded) return problems;
  const { pixels, channels } = decoded;
  const { width, height } = info;
  const corners: [number, number][] = [
    [0, 0],
    [width - 1, 0],
    [0, height - 1],
    [width - 1, height - 1],
  ];
  if (!corners.every(([x, y]) => isWhiteOrTransparent(pixelAt(pixels, channels, width, x, y)))) {
    problems.push('lo sfondo del logo deve essere bianco o trasparente');
  }
  return problems;
}
