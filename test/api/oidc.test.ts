import request from 'supertest';
import { Client, Connection } from '@temporalio/client';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair } from 'jose';
import { createApp } from '../../api/app';
import { testApiContext, type TestApiContext } from '../support/api-context';

const issuer = 'https://login.partner.example/realms/io';
const audience = 'io-backoffice';

describe('OIDC JWTs besides back-office tokens', () => {
  let api: TestApiContext;
  let connection: Connection;
  let sign: (
    claims: Record<string, unknown>,
    opts?: { audience?: string; expiresIn?: string },
  ) => Promise<string>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
    sign = (claims, opts = {}) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(issuer)
        .setAudience(opts.audience ?? audience)
        .setSubject('u-123')
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(privateKey);
    // /me and the role checks never reach Temporal: a lazy connection is enough.
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    api = testApiContext(new Client({ connection }), {
      oidc: { issuer, audience, keySet: createLocalJWKSet({ keys: [jwk] }), rolesClaim: 'roles' },
    });
    app = createApp(api.ctx);
  });
  afterAll(async () => {
    api.cleanup();
    await connection.close();
  });

  it('accepts a valid JWT with a role claim and takes the highest known role', async () => {
    const token = await sign({
      roles: ['staff', 'manager', 'something-else'],
      preferred_username: 'laura.conti',
    });
    const res = await request(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ name: 'laura.conti', role: 'manager', via: 'oidc' });
  });

  it('refuses a JWT for another audience, an expired one, one without a known role, and a tampered one', async () => {
    const cases = [
      await sign({ roles: ['admin'] }, { audience: 'another-app' }),
      await sign({ roles: ['admin'] }, { expiresIn: '-1m' }),
      await sign({ roles: ['guest'] }),
      (await sign({ roles: ['staff'] })).replace(/\.[^.]+$/, '.AAAA'),
    ];
    for (const token of cases) {
      const res = await request(app).get('/api/v1/me').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
    }
  });

  it('applies the role: a staff JWT cannot create tokens', async () => {
    const token = await sign({ roles: 'staff' });
    const res = await request(app)
      .post('/api/v1/admin/tokens')
      .set('Authorization', `Bearer ${token}`)
      .send({ name: 'nuovo', role: 'staff' });
    expect(res.status).toBe(403);
  });
});
