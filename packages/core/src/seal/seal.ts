import { canonicalJson, sha256Hex } from './canonical-json.js';
import { UserError } from '../base/errors.js';

/** A manifest or plan: JSON with a `schema` and a `seal` over its canonical form without the seal. */
export interface Sealed {
  schema: string;
  seal: string;
  [key: string]: unknown;
}

export function computeSeal(document: Record<string, unknown>): string {
  const { seal: _ignored, ...body } = document;
  return `sha256:${sha256Hex(canonicalJson(body))}`;
}

export function seal<T extends { schema: string }>(document: T): T & { seal: string } {
  const { seal: _old, ...body } = document as T & { seal?: string };
  return { ...(body as T), seal: computeSeal(body) };
}

export function isSealValid(document: Record<string, unknown>): boolean {
  return typeof document.seal === 'string' && document.seal === computeSeal(document);
}

/** Throws unless the document carries the expected schema and a seal that verifies. */
export function verifySealed(document: unknown, schema: string, source: string): Sealed {
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    throw new UserError(`${source} is not a JSON object.`);
  }
  const record = document as Record<string, unknown>;
  if (record.schema !== schema) {
    throw new UserError(`${source} has schema ${JSON.stringify(record.schema)}, expected "${schema}".`);
  }
  if (!isSealValid(record)) {
    throw new UserError(
      `${source}: the seal does not verify (expected ${computeSeal(record)}, found ${JSON.stringify(record.seal)}); it was changed after it was sealed.`,
      'Do not edit sealed manifests or plans; create a new one instead.',
    );
  }
  return record as Sealed;
}
