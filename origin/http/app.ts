/** The origin's Hono app: middleware order, route mounting, auth per route group. */
import { Hono } from 'hono';
import { scopeForMethod } from '../../shared/auth/scopes.js';
import { mountAllowedMethods } from '../../shared/http/methods.js';
import type { CompiledPresets } from '../../shared/options/index.js';
import type { Sources } from '../../shared/sources/index.js';
import type { TokenKeys } from '../auth/keys.js';
import type { CursorSealer } from '../db/cursor.js';
import type { Db } from '../db/driver.js';
import type { Mezzanines } from '../mezzanine/service.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { HealthCheck } from '../ops/health.js';
import type { SourceCache } from '../sources/source-cache.js';
import type { OriginalStore } from '../storage/originals.js';
import type { VariantStore } from '../storage/variant-store.js';
import type { VariantCache } from '../variants/disk-cache.js';
import type { EagerPresets } from '../variants/eager.js';
import type { VariantService } from '../variants/service.js';
import type { WorkPool } from '../variants/work-pool.js';
import type { OriginEnv } from './env.js';
import { notFound, onError } from './errors.js';
import { observe } from './middleware/observe.js';
import { requestId } from './middleware/request-id.js';
import { requireAuth } from './middleware/require-auth.js';
import { requireOriginToken } from './middleware/require-origin-token.js';
import { adminGuard, clientAdminRoutes } from './routes/clients-admin.js';
import { imageRoutes } from './routes/images.js';
import { jwksRoutes } from './routes/jwks.js';
import { oauthRoutes } from './routes/oauth.js';
import { opsRoutes } from './routes/ops.js';
import { signRoutes } from './routes/sign.js';
import { sourceRoutes } from './routes/sources.js';
import { variantRoutes } from './routes/variants.js';

export interface AppDeps {
  apiPrefix: string;
  publicBaseUrl: string | undefined;
  maxFileSize: number;
  maxInputPixels: number;
  /** MAX_ANIMATION_FRAMES, checked at upload. */
  maxAnimationFrames: number;
  tokenTtlSeconds: number;
  originAuthToken: string;
  /** Set when this process holds a PGlite folder: mounts /admin/v1/clients for the client CLI. */
  adminToken?: string | undefined;
  db: Db;
  logger: Logger;
  metrics: Metrics;
  keys: TokenKeys;
  originals: OriginalStore;
  variantCache: VariantCache;
  /** Tier 2 of the variants (S3 only). */
  variantStore?: VariantStore | undefined;
  variantService: VariantService;
  /** Mezzanines: made in the background after an upload, removed with their original. */
  mezzanines?: Mezzanines | undefined;
  /** Remote sources (SOURCES); their variants and their purge. */
  sourceCache: SourceCache;
  /** POST /sign: SIGNING_KEY, PRESETS and SOURCES, as the edge has them. */
  signing: { key: string | undefined; presets: CompiledPresets; sources: Sources };
  cursors: CursorSealer;
  /** Bounds every sharp decode: transforms, and the decode check of uploads. */
  pool: WorkPool;
  /** EAGER_PRESETS: variants rendered in the background after each upload. */
  eager?: EagerPresets | undefined;
  checks: readonly HealthCheck[];
  isShuttingDown: () => boolean;
}

export function createApp(deps: AppDeps) {
  const app = new Hono<OriginEnv>();
  app.use(requestId({ logger: deps.logger }));
  app.use(observe({ metrics: deps.metrics, quietPaths: ['/health', '/health/live', '/metrics'] }));
  app.onError(onError);
  app.notFound(notFound);

  app.route(
    '/',
    opsRoutes({ checks: deps.checks, metrics: deps.metrics, isShuttingDown: deps.isShuttingDown }),
  );
  if (deps.keys.jwks) app.route('/', jwksRoutes(deps.keys.jwks));

  const api = new Hono<OriginEnv>();
  // A known route asked with another method: 405 with Allow, before authentication.
  mountAllowedMethods(api, '');
  api.route('/', oauthRoutes({ db: deps.db, keys: deps.keys, ttlSeconds: deps.tokenTtlSeconds }));
  // '/images/*' also matches '/images' itself (list and upload).
  api.use(
    '/images/*',
    requireAuth({
      key: deps.keys.verificationKey,
      policy: deps.keys.policy,
      scope: scopeForMethod,
    }),
  );
  api.route('/', imageRoutes(deps));
  api.use(
    '/sources/*',
    requireAuth({ key: deps.keys.verificationKey, policy: deps.keys.policy, scope: scopeForMethod }),
  );
  api.route('/', sourceRoutes({ apiPrefix: deps.apiPrefix, sourceCache: deps.sourceCache }));
  api.use(
    '/sign',
    requireAuth({ key: deps.keys.verificationKey, policy: deps.keys.policy, scope: () => 'images:write' }),
  );
  api.route(
    '/',
    signRoutes({
      db: deps.db,
      signingKey: deps.signing.key,
      presets: deps.signing.presets,
      sources: deps.signing.sources,
      publicBaseUrl: deps.publicBaseUrl,
    }),
  );
  app.route(deps.apiPrefix, api);

  if (deps.adminToken) {
    app.use('/admin/*', adminGuard(deps.adminToken));
    app.route('/admin/v1', clientAdminRoutes(deps.db));
  }

  app.use('/internal/*', requireOriginToken(deps.originAuthToken));
  app.route('/', variantRoutes(deps.variantService, deps.sourceCache));
  return app;
}
