// Write Quarry query modules in JavaScript: Grafana datasources that run as WebAssembly
// components (built with componentize-js) inside the Quarry host. The JS twin of the Rust crate
// quarry-guest; see guest-sdk/js/README.md.
//
//   import { Datasource, Field, Frame, exportDatasource } from '../guest-sdk/js/src/index.js';
//
//   class Constant extends Datasource {
//     query(query) {
//       const { from, to } = query.timeRange;
//       return [new Frame('constant', [new Field('time', [from, to]), new Field('value', [1, 1])])];
//     }
//   }
//   exportDatasource(Constant);

export { exportDatasource } from './component.js';
export { Datasource, Health, HealthStatus, PublishResponse, SubscribeResponse, Subscription } from './datasource.js';
export { Descriptor, Kind, QueryField, Setting } from './descriptor.js';
export { ErrorKind, QuarryError, withContext } from './error.js';
export { EnumIndex, Field, FieldConfig, FIELD_TYPES, Frame, FrameMeta, FrameType, Notice, Time } from './frame.js';
export { JsonError, JsonNumber, fromJson, parseJson, t } from './serde.js';
export { DataQuery, InstanceSettings, ResourceRequest, ResourceResponse, SecretGrant, TimeRange } from './settings.js';
export { toJson } from './json.js';
export * as log from './log.js';
export * as http from './http/index.js';

/** The WIT contract this SDK implements. */
export const CONTRACT = 'quarry:datasource@0.3.0';
