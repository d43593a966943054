// Logging through the host, which tags each line with the datasource and module:
//
//   log.info('fetched series', { count: 3, ms: 12 });
//
// Outside the host (native unit tests) lines go to stderr.

export const LEVELS = Object.freeze(['trace', 'debug', 'info', 'warn', 'error']);

let emit = (level, message, fields) => {
  const rest = Object.entries(fields).map(([k, v]) => ` ${k}=${JSON.stringify(String(v))}`).join('');
  console.error(`${level.toUpperCase()} ${message}${rest}`);
};

/** Installs the host's log function (done by the component glue). */
export function setLogSink(sink) {
  emit = sink;
}

export function log(level, message, fields = {}) {
  if (!LEVELS.includes(level)) throw new RangeError(`unknown log level ${level}`);
  emit(level, String(message), fields);
}

export const trace = (message, fields) => log('trace', message, fields);
export const debug = (message, fields) => log('debug', message, fields);
export const info = (message, fields) => log('info', message, fields);
export const warn = (message, fields) => log('warn', message, fields);
export const error = (message, fields) => log('error', message, fields);
