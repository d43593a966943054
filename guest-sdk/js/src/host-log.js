// The host's log import as componentize-js binds it: the sink of log.js. Only the component
// entry imports this file.

import { log as hostLog } from 'quarry:datasource/log@0.3.0';

export function logSink(level, message, fields) {
  hostLog(level, message, Object.entries(fields).map(([key, value]) => ({ key, value: String(value) })));
}
