import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
export { DateScalar } from './date.scalar.js';

export const DateTimeScalar = DateTimeResolver;
export const JSONScalar = JSONResolver;
