/**
 * Text fields of the Auth Service refuse control characters (C0, DEL, C1):
 * PostgreSQL cannot store NUL in text, and none of them belongs in a
 * username, a password or a token. To be unified with the platform's shared
 * string schemas (packages/platform/src/schemas) once they offer one.
 */
export const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001F\\u007F-\\u009F]*$'
