import { GraphQLError, type ExecutionResult } from 'graphql';

/**
 * graphql-jit's errors are look-alikes of graphql-js's GraphQLError whose `extensions` may
 * be undefined, which Apollo's error normalisation does not expect. Each becomes a real
 * GraphQLError with the same message, locations, path, original error and extensions.
 */
export function standardErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    const standard = new GraphQLError(error.message, {
      path: error.path,
      originalError: error.originalError ?? undefined,
      extensions: error.extensions ?? undefined,
    });
    if (error.locations) (standard as { locations?: unknown }).locations = error.locations;
    return standard;
  });
  return { ...result, errors };
}
