// QuarryError: what a module throws when something goes wrong, with its kind and context.

import { JsonError } from './serde.js';

/** What went wrong, so the host can pick Grafana's status code and error source. */
export const ErrorKind = Object.freeze({
  BAD_REQUEST: 'bad-request', // 400, source plugin
  NOT_FOUND: 'not-found', // 404, source downstream
  UNAUTHORIZED: 'unauthorized', // 401, source downstream
  FORBIDDEN: 'forbidden', // 403, source downstream
  TIMEOUT: 'timeout', // 504, source downstream
  DOWNSTREAM: 'downstream', // 502, source downstream
  NOT_IMPLEMENTED: 'not-implemented', // 501, source plugin
  INTERNAL: 'internal', // 500, source plugin
});

const KINDS = new Set(Object.values(ErrorKind));

/**
 * An error a module throws to the host: a kind, a message and context lines (outermost first).
 *
 *   throw QuarryError.notFound('no metric cpu_total').context('query A');
 *   // String(err) === 'query A: no metric cpu_total'
 *
 * Other exceptions become internal errors; a JsonError a bad request, an HttpError its own kind.
 */
export class QuarryError extends Error {
  constructor(kind, message, context = []) {
    if (!KINDS.has(kind)) throw new TypeError(`unknown error kind ${kind}`);
    super(String(message));
    this.name = 'QuarryError';
    this.kind = kind;
    /** Outermost first. */
    this.contextLines = [...context];
  }

  static badRequest(message) {
    return new QuarryError(ErrorKind.BAD_REQUEST, message);
  }

  static notFound(message) {
    return new QuarryError(ErrorKind.NOT_FOUND, message);
  }

  static unauthorized(message) {
    return new QuarryError(ErrorKind.UNAUTHORIZED, message);
  }

  static forbidden(message) {
    return new QuarryError(ErrorKind.FORBIDDEN, message);
  }

  static timeout(message) {
    return new QuarryError(ErrorKind.TIMEOUT, message);
  }

  static downstream(message) {
    return new QuarryError(ErrorKind.DOWNSTREAM, message);
  }

  static notImplemented(message) {
    return new QuarryError(ErrorKind.NOT_IMPLEMENTED, message);
  }

  static internal(message) {
    return new QuarryError(ErrorKind.INTERNAL, message);
  }

  /** Adds an outer context line and returns the error. */
  context(line) {
    this.contextLines.unshift(String(line));
    return this;
  }

  toString() {
    return this.contextLines.map((l) => `${l}: `).join('') + this.message;
  }

  /** The QuarryError any thrown value stands for (see the class docs). */
  static from(e) {
    if (e instanceof QuarryError) return e;
    if (e && typeof e.toQuarryError === 'function') return e.toQuarryError();
    if (e instanceof JsonError) return QuarryError.badRequest(e.message);
    if (e instanceof Error) return QuarryError.internal(`${e.name}: ${e.message}`);
    return QuarryError.internal(String(e));
  }
}

/** Runs `fn`; any error it throws gets `line` as outer context (like Rust's `.context`). */
export function withContext(line, fn) {
  try {
    return fn();
  } catch (e) {
    throw QuarryError.from(e).context(line);
  }
}
