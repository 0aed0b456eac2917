import * as z from 'zod';

/** A tenant id as keys, jobs and inbox keys name it: letters, digits, `.`, `_` and `-`, not `.` or `..` alone. */
export const TenantId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1–64 letters, digits, ".", "_" or "-"')
  .refine((tenant) => tenant !== '.' && tenant !== '..', 'must not be "." or ".."');
