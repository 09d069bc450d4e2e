import { z } from 'zod';
import { lazySchema } from '../../domain/lazy-schema';
import { recordSignedFormSchema } from '../../contracts/comune';
import { serviceCardSchema } from '../../domain/service-card';

describe('lazySchema: a schema built on first use', () => {
  it('builds nothing until first used, then once', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds++;
      return z.object({ name: z.string().min(2) });
    });
    expect(builds).toBe(0);
    expect(schema.safeParse({ name: 'Ala' }).success).toBe(true);
    expect(schema.safeParse({ name: 'A' }).success).toBe(false);
    expect(builds).toBe(1);
  });

  it('stands for the schema it builds: nested, extended, detached methods, instanceof, inferred types', () => {
    const inner = lazySchema(() => z.object({ slug: z.string().regex(/^[a-z]+$/) }));
    const outer = lazySchema(() => z.object({ services: z.array(inner).min(1) }));
    expect(outer.safeParse({ services: [{ slug: 'tari' }] }).success).toBe(true);
    const refused = outer.safeParse({ services: [{ slug: 'TARI' }] });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.path).toEqual(['services', 0, 'slug']);

    const extended = outer.extend({ note: z.string().optional() });
    expect(extended.parse({ services: [{ slug: 'imu' }], note: 'ok' })).toEqual({
      services: [{ slug: 'imu' }],
      note: 'ok',
    });
    const { parse } = inner;
    expect(parse({ slug: 'imu' })).toEqual({ slug: 'imu' });
    expect(inner).toBeInstanceOf(z.ZodObject);
    expect(inner instanceof z.ZodString).toBe(false);
    expect(z.optional(inner).safeParse(undefined).success).toBe(true);
    const typed: z.infer<typeof outer> = { services: [{ slug: 'tari' }] };
    expect(typed.services).toHaveLength(1);
  });

  it('the contracts keep their Italian field errors through it', () => {
    const refused = recordSignedFormSchema.safeParse({ actor: 'Giulia Verdi', document: { sha256: 'nope' } });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues.map((i) => i.path.join('.'))).toContain('document.sha256');
    expect(serviceCardSchema.safeParse({}).success).toBe(false);
  });
});
