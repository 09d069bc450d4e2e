/**
 * Italian fiscal codes (codice fiscale).
 *
 * - A person's code has 16 characters: surname (3), name (3), birth year (2), month letter (1),
 *   day + sex (2), birthplace (4), check character (1). When two people would share a code the
 *   Agenzia delle Entrate replaces digits with letters ("omocodia": 0-9 → L M N P Q R S T U V),
 *   so the digit positions accept those letters too.
 * - An organisation's code (a Comune's) has 11 digits, the last one a Luhn-like check digit.
 */

const OMOCODIA_DIGIT = '[0-9LMNPQRSTUV]';

/** Format of a personal fiscal code, omocodic variants included (check character not verified). */
export const PERSONAL_FISCAL_CODE_PATTERN = new RegExp(
  `^[A-Z]{6}${OMOCODIA_DIGIT}{2}[ABCDEHLMPRST]${OMOCODIA_DIGIT}{2}[A-Z]${OMOCODIA_DIGIT}{3}[A-Z]$`,
);

export const ORGANIZATION_FISCAL_CODE_PATTERN = /^[0-9]{11}$/;

/** Values of the characters in odd positions (1st, 3rd, … 15th), digits and letters share a row. */
const ODD_POSITION_VALUES = [
  1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

function characterIndex(char: string): number {
  const code = char.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48; // '0'-'9' → 0-9
  if (code >= 65 && code <= 90) return code - 65; // 'A'-'Z' → 0-25
  throw new RangeError(`Invalid fiscal code character: ${char}`);
}

/**
 * Check character of the first 15 characters of a personal fiscal code.
 * Positions are counted from 1: odd positions use the odd table, even positions the plain index.
 */
export function computePersonalFiscalCodeCheckChar(first15: string): string {
  const body = first15.toUpperCase();
  if (!/^[0-9A-Z]{15}$/.test(body)) throw new RangeError('Expected the first 15 characters of a fiscal code');
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    const index = characterIndex(body.charAt(i));
    sum += i % 2 === 0 ? (ODD_POSITION_VALUES[index] ?? 0) : index;
  }
  return String.fromCharCode(65 + (sum % 26));
}

/**
 * True when `cf` is a well-formed 16-character personal fiscal code with a correct check character.
 * Case-insensitive; surrounding whitespace is ignored.
 */
export function validatePersonalFiscalCode(cf: string): boolean {
  const code = cf.trim().toUpperCase();
  if (!PERSONAL_FISCAL_CODE_PATTERN.test(code)) return false;
  return computePersonalFiscalCodeCheckChar(code.slice(0, 15)) === code.charAt(15);
}

/** Check digit of the first 10 digits of an organisation's fiscal code (partita IVA algorithm). */
export function computeOrganizationFiscalCodeCheckDigit(first10: string): string {
  if (!/^[0-9]{10}$/.test(first10)) throw new RangeError('Expected the first 10 digits of a fiscal code');
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const digit = Number(first10.charAt(i));
    if (i % 2 === 0) {
      sum += digit;
    } else {
      const doubled = digit * 2;
      sum += doubled > 9 ? doubled - 9 : doubled;
    }
  }
  return String((10 - (sum % 10)) % 10);
}

/** True when `cf` is an 11-digit organisation fiscal code with a correct check digit (whitespace around ignored). */
export function validateOrganizationFiscalCode(cf: string): boolean {
  const code = cf.trim();
  if (!ORGANIZATION_FISCAL_CODE_PATTERN.test(code)) return false;
  return computeOrganizationFiscalCodeCheckDigit(code.slice(0, 10)) === code.charAt(10);
}
