import { crc32 as zlibCrc32, deflateSync } from 'node:zlib';
import {
  checkLogo,
  COLOR_TYPE,
  crc32,
  createSolidPng,
  PNG_SIGNATURE,
  readPngInfo,
  type Rgba,
} from '../../../integrations/documents/png';

const WHITE: Rgba = [255, 255, 255, 255];
const TRANSPARENT: Rgba = [0, 0, 0, 0];
const RED: Rgba = [220, 20, 20, 255];

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/**
 * An independent encoder for the tests: any 8-bit colour type, every row filtered with `filter` (0-4),
 * so the decoder's handling of each filter is exercised.
 */
function encodePng(opts: {
  width: number;
  height: number;
  colorType: number;
  filter: number;
  pixel: (x: number, y: number) => number[];
  bitDepth?: number;
  extraChunks?: Buffer[];
}): Buffer {
  const { width, height, colorType, filter } = opts;
  const channels = opts.pixel(0, 0).length;
  const rowBytes = width * channels;
  const raw = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(opts.pixel(x, y), y * rowBytes + x * channels);
  }
  const out = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    out[y * (rowBytes + 1)] = filter;
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= channels ? raw[row + i - channels]! : 0;
      const b = y > 0 ? raw[row - rowBytes + i]! : 0;
      const c = y > 0 && i >= channels ? raw[row - rowBytes + i - channels]! : 0;
      const predictor =
        filter === 1
          ? a
          : filter === 2
            ? b
            : filter === 3
              ? (a + b) >>> 1
              : filter === 4
                ? paeth(a, b, c)
                : 0;
      out[y * (rowBytes + 1) + 1 + i] = (raw[row + i]! - predictor) & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(opts.bitDepth ?? 8, 8);
  ihdr.writeUInt8(colorType, 9);
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    ...(opts.extraChunks ?? []),
    chunk('IDAT', deflateSync(out)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('crc32', () => {
  it('matches the standard check value and zlib', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    if (typeof zlibCrc32 === 'function') {
      const sample = Buffer.from('IHDR and some more bytes');
      expect(crc32(sample)).toBe(zlibCrc32(sample));
    }
  });
});

describe('createSolidPng / readPngInfo', () => {
  it('round-trips the header', () => {
    const png = createSolidPng(300, 120, WHITE);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(readPngInfo(png)).toEqual({
      width: 300,
      height: 120,
      bitDepth: 8,
      colorType: COLOR_TYPE.rgba,
      hasAlpha: true,
    });
  });

  it('writes chunks with valid CRCs and the pixels it was asked for', () => {
    const png = createSolidPng(3, 2, [1, 2, 3, 4]);
    let offset = 8;
    const types: string[] = [];
    while (offset < png.length) {
      const length = png.readUInt32BE(offset);
      const body = png.subarray(offset + 4, offset + 8 + length);
      expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(body));
      types.push(body.toString('latin1', 0, 4));
      offset += 12 + length;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(offset).toBe(png.length);
  });

  it('refuses impossible sizes and colours', () => {
    expect(() => createSolidPng(0, 10, WHITE)).toThrow(RangeError);
    expect(() => createSolidPng(10, 10, [256, 0, 0, 0])).toThrow(RangeError);
  });

  it('returns undefined for anything that is not a PNG', () => {
    expect(readPngInfo(Buffer.from('GIF89a and some padding to be long enough...'))).toBeUndefined();
    expect(readPngInfo(Buffer.alloc(0))).toBeUndefined();
    expect(readPngInfo(PNG_SIGNATURE)).toBeUndefined();
  });

  it('reads the header of other colour types', () => {
    const gray = encodePng({
      width: 4,
      height: 5,
      colorType: COLOR_TYPE.gray,
      filter: 0,
      pixel: () => [255],
    });
    expect(readPngInfo(gray)).toMatchObject({ width: 4, height: 5, colorType: 0, hasAlpha: false });
  });
});

