// Url: the http/https URLs a module requests, parsed like the Rust SDK parses them, and the
// resolution of redirect Locations against them (RFC 3986, section 5.2).

import { debugChar, debugStr } from '../fmt.js';

export class InvalidUrl extends Error {
  constructor(url, reason) {
    super(reason);
    this.url = url;
    this.reason = reason;
  }
}

class Reason extends Error {}

const isAlpha = (c) => /^[A-Za-z]$/.test(c);
const isAlnum = (c) => /^[A-Za-z0-9]$/.test(c);

function splitScheme(text) {
  const i = text.indexOf(':');
  if (i <= 0) return null;
  const scheme = text.slice(0, i);
  if (!isAlpha(scheme[0])) return null;
  for (const c of scheme) if (!(isAlnum(c) || '+-.'.includes(c))) return null;
  return [scheme, text.slice(i + 1)];
}

function parseAuthority(authority) {
  if (!authority) throw new Reason('it names no host');
  if (authority.includes('@')) {
    throw new Reason('user info (user:password@) is not supported; declare the credential as a secret grant and the host attaches it');
  }
  let host;
  let port;
  if (authority.startsWith('[')) {
    const close = authority.indexOf(']');
    if (close < 0) throw new Reason('an IPv6 address is missing its closing ]');
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (!host || ![...host].every((c) => /^[0-9a-fA-F:.]$/.test(c))) throw new Reason(`invalid IPv6 address [${host}]`);
    if (after === '') port = null;
    else if (after.startsWith(':')) port = after.slice(1);
    else throw new Reason(`unexpected ${debugStr(after)} after the IPv6 address`);
  } else {
    const i = authority.indexOf(':');
    host = i < 0 ? authority : authority.slice(0, i);
    port = i < 0 ? null : authority.slice(i + 1);
    if (!host) throw new Reason('it names no host');
    for (const c of host) {
      if (!(isAlnum(c) || '-._'.includes(c))) throw new Reason(`invalid character ${debugChar(c)} in host ${debugStr(host)}`);
    }
  }
  let number = null;
  if (port !== null && port !== '') {
    const ok = /^[0-9]{1,5}$/.test(port) && Number(port) > 0 && Number(port) <= 65535;
    if (!ok) throw new Reason(`invalid port ${debugStr(port)}`);
    number = Number(port);
  }
  return [host.toLowerCase(), number];
}

const encoder = new TextEncoder();
const hex = (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;

function encodeTarget(target) {
  let out = '';
  for (const b of encoder.encode(target)) {
    const c = String.fromCharCode(b);
    out += b >= 0x21 && b <= 0x7e && !'"<>\\^`{|}'.includes(c) ? c : hex(b);
  }
  return out;
}

/** Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~). */
export function encodeComponent(value) {
  let out = '';
  for (const b of encoder.encode(String(value))) {
    const c = String.fromCharCode(b);
    out += b < 0x80 && (isAlnum(c) || '-._~'.includes(c)) ? c : hex(b);
  }
  return out;
}

function splitQuery(target) {
  const i = target.indexOf('?');
  return i < 0 ? [target, ''] : [target.slice(0, i), target.slice(i)];
}

function removeDotSegments(path) {
  const segments = path.split('/').slice(1);
  const out = [];
  segments.forEach((segment, i) => {
    const last = i + 1 === segments.length;
    if (segment === '.' || segment === '..') {
      if (segment === '..') out.pop();
      if (last) out.push('');
    } else {
      out.push(segment);
    }
  });
  return `/${out.join('/')}`;
}

/** An absolute http/https URL: scheme, host, optional port, path and query. */
export class Url {
  constructor(https, host, explicitPort, pathAndQuery) {
    this.https = https;
    this.host = host;
    this.explicitPort = explicitPort;
    this.pathAndQuery = pathAndQuery;
  }

  /** Parses an absolute URL; throws InvalidUrl saying what is wrong. */
  static parse(text) {
    try {
      return Url.#parse(text);
    } catch (e) {
      if (e instanceof Reason) throw new InvalidUrl(text, e.message);
      throw e;
    }
  }

  static #parse(input) {
    const text = input.trim();
    const split = splitScheme(text);
    if (!split) throw new Reason('it has no scheme (expected http:// or https://)');
    const scheme = split[0].toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') throw new Reason(`unsupported scheme ${debugStr(scheme)} (only http and https)`);
    if (!split[1].startsWith('//')) throw new Reason('expected // after the scheme');
    const rest = split[1].slice(2);
    let end = rest.length;
    for (const c of '/?#') {
      const i = rest.indexOf(c);
      if (i >= 0 && i < end) end = i;
    }
    const [host, port] = parseAuthority(rest.slice(0, end));
    let target = rest.slice(end).split('#')[0];
    if (!target.startsWith('/')) target = `/${target}`;
    return new Url(scheme === 'https', host, port, encodeTarget(target));
  }

  /** Resolves `reference` (a redirect's Location) against this URL. */
  join(original) {
    const reference = original.trim().split('#')[0];
    if (splitScheme(reference)) return Url.parse(reference);
    if (reference.startsWith('//')) {
      try {
        return Url.#parse(`${this.scheme}:${reference}`);
      } catch (e) {
        if (e instanceof Reason) throw new InvalidUrl(original, e.message);
        throw e;
      }
    }
    const [path, query] = splitQuery(reference);
    const [basePath] = splitQuery(this.pathAndQuery);
    let target;
    if (!reference) target = this.pathAndQuery;
    else if (!path) target = basePath + query;
    else if (path.startsWith('/')) target = removeDotSegments(path) + query;
    else target = removeDotSegments(basePath.slice(0, basePath.lastIndexOf('/') + 1) + path) + query;
    return new Url(this.https, this.host, this.explicitPort, encodeTarget(target));
  }

  get scheme() {
    return this.https ? 'https' : 'http';
  }

  /** The port written, else 443 for https and 80 for http. */
  get port() {
    return this.explicitPort ?? (this.https ? 443 : 80);
  }

  get #bracketed() {
    return this.host.includes(':') ? `[${this.host}]` : this.host;
  }

  /** host[:port]: the port only if the URL names one. */
  get authority() {
    return this.explicitPort !== null ? `${this.#bracketed}:${this.explicitPort}` : this.#bracketed;
  }

  /** host:port, always with the port, as error messages name a server. */
  get hostPort() {
    return `${this.#bracketed}:${this.port}`;
  }

  sameOrigin(other) {
    return this.https === other.https && this.host === other.host && this.port === other.port;
  }

  toString() {
    return `${this.scheme}://${this.authority}${this.pathAndQuery}`;
  }
}
