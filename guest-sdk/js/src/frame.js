// Frame and Field builders (what a query or stream tick returns), with FrameMeta and FieldConfig.
//
// A field's Grafana type comes from its values, or from `{type}` where JS types are ambiguous:
//
//   Time, Date               time (nanoseconds since the Unix epoch, BigInt)
//   number                   float64 (JS has one number type: give {type: 'int64'} for integers)
//   bigint                   int64
//   boolean                  bool
//   string                   string
//   plain object, array      json
//   EnumIndex                enum
//
// `type` takes time, int8 … int64, uint8 … uint64, float32, float64, bool, string, json, enum.
// null (or undefined) cells are nulls: the field then carries a validity list. An empty field
// needs `type`.

import { QuarryError } from './error.js';
import { toJson } from './json.js';

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const saturate = (n) => (n < I64_MIN ? I64_MIN : n > I64_MAX ? I64_MAX : n);

/** An instant as nanoseconds since the Unix epoch (a BigInt): the cell type of time fields. */
export class Time {
  constructor(nanos) {
    this.nanos = saturate(BigInt(nanos));
  }

  static fromNanos(nanos) {
    return new Time(nanos);
  }

  /** Saturates outside about ±292 years, like the Rust SDK. */
  static fromMillis(millis) {
    return new Time(BigInt(millis) * 1_000_000n);
  }

  static fromSecs(secs) {
    return new Time(BigInt(secs) * 1_000_000_000n);
  }

  static fromDate(date) {
    return Time.fromMillis(date.getTime());
  }

  static now() {
    return Time.fromMillis(Date.now());
  }

  /** Milliseconds, rounded towards negative infinity (a Number). */
  asMillis() {
    const ms = this.nanos / 1_000_000n;
    return Number(this.nanos < 0n && ms * 1_000_000n !== this.nanos ? ms - 1n : ms);
  }

  toDate() {
    return new Date(this.asMillis());
  }
}

/** An index into the field config's enumText: the cell type of enum fields. */
export class EnumIndex {
  constructor(index) {
    this.index = index;
  }
}

const INT_RANGES = {
  int8: [-(2n ** 7n), 2n ** 7n - 1n],
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [I64_MIN, I64_MAX],
  uint8: [0n, 2n ** 8n - 1n],
  uint16: [0n, 2n ** 16n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  enum: [0n, 2n ** 16n - 1n],
};

/** Every Grafana field type a field can have. */
// The host's default frame limits (quarry-frame's FrameLimits), mirrored by Frame.validate.
const MAX_FIELDS = 1_000;
const MAX_ROWS = 1_000_000;

export const FIELD_TYPES = Object.freeze([
  'time', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64',
  'float32', 'float64', 'bool', 'string', 'json', 'enum',
]);

const PLACEHOLDER = { bool: false, string: '', json: null, float32: 0, float64: 0, time: 0n };

function infer(values) {
  let kind = null;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    let k;
    if (v instanceof Time || v instanceof Date) k = 'time';
    else if (v instanceof EnumIndex) k = 'enum';
    else if (typeof v === 'boolean') k = 'bool';
    else if (typeof v === 'bigint') k = 'int64';
    else if (typeof v === 'number') k = 'float64';
    else if (typeof v === 'string') k = 'string';
    else if (typeof v === 'object') k = 'json';
    else throw new TypeError(`a field cannot hold ${typeof v} values: give {type}`);
    if (kind === null || kind === k) kind = k;
    else throw new TypeError(`a field's values must have one type, not ${kind} and ${k}: give {type}`);
  }
  if (kind === null) throw new TypeError("the field's type cannot be inferred from no values: give {type}");
  return kind;
}

