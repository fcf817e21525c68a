// The one Content-Security-Policy of the UI: the page's <meta> tag, the app:// protocol responses and the
// browser-mode server all send this string. No 'unsafe-eval' and no 'unsafe-inline' scripts; 'self' in
// connect-src also covers the browser mode's same-origin WebSocket (CSP level 3). blob: workers are for pdf.js.
export const CSP_DIRECTIVES: Record<string, string[]> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'", 'blob:'],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'object-src': ["'none'"],
};

const serialize = (entries: [string, string[]][]) => entries.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');

export const CONTENT_SECURITY_POLICY = serialize(Object.entries(CSP_DIRECTIVES));

// Browsers ignore (and warn about) frame-ancestors in a <meta> policy; the response headers carry it.
const HEADER_ONLY = new Set(['frame-ancestors']);
export const CONTENT_SECURITY_POLICY_META = serialize(Object.entries(CSP_DIRECTIVES).filter(([name]) => !HEADER_ONLY.has(name)));
