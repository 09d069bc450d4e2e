import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

// Once, before any API schema is declared: `.openapi()` names schemas in the generated document.
extendZodWithOpenApi(z);

export { z };
