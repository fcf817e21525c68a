import { z } from 'zod';

// The UI's CSP forbids eval. Zod 4 probes for it when an object schema is built (the caught `new Function`
// still files a CSP violation) and would JIT-compile parsers; jitless keeps every runtime parsing alike.
// Imported first by every module of electron/common that builds schemas.
z.config({ jitless: true });
