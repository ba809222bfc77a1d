import { InvalidCursorError } from './errors.js';
import { isUuid } from '../common/vocabulary.js';
import { type HandoffKey } from './ports.js';

/** Opaque page cursor: base64url of `v1:<created_at epoch ms>:<id>`. */
export function encodeCursor(key: HandoffKey): string {
  return Buffer.from(`v1:${key.createdAt.getTime()}:${key.id}`, 'utf8').toString('base64url');
}

/** The keyset position of a cursor; `InvalidCursorError` for anything `encodeCursor` did not make. */
export function decodeCursor(cursor: string): HandoffKey {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidCursorError();
  const match = /^v1:(\d{1,15}):(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match === null || !isUuid(match[2] ?? '')) throw new InvalidCursorError();
  return { createdAt: new Date(Number(match[1])), id: (match[2] ?? '').toLowerCase() };
}