function cell(type, v) {
  if (type === 'time') {
    if (v instanceof Time) return v.nanos;
    if (v instanceof Date) return Time.fromDate(v).nanos;
    if (typeof v === 'bigint') return saturate(v);
    throw new TypeError(`time cells are Time, Date or BigInt nanoseconds, not ${typeof v}`);
  }
  if (type in INT_RANGES) {
    let n;
    if (v instanceof EnumIndex) n = BigInt(v.index);
    else if (typeof v === 'bigint') n = v;
    else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
    else throw new TypeError(`${type} cells are integers, not ${String(v)}`);
    const [lo, hi] = INT_RANGES[type];
    if (n < lo || n > hi) throw new RangeError(`${n} does not fit a ${type} field`);
    return n;
  }
  if (type === 'float32' || type === 'float64') {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new TypeError(`${type} cells are numbers, not ${String(v)}`);
  }
  if (type === 'bool') {
    if (typeof v !== 'boolean') throw new TypeError(`bool cells are booleans, not ${String(v)}`);
    return v;
  }
  if (type === 'string') {
    if (typeof v !== 'string') throw new TypeError(`string cells are strings, not ${String(v)}`);
    return v;
  }
  if (type === 'json') return toJson(v);
  throw new RangeError(`unknown field type ${type} (one of ${FIELD_TYPES.join(', ')})`);
}

/**
 * One named, typed column of a Frame, with labels and display config.
 *
 *   new Field('value', [0.5, null, 2], {labels: {host: 'a'}})   // float64, nullable
 *   new Field('time', [Time.fromSecs(0)])                         // time
 *   new Field('count', [1, 2], {type: 'int64'})
 */
export class Field {
  constructor(name, values, { type, labels, config } = {}) {
    const cells = [...values];
    this.name = String(name);
    this.type = type ?? infer(cells);
    if (!FIELD_TYPES.includes(this.type)) throw new RangeError(`unknown field type ${this.type}`);
    const nullable = cells.some((v) => v === null || v === undefined);
    const placeholder = PLACEHOLDER[this.type] ?? 0n;
    /** The cells, converted (BigInt for integer and time types); nulls hold a placeholder. */
    this.values = cells.map((v) => cell(this.type, v === null || v === undefined ? placeholder : v));
    /** For a nullable field, one entry per row, false where the cell is null. */
    this.validity = nullable ? cells.map((v) => v !== null && v !== undefined) : null;
    this.labels = { ...(labels ?? {}) };
    /** A FieldConfig (or a plain object of Grafana FieldConfig keys). */
    this.config = config ?? null;
  }

  withLabels(labels) {
    Object.assign(this.labels, labels);
    return this;
  }

  withConfig(config) {
    this.config = config;
    return this;
  }

  /** Marks the field nullable even without nulls. */
  nullable() {
    this.validity ??= this.values.map(() => true);
    return this;
  }

  isNull(row) {
    return this.validity !== null && row < this.validity.length && !this.validity[row];
  }

  get length() {
    return this.values.length;
  }
}

/** A data frame: a name, optional FrameMeta and typed Fields of equal length. */
export class Frame {
  constructor(name, fields = [], meta = null) {
    this.name = String(name);
    this.fields = [...fields];
    /** A FrameMeta (or a plain object of Grafana FrameMeta keys). */
    this.meta = meta;
  }

  withField(field) {
    this.fields.push(field);
    return this;
  }

  withMeta(meta) {
    this.meta = meta;
    return this;
  }

  field(name) {
    return this.fields.find((f) => f.name === name) ?? null;
  }

  rowCount() {
    return this.fields.length ? this.fields[0].length : null;
  }

  /**
   * Checks what the host checks first in every frame a module returns, so a native unit test
   * finds it: fields of different lengths, validity lists that do not match, two fields of the
   * same name with the same labels, and the host's default limits (1,000 fields, 1,000,000
   * rows). Throws an internal QuarryError naming the frame, the field and what to change;
   * returns the frame.
   *
   *   new Frame('cpu', [new Field('time', [new Time(0n), new Time(1n)]), new Field('value', [0.5])]).validate()
   *   // QuarryError: frame "cpu": field "value" has 1 values but field "time" has 2: every field
   *   // of a frame needs one value per row (push to every field for each row)
   */
  validate() {
    const problem = this.#problem();
    if (problem !== null) throw QuarryError.internal(`frame ${JSON.stringify(this.name)}: ${problem}`);
    return this;
  }

