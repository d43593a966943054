// Descriptor: what a module tells Grafana's editors about itself, built with the Rust SDK's
// builders:
//
//   new Descriptor('Metrics from the in-house API')
//     .withSetting(Setting.string('endpoint').title('Endpoint').required())
//     .withSetting(Setting.string('apiKey').title('API key').secret())
//     .withQueryField(QueryField.string('metricName').title('Metric').main().required())
//     .withQueryField(QueryField.enumeration('agg', [['avg', 'Average'], ['max', 'Maximum']]).default('avg'))
//     .withDefaultQuery({ metricName: 'cpu' })
//     .withStream('metric/{name}', 'The newest value of a metric');

import { toJson } from './json.js';

export const Kind = Object.freeze({
  STRING: 'string',
  NUMBER: 'number',
  INTEGER: 'integer',
  BOOLEAN: 'boolean',
  ENUM: 'enum',
  STRING_LIST: 'string-list',
  STRING_MAP: 'string-map',
});

function option(o) {
  if (typeof o === 'string') return { value: o, label: '', description: '' };
  if (Array.isArray(o)) return { value: o[0], label: o[1] ?? '', description: o[2] ?? '' };
  return { value: o.value, label: o.label ?? '', description: o.description ?? '' };
}

class FieldBuilder {
  constructor(key, kind, options = []) {
    this.key = key;
    this.kind = kind;
    this.options = options;
    this.titleText = '';
    this.descriptionText = '';
    /** The default as JSON text, or null. */
    this.defaultJson = null;
    this.isRequired = false;
    this.placeholderText = null;
  }

  static string(key) {
    return new this(key, Kind.STRING);
  }

  static number(key) {
    return new this(key, Kind.NUMBER);
  }

  static integer(key) {
    return new this(key, Kind.INTEGER);
  }

  static boolean(key) {
    return new this(key, Kind.BOOLEAN);
  }

  /** One of `options`: [value, label, description?] arrays, values, or {value, label, description}. */
  static enumeration(key, options) {
    return new this(key, Kind.ENUM, options.map(option));
  }

  static stringList(key) {
    return new this(key, Kind.STRING_LIST);
  }

  static stringMap(key) {
    return new this(key, Kind.STRING_MAP);
  }

  title(title) {
    this.titleText = title;
    return this;
  }

  description(description) {
    this.descriptionText = description;
    return this;
  }

  /** The value used when the field is absent (any JSON value). */
  default(value) {
    this.defaultJson = toJson(value);
    return this;
  }

  required() {
    this.isRequired = true;
    return this;
  }

  placeholder(placeholder) {
    this.placeholderText = placeholder;
    return this;
  }
}

/** One key of jsonData the module reads, or of secureJsonData when secret(). */
export class Setting extends FieldBuilder {
  constructor(key, kind, options) {
    super(key, kind, options);
    this.isSecret = false;
  }

  secret() {
    this.isSecret = true;
    return this;
  }
}

/** One property of the module's query model. */
export class QueryField extends FieldBuilder {
  constructor(key, kind, options) {
    super(key, kind, options);
    this.isMain = false;
    this.isMultiline = false;
  }

  /** The query's main text: shown first and widest. */
  main() {
    this.isMain = true;
    return this;
  }

  /** Long text, edited in a code editor. */
  multiline() {
    this.isMultiline = true;
    return this;
  }
}

export class Descriptor {
  constructor(description = '') {
    this.description = description;
    this.settings = [];
    this.queryFields = [];
    this.defaultQueryJson = null;
    this.streams = [];
    this.variableQueryType = null;
    this.annotationQueryType = null;
  }

  withSetting(setting) {
    this.settings.push(setting);
    return this;
  }

  withQueryField(field) {
    this.queryFields.push(field);
    return this;
  }

  /** The query a new panel starts with: a plain object. */
  withDefaultQuery(query) {
    if (query === null || typeof query !== 'object' || Array.isArray(query)) {
      throw new TypeError('the default query must be a JSON object');
    }
    this.defaultQueryJson = toJson(query);
    return this;
  }

  /** A Grafana Live channel ds/<uid>/<path>; {name} marks a variable part. */
  withStream(path, description) {
    this.streams.push({ path, description });
    return this;
  }

  withVariableQueryType(queryType) {
    this.variableQueryType = queryType;
    return this;
  }

  withAnnotationQueryType(queryType) {
    this.annotationQueryType = queryType;
    return this;
  }
}
