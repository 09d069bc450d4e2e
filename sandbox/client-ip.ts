import type { Request } from 'express';

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip
    .replace(/^::ffff:/, '')
    .split('.')
    .map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** Whether `ip` falls in one of `cidrs` (IPv4 only; an address without `/` is a /32). */
export function ipAllowed(ip: string | undefined, cidrs: readonly string[]): boolean {
  const addr = ip === '::1' ? ipv4ToInt('127.0.0.1') : ip ? ipv4ToInt(ip) : undefined;
  if (addr === undefined) return false;
  return cidrs.some((cidr) => {
    const [base, bitsText] = cidr.split('/');
    const net = base ? ipv4ToInt(base) : undefined;
    const bits = bitsText === undefined ? 32 : Number(bitsText);
    if (net === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
    const size = 2 ** (32 - bits);
    return Math.floor(addr / size) === Math.floor(net / size);
  });
}

/**
 * The caller's address: the socket's remote address, or, only when `trustForwardedFor` (a sandbox option
 * for tests), the first `X-Forwarded-For` entry.
 */
export function clientAddress(req: Request, trustForwardedFor: boolean | undefined): string | undefined {
  if (trustForwardedFor) {
    const header = req.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress;
}