  #problem() {
    if (this.fields.length > MAX_FIELDS) {
      return `${this.fields.length} fields, more than the ${MAX_FIELDS} the host accepts: split it into several frames`;
    }
    if (!this.fields.length) return null;
    const first = this.fields[0];
    const rows = first.length;
    if (rows > MAX_ROWS) return `${rows} rows, more than the ${MAX_ROWS} the host accepts: ask for fewer points`;
    const series = new Map();
    for (const [index, field] of this.fields.entries()) {
      const name = JSON.stringify(field.name);
      if (field.length !== rows) {
        return `field ${name} has ${field.length} values but field ${JSON.stringify(first.name)} has ${rows}: `
          + 'every field of a frame needs one value per row (push to every field for each row)';
      }
      if (field.validity !== null && field.validity.length !== rows) {
        return `field ${name}: ${field.validity.length} validity entries for ${rows} values: `
          + 'build nullable fields with null cells';
      }
      const labels = Object.entries(field.labels).map(([k, v]) => [String(k), String(v)]);
      if (labels.length) {
        labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const shown = labels.map(([k, v]) => `${k}=${v}`).join(', ');
        const key = JSON.stringify([field.name, labels]);
        if (series.has(key)) {
          return `fields ${series.get(key)} and ${index} are both ${name} with labels ${shown}: `
            + 'Grafana cannot tell the two series apart; give them different labels or names';
        }
        series.set(key, index);
      }
    }
    return null;
  }
}

/** Data-plane frame types (the `type` of FrameMeta); any other string works too. */
export const FrameType = Object.freeze({
  TIMESERIES_WIDE: 'timeseries-wide',
  TIMESERIES_LONG: 'timeseries-long',
  TIMESERIES_MULTI: 'timeseries-multi',
  NUMERIC_WIDE: 'numeric-wide',
  NUMERIC_MULTI: 'numeric-multi',
  NUMERIC_LONG: 'numeric-long',
  LOG_LINES: 'log-lines',
  TABLE: 'table',
  DIRECTORY_LISTING: 'directory-listing',
});

export const Notice = Object.freeze({
  info: (text) => ({ severity: 'info', text }),
  warning: (text) => ({ severity: 'warning', text }),
  error: (text) => ({ severity: 'error', text }),
});

/**
 * Grafana frame metadata: `{type, typeVersion, custom, notices, channel,
 * preferredVisualisationType, executedQueryString, extra}`; unset keys are left out and the keys
 * are written in the Rust SDK's order.
 */
export class FrameMeta {
  constructor(props = {}) {
    Object.assign(this, props);
  }

  toJsonValue() {
    const out = {};
    for (const key of ['type', 'typeVersion', 'custom']) if (this[key] != null) out[key] = this[key];
    if (this.notices?.length) out.notices = this.notices;
    for (const key of ['channel', 'preferredVisualisationType', 'executedQueryString']) {
      if (this[key] != null) out[key] = this[key];
    }
    return Object.assign(out, this.extra ?? {});
  }
}

/**
 * Grafana field config: `{displayName, unit, decimals, min, max, enumText, custom, extra}`;
 * unset keys are left out, `enumText` becomes `type.enum.text`.
 */
export class FieldConfig {
  constructor(props = {}) {
    Object.assign(this, props);
  }

  toJsonValue() {
    const out = {};
    for (const key of ['displayName', 'unit', 'decimals', 'min', 'max']) if (this[key] != null) out[key] = this[key];
    if (this.enumText != null) out.type = { enum: { text: [...this.enumText] } };
    if (this.custom != null) out.custom = this.custom;
    return Object.assign(out, this.extra ?? {});
  }
}
