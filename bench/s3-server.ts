/**
 * The bench's S3-compatible server as a child process (bench/s3.ts starts it): test/support/s3.ts's
 * s3rver with one bucket, on the port and folder given. Its first stdout line is
 * `S3_ENV <json>`: the S3_* variables an origin needs. Stopped with SIGTERM.
 *
 *   node --import tsx bench/s3-server.ts <port> <directory>
 */
import { startS3 } from '../test/support/s3.js';

const [port, directory] = process.argv.slice(2);
if (!port || !directory) throw new Error('usage: s3-server.ts <port> <directory>');
const s3 = await startS3({ port: Number(port), directory });
process.stdout.write(`S3_ENV ${JSON.stringify(s3.env)}\n`);
process.once('SIGTERM', () => {
  void s3.stop().finally(() => process.exit(0));
});
