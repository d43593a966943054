// The Datasource base class a module extends, and the answers its methods give.

import { Descriptor } from './descriptor.js';
import { QuarryError } from './error.js';

export const HealthStatus = Object.freeze({ UNKNOWN: 'unknown', OK: 'ok', ERROR: 'error' });

/** The answer to Grafana's "Save & test". */
export class Health {
  constructor(status, message, details = null) {
    this.status = status;
    this.message = message;
    /** A JSON object shown under the message. */
    this.details = details;
  }

  static ok(message) {
    return new Health(HealthStatus.OK, message);
  }

  static error(message) {
    return new Health(HealthStatus.ERROR, message);
  }

  withDetails(details) {
    this.details = details;
    return this;
  }
}

/** An accepted subscription: the host calls streamTick every `intervalMs`. */
export class Subscription {
  constructor(intervalMs, initial = null) {
    this.intervalMs = intervalMs;
    /** A frame sent to the subscriber first, typically the schema with no rows. */
    this.initial = initial;
  }
}

/** What subscribeStream answers: a Subscription, NOT_FOUND or PERMISSION_DENIED. */
export const SubscribeResponse = Object.freeze({
  NOT_FOUND: 'not-found',
  PERMISSION_DENIED: 'permission-denied',
  ok: (subscription) => subscription,
});

/** What publishStream answers: PublishResponse.ok(data?), NOT_FOUND or PERMISSION_DENIED. */
export class PublishResponse {
  constructor(data = null) {
    /** The JSON text to publish to the channel, if any. */
    this.data = data;
  }

  static ok(data = null) {
    return new PublishResponse(data);
  }
}
PublishResponse.NOT_FOUND = 'not-found';
PublishResponse.PERMISSION_DENIED = 'permission-denied';

/**
 * A Quarry query module: one object per Grafana datasource instance. Extend it, override the
 * constructor (throw a QuarryError for bad settings) and query(), and export the class with
 * `exportDatasource(MyDatasource)`. Every other method has the Rust SDK's default.
 */
export class Datasource {
  /** The secure settings the module asks for (SecretGrants). Default: none. */
  static secureSettings() {
    return [];
  }

  /** What Grafana's editors show (a Descriptor); called without an instance. Default: empty. */
  static describe() {
    return new Descriptor();
  }

  constructor(settings) {
    /** The InstanceSettings the instance was made from. */
    this.settings = settings;
  }

  /** Answers one DataQuery with an array of Frames. */
  query(query) {
    throw QuarryError.notImplemented('this module does not answer queries');
  }

  /** Default: Health.ok('OK'). */
  checkHealth() {
    return Health.ok('OK');
  }

  /** Default: a not-implemented error. */
  callResource(request) {
    throw QuarryError.notImplemented(`this module has no resources (asked for ${request.method} ${request.path})`);
  }

  /** Default: SubscribeResponse.NOT_FOUND. */
  subscribeStream(request) {
    return SubscribeResponse.NOT_FOUND;
  }

  /** Default: a not-implemented error. */
  streamTick(path, data) {
    throw QuarryError.notImplemented(`this module does not stream (asked for ${path})`);
  }

  /** Default: PublishResponse.PERMISSION_DENIED. */
  publishStream(path, data) {
    return PublishResponse.PERMISSION_DENIED;
  }
}
