// What jsdom lacks and @grafana/ui expects of a browser.
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'util';

Object.assign(global, { TextEncoder, TextDecoder });

Object.defineProperty(window, 'matchMedia', {
  writable: true,
  value: (query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  }),
});

class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
Object.assign(global, { ResizeObserver: ResizeObserverStub });
if (!('IntersectionObserver' in window)) {
  Object.assign(global, { IntersectionObserver: ResizeObserverStub });
}
// react-select and floating-ui measure elements; jsdom returns zeros, which is fine.
window.HTMLElement.prototype.scrollIntoView = function () {};

// i18next (inside @grafana/i18n) advertises itself on init; keep test output about the tests.
const consoleInfo = console.info;
console.info = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('i18next')) {
    return;
  }
  consoleInfo(...args);
};
