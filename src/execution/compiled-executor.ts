import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  getOperationAST,
  getVariableValues,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Logger } from '../logger.js';
import { inputDefaultsFiller } from './input-defaults.js';
import { standardErrors } from './standard-errors.js';

/** How execution went: Metrics and the differential test read it. */
export interface ExecutionStats {
  /** Operations (document × operation name) compiled, and those graphql-jit could not compile. */
  compiled: number;
  fallbacks: number;
  /** Executions that ran on graphql-js because their operation could not be compiled. */
  fallbackExecutions: number;
}

interface Compiled {
  query: CompiledQuery;
  operation: OperationDefinitionNode;
  fillDefaults: ((variables: Record<string, unknown>) => Record<string, unknown>) | null;
}

/** A document × operation name that names no operation: several operations and no name, or an unknown name. */
const UNRESOLVED = Symbol('unresolved operation');

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T>)?.then === 'function';
}

/**
 * Execution compiled per validated document with graphql-jit, behind Apollo Server's one
 * executor seam (a `gateway` whose load() returns `{ schema, executor }`): Apollo keeps
 * HTTP semantics, parsing and validation (cached per query text), plugins, error
 * formatting and the landing page; only graphql-js's execute, which walks the document
 * and coerces variables on every request, is replaced. An operation graphql-jit cannot
 * compile runs on graphql-js (counted in `stats`).
 *
 * Compiled queries are kept per document object: Apollo reuses one DocumentNode per query
 * text from its own bounded document store, so when it evicts a document, ours goes too.
 */
export class CompiledExecution {
  readonly stats: ExecutionStats = { compiled: 0, fallbacks: 0, fallbackExecutions: 0 };
  private readonly byDocument = new WeakMap<DocumentNode, Map<string | null, Compiled | null | typeof UNRESOLVED>>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly logger: Logger,
  ) {}

  /** Runs one operation of a validated document (variables as the client sent them). */
  run(
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | undefined,
    contextValue: unknown,
  ): Promise<ExecutionResult> | ExecutionResult {
    const compiled = this.compiledFor(document, operationName ?? null);
    if (compiled === UNRESOLVED) {
      // Nothing to run: graphql-js answers with its operation-resolution error ("Unknown
      // operation named …", "Must provide operation name …") and resolves no field; Apollo
      // turns it into OPERATION_RESOLUTION_FAILURE. Not a fallback: there is nothing to compile.
      return this.interpret(document, operationName, variables, contextValue);
    }
    if (!compiled) {
      this.stats.fallbackExecutions += 1;
      return this.interpret(document, operationName, variables, contextValue);
    }
    const given = variables ?? {};
    const result = compiled.query.query(undefined, contextValue, compiled.fillDefaults ? compiled.fillDefaults(given) : given);
    if (isPromise(result)) return result.then(standardErrors);
    if (result.data === undefined && result.errors?.length)
      return this.variablesRefused(compiled, document, operationName, given, contextValue);
    return standardErrors(result);
  }

  /**
   * graphql-jit refused the variables. Its messages can name the wrong variable (the
   * input field instead of `$input`), so the answer comes from graphql-js's own coercion:
   * the same errors a graphql-js execution gives, which Apollo turns into BAD_USER_INPUT.
   * Should graphql-js accept them, graphql-js executes the request (counted as a fallback).
   */
  private variablesRefused(
    compiled: Compiled,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown>,
    contextValue: unknown,
  ): ExecutionResult | Promise<ExecutionResult> {
    const coerced = getVariableValues(this.schema, compiled.operation.variableDefinitions ?? [], variables, { maxErrors: 50 });
    if (coerced.errors) return { errors: coerced.errors };
    this.stats.fallbackExecutions += 1;
    this.logger.warn({ operationName }, 'graphql-jit refused variables that graphql-js accepts; graphql-js ran the request');
    return this.interpret(document, operationName, variables, contextValue);
  }

  /** graphql-js's execute, as Apollo runs it without an executor seam. */
  private interpret(
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | undefined,
    contextValue: unknown,
  ) {
    return execute({ schema: this.schema, document, operationName, variableValues: variables, contextValue });
  }

  /** The seam Apollo Server calls: `new ApolloServer({ gateway: execution.gateway() })`. */
  gateway(): GatewayInterface {
    const schema = this.schema;
    // The operation name the client sent, as graphql-js's execute gets it without a gateway:
    // requestContext.operationName is the one Apollo resolved, null when it resolved none
    // (an unknown name), with which the document's only operation would run.
    const executor: GatewayExecutor = (requestContext) =>
      Promise.resolve(
        this.run(requestContext.document, requestContext.request.operationName, requestContext.request.variables, requestContext.context),
      );
    let listener: Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0] | null = null;
    return {
      async load() {
        listener?.({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
        return { schema, executor };
      },
      onSchemaLoadOrUpdate(callback) {
        listener = callback;
        return () => {
          listener = null;
        };
      },
      async stop() {},
    };
  }

  private compiledFor(document: DocumentNode, operationName: string | null): Compiled | null | typeof UNRESOLVED {
    let operations = this.byDocument.get(document);
    if (!operations) this.byDocument.set(document, (operations = new Map<string | null, Compiled | null | typeof UNRESOLVED>()));
    const known = operations.get(operationName);
    if (known !== undefined) return known;
    const operation = getOperationAST(document, operationName);
    if (!operation) {
      operations.set(operationName, UNRESOLVED);
      return UNRESOLVED;
    }
    const compiled = this.compile(document, operation, operationName);
    if (compiled) this.stats.compiled += 1;
    else this.stats.fallbacks += 1;
    operations.set(operationName, compiled);
    return compiled;
  }

  private compile(document: DocumentNode, operation: OperationDefinitionNode, operationName: string | null): Compiled | null {
    try {
      const result = compileQuery(this.schema, document, operationName ?? undefined, { disablingCapturingStackErrors: true });
      if (isCompiledQuery(result)) return { query: result, operation, fillDefaults: inputDefaultsFiller(this.schema, operation) };
      this.logger.warn(
        { operationName, errors: result.errors?.map((e) => e.message) },
        'graphql-jit could not compile an operation; graphql-js runs it',
      );
    } catch (error) {
      this.logger.warn({ err: error, operationName }, 'graphql-jit failed to compile an operation; graphql-js runs it');
    }
    return null;
  }
}
