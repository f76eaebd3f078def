export type { ClientInsert, OAuthClient } from './clients.js';
export { getClient, insertClient, listClients, revokeClient } from './clients.js';
export type { ConnectOptions, DbUrlParts } from './connect.js';
export { connectDb, DEFAULT_PGLITE_DIR, databaseUrlFromParts } from './connect.js';
export type { Db, DbKind } from './driver.js';
export { isUniqueViolation, sqlState } from './driver.js';
export type { ImagePage, ImageRow, ListOptions, NewImage } from './images.js';
export {
  countLiveBySha,
  findLiveBySha,
  getImage,
  insertImage,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
  listImages,
  softDeleteImage,
} from './images.js';
export { appliedVersions, migrate } from './migrate.js';
