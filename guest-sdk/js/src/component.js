// The component glue: adapts the exported Datasource to the WIT `datasource` interface as
// componentize-js expects it. build.mjs generates the entry that installs the host's imports and
// exports `datasource` from here.

import { Health, HealthStatus, PublishResponse, SubscribeResponse, Subscription } from './datasource.js';
import { Kind } from './descriptor.js';
import { QuarryError, ErrorKind } from './error.js';
import { Field, Frame } from './frame.js';
import { toJson } from './json.js';
import * as log from './log.js';
import { DataQuery, InstanceSettings, ResourceRequest, TimeRange } from './settings.js';

let exported = null;

/** Exports `cls` (a Datasource subclass) as the module's datasource. */
export function exportDatasource(cls) {
  if (typeof cls !== 'function') throw new TypeError('exportDatasource takes a Datasource subclass');
  if (exported !== null && exported !== cls) throw new Error(`a module exports one datasource; ${exported.name} is already exported`);
  exported = cls;
  return cls;
}

function datasourceClass() {
  if (exported === null) throw new Error('no datasource exported: call exportDatasource(YourDatasource) in the module');
  return exported;
}

// Thrown values become the contract's error record (a plain object, so componentize-js returns
// it as the `err` case).
function witError(e) {
  const err = QuarryError.from(e);
  if (err.kind === ErrorKind.INTERNAL && !(e instanceof QuarryError)) {
    log.error('unhandled exception in module', { stack: String(e?.stack ?? e).slice(-4000) });
  }
  return { kind: err.kind, message: err.message, context: [...err.contextLines] };
}

function guard(fn) {
  try {
    return fn();
  } catch (e) {
    throw witError(e);
  }
}

const TYPED = {
  int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array,
  uint32: Uint32Array, float32: Float32Array, float64: Float64Array, enum: Uint16Array,
};

function column(field) {
  const { type, values } = field;
  if (type === 'time' || type === 'int64') return { tag: type, val: BigInt64Array.from(values) };
  if (type === 'uint64') return { tag: type, val: BigUint64Array.from(values) };
  if (type in TYPED) {
    const ints = type !== 'float32' && type !== 'float64';
    return { tag: type, val: TYPED[type].from(values, ints ? Number : undefined) };
  }
  return { tag: type, val: values };
}

function jsonText(value, what) {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  try {
    return toJson(value);
  } catch (e) {
    throw QuarryError.internal(String(e)).context(what);
  }
}

function witField(field) {
  if (!(field instanceof Field)) throw QuarryError.internal("a frame's fields must be Field objects");
  return {
    name: field.name,
    labels: Object.keys(field.labels).sort().map((key) => ({ key, value: String(field.labels[key]) })),
    config: jsonText(field.config, `config of field "${field.name}"`),
    values: column(field),
    validity: field.validity ?? undefined,
  };
}

function witFrame(frame) {
  if (!(frame instanceof Frame)) throw QuarryError.internal('a query must return Frame objects');
  const meta = jsonText(frame.meta, `meta of frame "${frame.name}"`);
  const fields = frame.fields.map((f) => {
    try {
      return witField(f);
    } catch (e) {
      throw QuarryError.from(e).context(`frame "${frame.name}"`);
    }
  });
  return { name: frame.name, meta, fields };
}

const witFrames = (frames) => (frames instanceof Frame ? [frames] : [...frames]).map(witFrame);

function kind(field) {
  if (field.kind === Kind.ENUM) return { tag: 'enum', val: field.options };
  return { tag: field.kind };
}

function witDescriptor(d) {
  return {
    description: d.description,
    settings: d.settings.map((s) => ({
      key: s.key, kind: kind(s), title: s.titleText, description: s.descriptionText,
      default: s.defaultJson ?? undefined, required: s.isRequired, secret: s.isSecret,
      placeholder: s.placeholderText ?? undefined,
    })),
    query: d.queryFields.map((q) => ({
      key: q.key, kind: kind(q), title: q.titleText, description: q.descriptionText,
      default: q.defaultJson ?? undefined, required: q.isRequired, placeholder: q.placeholderText ?? undefined,
      main: q.isMain, multiline: q.isMultiline,
    })),
    defaultQuery: d.defaultQueryJson ?? undefined,
    streams: d.streams.map(({ path, description }) => ({ path, description })),
    variableQueryType: d.variableQueryType ?? undefined,
    annotationQueryType: d.annotationQueryType ?? undefined,
  };
}

function witGrant(g) {
  return { key: g.key, use: g.use === 'header' ? { tag: 'header', val: g.headerName } : { tag: g.use } };
}

/** The exported `instance` resource: holds the module's datasource object. */
class Instance {
  #datasource;

  constructor(datasource) {
    this.#datasource = datasource;
  }

  static create(settings) {
    const ours = new InstanceSettings({
      uid: settings.uid, name: settings.name, url: settings.url, rawJsonData: settings.jsonData,
      secureJsonData: Object.fromEntries(settings.secureJsonData.map(({ key, value }) => [key, value])),
      updatedMs: Number(settings.updatedMs),
    });
    return guard(() => new Instance(new (datasourceClass())(ours)));
  }

  query(query) {
    const ours = new DataQuery({
      refId: query.refId, queryType: query.queryType,
      timeRange: new TimeRange(query.timeRange.fromNs, query.timeRange.toNs),
      intervalMs: query.intervalMs, maxDataPoints: query.maxDataPoints, json: query.json,
    });
    return guard(() => witFrames(this.#datasource.query(ours)));
  }

  checkHealth() {
    let health;
    try {
      health = this.#datasource.checkHealth();
    } catch (e) {
      health = Health.error(String(QuarryError.from(e)));
    }
    const status = Object.values(HealthStatus).includes(health.status) ? health.status : HealthStatus.UNKNOWN;
    return { status, message: String(health.message), jsonDetails: health.details == null ? undefined : toJson(health.details) };
  }

  callResource(request) {
    const ours = new ResourceRequest({
      method: request.method, path: request.path, url: request.url,
      headers: request.headers.map(([n, v]) => [n, [...v]]), body: request.body,
    });
    return guard(() => {
      const r = this.#datasource.callResource(ours);
      return { status: r.status, headers: r.headers.map(([n, v]) => [n, [...v]]), body: r.body };
    });
  }

  subscribeStream(request) {
    return guard(() => {
      const answer = this.#datasource.subscribeStream({ path: request.path, data: request.data });
      if (answer instanceof Subscription) {
        const interval = Math.max(0, Math.min(2 ** 32 - 1, Math.floor(answer.intervalMs)));
        return { tag: 'ok', val: { intervalMs: interval, initial: answer.initial ? witFrame(answer.initial) : undefined } };
      }
      if (answer === SubscribeResponse.PERMISSION_DENIED) return { tag: 'permission-denied' };
      return { tag: 'not-found' };
    });
  }

  streamTick(path, data) {
    return guard(() => witFrames(this.#datasource.streamTick(path, data)));
  }

  publishStream(path, data) {
    return guard(() => {
      const answer = this.#datasource.publishStream(path, data);
      if (answer instanceof PublishResponse) return { tag: 'ok', val: answer.data ?? undefined };
      if (answer === PublishResponse.NOT_FOUND) return { tag: 'not-found' };
      return { tag: 'permission-denied' };
    });
  }
}

/** The WIT `datasource` interface export. */
export const datasource = {
  describe: () => witDescriptor(datasourceClass().describe()),
  secureSettings: () => datasourceClass().secureSettings().map(witGrant),
  Instance,
};
