/**
 * What the edge tests' globalSetup (edge-global-setup.ts, in Node) hands to the tests in workerd
 * through `project.provide` / `inject`. Types only: this module is imported on both sides.
 */

export interface EdgeTestImages {
  /** 320×240 photo-like JPEG (opaque). */
  photo: string;
  /** 200×100 PNG, half transparent. */
  alpha: string;
  /** 3-frame animated GIF. */
  gif: string;
  /** A well-formed id that names no image. */
  missing: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The main real origin. */
    originUrl: string;
    /** ORIGIN_AUTH_TOKEN shared by the edge and both origins. */
    originToken: string;
    /** The origin's SECRET_KEY, i.e. the edge's JWT_SECRET (HS256). */
    jwtSecret: string;
    /** The edge's SIGNING_KEY in the default bindings. */
    signingKey: string;
    images: EdgeTestImages;
    /** A second real origin with TRANSFORM_CONCURRENCY=1, TRANSFORM_QUEUE=0 (overload, slow variants). */
    busyOriginUrl: string;
    /** 1024×768 photo-like JPEG on the busy origin: AVIF variants of it take a while. */
    busyImage: string;
    /** OAuth client of the main origin (images:read images:write). */
    client: { id: string; secret: string };
    /** Access token of that client, from the origin's token endpoint. */
    apiToken: string;
    /** Base64 of a JPEG generated for this run (never uploaded yet). */
    uploadJpeg: string;
    /** Upstash-REST bridge to the real Redis. */
    upstashUrl: string;
    upstashToken: string;
    /** edge-stub-server.ts: JWKS endpoints, a never-answering path, the remote sources' website. */
    stubUrl: string;
    /**
     * The main origin's SOURCES (JSON): `edge`, `default` and `shop`, all on the stub server, which
     * serves a real JPEG at every path but those in a `missing/` folder (404).
     */
    originSources: string;
    /**
     * Two "origins" for the failover tests: TCP proxies in front of the main origin (same images,
     * same /metrics), cut and restored through `controlUrl` (test/support/proxy-control.ts) under
     * their `names`; and `blackholeUrl`, where a TCP connect never completes.
     */
    failover: {
      origins: [string, string];
      names: [string, string];
      controlUrl: string;
      blackholeUrl: string;
    };
    /** Unique per run: keeps Redis rate-limit keys of one run away from the next. */
    runId: string;
  }
}
