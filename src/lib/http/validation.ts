import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { validationError } from '../errors.js';

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: false,
    // Unknown fields are rejected where a schema says additionalProperties: false, never dropped silently.
    removeAdditional: false,
    useDefaults: true,
    // Only query strings, path parameters and headers are text that needs coercion; a body's types are the client's.
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  });
  addFormats(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

/** Fastify validator compiler: strict bodies, coerced query/params/headers. */
export const schemaCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ValidateFunction;
};

/** Renders the first ajv error the way OpenStack's jsonschema validators word it. */
export function describeValidationError(errors: readonly Partial<ErrorObject>[], part: string): string {
  const e = errors[0];
  if (!e) return 'Invalid input.';
  const path = e.instancePath ? e.instancePath.slice(1).replaceAll('/', '.') : part;
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty?: string } | undefined)?.additionalProperty;
    return `Invalid input for field '${path}': Additional properties are not allowed ('${extra}' was unexpected)`;
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty?: string } | undefined)?.missingProperty;
    return `Invalid input for field '${path}': '${missing}' is a required property`;
  }
  return `Invalid input for field '${path}': ${e.message ?? 'is invalid'}`;
}

/** Validates a value against a compiled schema outside fastify's request cycle. */
export function assertValid<T>(validate: ValidateFunction, value: unknown, part = 'body'): T {
  if (!validate(value)) throw validationError(describeValidationError(validate.errors ?? [], part));
  return value as T;
}

/** Compiles a body schema for use with assertValid. */
export function compileBodySchema(schema: object): ValidateFunction {
  return bodyAjv.compile(schema);
}
