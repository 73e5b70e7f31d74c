// zod/mini ships without messages: until a locale is registered every issue
// reads just "Invalid input". The full zod build registered English on its
// own; every module that uses zod/mini imports this file so that error texts
// stay the same ("Invalid input: expected string, received number", ...).
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// An explicit z.config(...) made elsewhere wins, as it did with the full build.
if (!z.config().localeError) z.config(en());