describe('checkLogo', () => {
  it('accepts a 300×300 white logo', () => {
    expect(checkLogo(createSolidPng(300, 300, WHITE))).toEqual([]);
  });

  it('accepts a 300×300 transparent logo', () => {
    expect(checkLogo(createSolidPng(300, 300, TRANSPARENT))).toEqual([]);
    // Transparent whatever the colour.
    expect(checkLogo(createSolidPng(300, 300, [200, 0, 0, 10]))).toEqual([]);
  });

  it('accepts a near-white background', () => {
    expect(checkLogo(createSolidPng(300, 300, [245, 250, 255, 255]))).toEqual([]);
  });

  it('refuses a red background', () => {
    expect(checkLogo(createSolidPng(300, 300, RED))).toEqual([
      'lo sfondo del logo deve essere bianco o trasparente',
    ]);
  });

  it('refuses a 200×200 logo', () => {
    const problems = checkLogo(createSolidPng(200, 200, WHITE));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('il logo deve essere 300×300 pixel');
  });

  it('reports both the size and the background', () => {
    expect(checkLogo(createSolidPng(200, 300, RED))).toHaveLength(2);
  });

  it('refuses garbage', () => {
    expect(checkLogo(Buffer.from('definitely not an image'))).toEqual([
      'il logo deve essere un’immagine PNG',
    ]);
    expect(checkLogo(Buffer.alloc(0))).toHaveLength(1);
  });

  it('refuses a PNG whose image data is corrupt', () => {
    const png = createSolidPng(300, 300, WHITE);
    // Replace the IDAT payload with bytes that are not zlib, keeping a valid CRC.
    const idatStart = 8 + 25;
    const length = png.readUInt32BE(idatStart);
    const broken = Buffer.concat([
      png.subarray(0, idatStart),
      chunk('IDAT', Buffer.alloc(length, 0xab)),
      png.subarray(idatStart + 12 + length),
    ]);
    expect(checkLogo(broken)).toEqual(['il file PNG del logo è danneggiato']);
  });

  describe.each([0, 1, 2, 3, 4])('scanline filter %i', (filter) => {
    // White background, a coloured disc in the middle: only a correct unfiltering finds white corners.
    const disc = (x: number, y: number) => (x - 150) ** 2 + (y - 150) ** 2 < 100 ** 2;

    it('decodes RGB', () => {
      const ok = encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.rgb,
        filter,
        pixel: (x, y) => (disc(x, y) ? [10 + (x % 200), 80, 200 - (y % 150)] : [255, 255, 255]),
      });
      expect(checkLogo(ok)).toEqual([]);
      const redCorner = encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.rgb,
        filter,
        pixel: (x, y) => (x === 299 && y === 299 ? [255, 0, 0] : [255, 255, 255]),
      });
      expect(checkLogo(redCorner)).toEqual(['lo sfondo del logo deve essere bianco o trasparente']);
    });

    it('decodes RGBA', () => {
      const ok = encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.rgba,
        filter,
        pixel: (x, y) => (disc(x, y) ? [x % 256, y % 256, 90, 255] : [30, 60, 90, 0]),
      });
      expect(checkLogo(ok)).toEqual([]);
      const opaqueCorner = encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.rgba,
        filter,
        pixel: (x, y) => (x === 0 && y === 299 ? [30, 60, 90, 255] : [30, 60, 90, 0]),
      });
      expect(checkLogo(opaqueCorner)).toHaveLength(1);
    });

    it('decodes gray and gray+alpha', () => {
      const gray = (value: number) =>
        encodePng({
          width: 300,
          height: 300,
          colorType: COLOR_TYPE.gray,
          filter,
          pixel: (x, y) => [disc(x, y) ? 40 : value],
        });
      expect(checkLogo(gray(255))).toEqual([]);
      expect(checkLogo(gray(128))).toHaveLength(1);
      const grayAlpha = encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.grayAlpha,
        filter,
        pixel: (x, y) => (disc(x, y) ? [0, 255] : [0, 0]),
      });
      expect(checkLogo(grayAlpha)).toEqual([]);
    });
  });

  // The hand-written decoder skipped the background check for palette images, `tRNS` transparency and depths
  // other than 8 bits; `pngjs` decodes them all, so the rule now applies to them too.
  it('checks the background of palette images, with or without tRNS transparency', () => {
    const palette = (background: number[], trns?: number[]) =>
      encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.palette,
        filter: 0,
        pixel: (x) => [x > 100 && x < 200 ? 1 : 0],
        extraChunks: [
          chunk('PLTE', Buffer.from([...background, 20, 40, 200])),
          ...(trns ? [chunk('tRNS', Buffer.from(trns))] : []),
        ],
      });
    const red = palette([255, 0, 0]);
    expect(readPngInfo(red)).toMatchObject({ colorType: COLOR_TYPE.palette, hasAlpha: false });
    expect(checkLogo(red)).toEqual(['lo sfondo del logo deve essere bianco o trasparente']);
    expect(checkLogo(palette([255, 255, 255]))).toEqual([]);
    // Entry 0 fully transparent through tRNS: red, but invisible.
    expect(checkLogo(palette([255, 0, 0], [0]))).toEqual([]);
    expect(checkLogo(palette([255, 0, 0], [255]))).toHaveLength(1);
  });

  it('checks the background of gray images with a tRNS colour and of 16-bit images', () => {
    const gray = (extraChunks: Buffer[]) =>
      encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.gray,
        filter: 0,
        pixel: () => [128],
        extraChunks,
      });
    expect(checkLogo(gray([]))).toHaveLength(1);
    expect(checkLogo(gray([chunk('tRNS', Buffer.from([0, 128]))]))).toEqual([]);
    const sixteenBit = (value: number) =>
      encodePng({
        width: 300,
        height: 300,
        colorType: COLOR_TYPE.gray,
        bitDepth: 16,
        filter: 0,
        pixel: () => [value, value],
      });
    expect(checkLogo(sixteenBit(0))).toEqual(['lo sfondo del logo deve essere bianco o trasparente']);
    expect(checkLogo(sixteenBit(255))).toEqual([]);
  });

  it('refuses image data that is missing, too short or cut off, without crashing', () => {
    const damaged = ['il file PNG del logo è danneggiato'];
    const png = createSolidPng(300, 300, WHITE);
    const ihdrEnd = 8 + 25;
    const iend = chunk('IEND', Buffer.alloc(0));
    // A sound zlib stream with only a few rows: the decoder must not fill the rest with transparent pixels.
    const short = Buffer.concat([
      png.subarray(0, ihdrEnd),
      chunk('IDAT', deflateSync(Buffer.alloc(10 * (1 + 300 * 4)))),
      iend,
    ]);
    expect(checkLogo(short)).toEqual(damaged);
    expect(checkLogo(Buffer.concat([png.subarray(0, ihdrEnd), iend]))).toEqual(damaged);
    expect(checkLogo(png.subarray(0, png.length - 30))).toEqual(damaged);
    expect(checkLogo(png.subarray(0, ihdrEnd + 10))).toEqual(damaged);
    const badCrc = Buffer.from(png);
    badCrc[ihdrEnd + 20]! ^= 0xff;
    expect(checkLogo(badCrc)).toEqual(damaged);
  });

  it('reports the size of a huge image without decoding it', () => {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(60_000, 0);
    ihdr.writeUInt32BE(60_000, 4);
    ihdr.writeUInt8(8, 8);
    ihdr.writeUInt8(COLOR_TYPE.rgba, 9);
    const huge = Buffer.concat([
      PNG_SIGNATURE,
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.alloc(1000))),
      chunk('IEND', Buffer.alloc(0)),
    ]);
    expect(checkLogo(huge)).toEqual(['il logo deve essere 300×300 pixel (è 60000×60000)']);
  });
});
